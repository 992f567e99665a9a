"""`casework verify-export` checks an export offline: it passes an untouched archive and
fails, naming what differs, after any change: one byte of a file, a file replaced with a
consistent ZIP checksum, a file removed or added, the manifest edited, another key."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from casework.cli.main import app
from tests.conftest import create_collection, ingest, test_settings
from tests.exports.conftest import export_zip, flip_byte_in_member, rewrite_zip, write
from tests.fixtures.files import make_pdf

PDF = make_pdf(["Incident report, harbour district.", "Smoke at 23:10 from warehouse seven."])


@pytest.fixture
def exported(tmp_path, make_client) -> tuple[Path, Path]:
    """An export of a small case on disk, and the installation's public key beside it."""
    client = make_client(test_settings(tmp_path / "data"))
    collection = create_collection(client, "Harbour fire")
    ingest(client, collection["id"], ("report.pdf", PDF),
           ("statement.txt", b"Witness statement of Ann Lee."))
    _, data = export_zip(client, collection["id"])
    key = client.get("/api/v1/exports/public-key.pem").content
    return write(tmp_path / "export.zip", data), write(tmp_path / "installation.pem", key)


def verify(archive: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify-export", str(archive), *options])
    return result.exit_code, result.output


def test_an_untouched_export_passes(exported):
    archive, key = exported
    code, output = verify(archive, "--public-key", str(key))
    assert code == 0, output
    assert "OK: export" in output and "all 9 files match the manifest" in output
    assert "note:" not in output  # checked against the installation's key
    code, output = verify(archive)  # the archive's own key: integrity, with a caution
    assert code == 0
    assert "compare its fingerprint" in output


def test_one_changed_byte_fails_naming_the_file(exported, tmp_path):
    archive, key = exported
    changed = write(tmp_path / "changed.zip",
                    flip_byte_in_member(archive.read_bytes(), "originals/report.pdf"))
    code, output = verify(changed, "--public-key", str(key))
    assert code == 1
    assert "FAILED changed: originals/report.pdf" in output
    assert output.count("FAILED") == 1  # nothing else is blamed


def test_a_file_replaced_with_a_consistent_zip_fails_with_both_hashes(exported, tmp_path):
    archive, key = exported
    forged = write(tmp_path / "forged.zip", rewrite_zip(
        archive.read_bytes(), replace={"originals/statement.txt": b"Witness statement of X."}))
    code, output = verify(forged, "--public-key", str(key))
    assert code == 1
    assert "FAILED changed: originals/statement.txt (manifest: 29 bytes" in output
    assert "archive: 23 bytes" in output


def test_files_removed_or_added_fail(exported, tmp_path):
    archive, key = exported
    removed = write(tmp_path / "removed.zip",
                    rewrite_zip(archive.read_bytes(), drop={"text/report.pdf.txt"}))
    code, output = verify(removed, "--public-key", str(key))
    assert code == 1 and "FAILED missing: text/report.pdf.txt" in output
    added = write(tmp_path / "added.zip", rewrite_zip(
        archive.read_bytes(), add={"originals/planted.txt": b"not from casework"}))
    code, output = verify(added, "--public-key", str(key))
    assert code == 1 and "FAILED extra: originals/planted.txt is not in the manifest" in output


def test_an_edited_manifest_or_another_key_breaks_the_signature(exported, tmp_path):
    archive, key = exported
    with zipfile.ZipFile(archive) as zipped:
        manifest = zipped.read("manifest.json")
    edited = write(tmp_path / "edited.zip", rewrite_zip(
        archive.read_bytes(), replace={"manifest.json": manifest.replace(b"Harbour fire",
                                                                         b"Harbour fine")}))
    code, output = verify(edited, "--public-key", str(key))
    assert code == 1 and "FAILED manifest.json: the signature does not match" in output
    stranger = write(tmp_path / "stranger.pem", Ed25519PrivateKey.generate().public_key()
                     .public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    code, output = verify(archive, "--public-key", str(stranger))
    assert code == 1 and "the signature does not match" in output
    code, output = verify(write(tmp_path / "not.zip", b"PK but not a zip"))
    assert code == 1 and "not a readable ZIP" in output


@pytest.mark.skipif(any(shutil.which(tool) is None
                        for tool in ("openssl", "sha256sum", "unzip")),
                    reason="needs openssl, sha256sum and unzip")
def test_it_verifies_without_casework_as_the_readme_says(exported, tmp_path):
    archive, key = exported
    unpacked = tmp_path / "unpacked"
    unzipped = subprocess.run(["unzip", "-q", str(archive), "-d", str(unpacked)],
                              capture_output=True, text=True)  # Info-ZIP reads the stream
    assert unzipped.returncode == 0, unzipped.stderr
    signature = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key), "-rawin",
         "-in", "manifest.json", "-sigfile", "manifest.sig"],
        cwd=unpacked, capture_output=True, text=True)
    assert signature.returncode == 0, signature.stderr
    assert "Signature Verified Successfully" in signature.stdout
    sums = subprocess.run(["sha256sum", "-c", "checksums.sha256"], cwd=unpacked,
                          capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout
    (unpacked / "originals" / "report.pdf").write_bytes(b"%PDF-1.4 forged")
    sums = subprocess.run(["sha256sum", "-c", "checksums.sha256"], cwd=unpacked,
                          capture_output=True, text=True)
    assert sums.returncode == 1 and "originals/report.pdf: FAILED" in sums.stdout
