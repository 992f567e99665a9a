"""`casework verify-export FILE.zip`: check an export offline, saying exactly what differs.

Needs no server, database or settings: the archive, and preferably the installation's
public key (`--public-key`, from GET /api/v1/exports/public-key.pem). Exit code 0 only
when the signature holds and every member matches the manifest; 1 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from casework.exports.verification import verify_export as check_archive


def verify_export(
    archive: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                            help="The export's ZIP.")],
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", exists=True, dir_okay=False, readable=True,
        help="The installation's public key (PEM). Without it the key inside the archive "
        "is used, which proves integrity but not who made the archive.")] = None,
) -> None:
    """Check an export's signature and every file in it against its manifest."""
    verdict = check_archive(archive, public_key=public_key.read_bytes() if public_key
                            else None)
    for note in verdict.notes:
        typer.echo(f"note: {note}", err=True)
    if verdict.fingerprint:
        typer.echo(f"signing key: {verdict.fingerprint}")
    if verdict.ok:
        typer.echo(f"OK: export {verdict.export_id}: the signature holds and all "
                   f"{verdict.checked} files match the manifest")
        return
    for problem in verdict.problems:
        typer.echo(f"FAILED {problem}")
    typer.echo(f"{archive.name}: {len(verdict.problems)} difference(s) from the signed "
               "manifest", err=True)
    raise typer.Exit(1)
