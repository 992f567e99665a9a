"""A corpus of terse reference text: the Linux man-pages project's pages, as Debian ships them.

    from debian_manpages import manpage_corpus
    folder, pages = manpage_corpus()      # folder/<name>.<section>.txt, e.g. inotify.7.txt

The packages `manpages` and `manpages-dev` are fetched with `apt-get download` (no install;
~3.4 MB once, cached) and unpacked; every real page of sections 2 (system calls), 3 (library
functions), 4 (devices), 5 (file formats) and 7 (overviews) is rendered to plain text by groff
(`apt-get install -y groff-base`, present wherever `man` is): about 1,080 pages, 7.5 MB.
Aliases (symbolic links and `.so` stubs) are left out, so each page is one document, named
as people cite it: `inotify.7`, `open.2`. Hyphenation is off and the lines long, so a word
such as `O_CLOEXEC` or `inotify_init1` is never split by the renderer.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

from harness import CACHE_DIR, unpacked_debian_packages

PACKAGES = ("manpages", "manpages-dev")
SECTIONS = ("2", "3", "4", "5", "7")
ROOT = CACHE_DIR / "debian-manpages"
# -rHY=0: no hyphenation; -rLL: long lines; -Tascii -P-cbou: plain text, no overstrike.
GROFF = ["groff", "-t", "-mandoc", "-Tascii", "-rHY=0", "-rLL=100n", "-P-cbou"]


def unpacked() -> Path:
    """The packages' files under ROOT/root (downloaded and unpacked on first use)."""
    return unpacked_debian_packages(ROOT, PACKAGES)


def manpage_corpus() -> tuple[Path, list[str]]:
    """The rendered pages' folder and the pages' names, sorted (rendered on first use)."""
    folder = ROOT / "text"
    if not (ROOT / ".rendered").exists():
        if shutil.which("groff") is None:
            raise SystemExit("groff is missing: apt-get install -y groff-base")
        root = unpacked()
        folder.mkdir(parents=True, exist_ok=True)
        for section in SECTIONS:
            for source in sorted((root / "usr/share/man" / f"man{section}").glob("*.gz")):
                if source.is_symlink():
                    continue
                roff = gzip.decompress(source.read_bytes())
                if roff.lstrip().startswith(b".so "):
                    continue  # an alias of another page
                text = subprocess.run(GROFF, input=roff, check=True, capture_output=True).stdout
                (folder / f"{source.name.removesuffix('.gz')}.txt").write_bytes(text)
        (ROOT / ".rendered").write_text("")
    pages = sorted(path.name.removesuffix(".txt") for path in folder.glob("*.txt"))
    return folder, pages
