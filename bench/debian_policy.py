"""A corpus of normative prose: the Debian Policy Manual and the Filesystem Hierarchy Standard.

    from debian_policy import policy_corpus
    folder, pages = policy_corpus()  # folder/<page>.html: policy--ch-controlfields--priority

Both ship in Debian's `debian-policy` package (fetched with `apt-get download`, no install;
2.3 MB once, cached). The manual's chapters and appendices are long (up to 120 kB of HTML),
and people cite Policy by section ("Policy 5.6.6"), so each chapter is cut into its sections:
a section whose text is at most SECTION_CHARS characters is one document; a longer one gives
its own text before its first subsection as a document (if any) and each subsection is cut
the same way. The FHS 3.0 (one 220 kB page) is cut by the same rule. About 230 documents,
each a small HTML file that keeps the section's markup under its number and title. Pages are
named `policy--<file>--<section id>` and `fhs--<section number>`: stable across runs and machines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from harness import CACHE_DIR, unpacked_debian_packages

PACKAGE = "debian-policy"
ROOT = CACHE_DIR / "debian-policy"
DOC = Path("usr/share/doc/debian-policy")
SECTION_CHARS = 12_000
INTRO_MIN_CHARS = 200  # a section's lead-in shorter than this is only its heading


def unpacked() -> Path:
    """The packages' files under ROOT/root (downloaded and unpacked on first use)."""
    return unpacked_debian_packages(ROOT, (PACKAGE,))


def _text_length(node: LexborNode) -> int:
    return len(" ".join(node.text(separator=" ").split()))


def _title(node: LexborNode) -> str:
    heading = node.css_first("h1, h2, h3, h4")
    return " ".join(heading.text().replace("¶", "").split()) if heading else ""


def _without_children(node: LexborNode, selector: str) -> LexborNode:
    """A copy of the section with its subsections taken out: its own lead-in text."""
    copy = LexborHTMLParser(node.html or "")
    root = copy.body.child if copy.body is not None else None
    assert root is not None
    for child in list(root.iter()):
        if child.css_matches(selector):
            child.decompose()
    return root


def _cut(node: LexborNode, selector: str, prefix: str,
         anchor_of: Callable[[LexborNode], str]) -> Iterator[tuple[str, str, str]]:
    """(page name, title, HTML) for one section and, if it is long, its subsections."""
    name = f"{prefix}--{anchor_of(node)}"
    children = [child for child in node.iter() if child.css_matches(selector)]
    if not children or _text_length(node) <= SECTION_CHARS:
        yield name, _title(node), node.html or ""
        return
    intro = _without_children(node, selector)
    if _text_length(intro) >= INTRO_MIN_CHARS:
        yield name, _title(node), intro.html or ""
    for child in children:
        yield from _cut(child, selector, prefix, anchor_of)


def _policy_sections(root: Path) -> Iterator[tuple[str, str, str]]:
    folder = root / DOC / "policy.html"
    for path in sorted(folder.glob("*.html")):
        if not path.name.startswith(("ch-", "ap-")):
            continue  # index, search, genindex, upgrading-checklist (a change log)
        tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
        main = tree.css_first('div[role="main"]')
        top = main.css_first("section") if main is not None else None
        if top is None:
            continue
        stem = path.name.removesuffix(".html")
        yield from _cut(top, "section", f"policy--{stem}",
                        lambda node: node.attributes.get("id") or "section")


def _fhs_number(node: LexborNode) -> str:
    """The section's number ("3.4", "4.11.6"; a chapter's "3"): the FHS's own anchors are
    generated for some sections and repeat words ("purpose18") for others."""
    match = re.match(r"(?:Chapter\s+)?(\d+(?:\.\d+)*)", _title(node))
    return match.group(1) if match else "section"


def _fhs_sections(root: Path) -> Iterator[tuple[str, str, str]]:
    tree = LexborHTMLParser((root / DOC / "fhs" / "fhs-3.0.html").read_text(encoding="utf-8"))
    for toc in tree.css("div.toc"):
        toc.decompose()  # a chapter's table of contents would echo its sections' titles
    for chapter in tree.css("div.chapter, div.appendix"):
        yield from _cut(chapter, "div.section", "fhs", _fhs_number)


def policy_corpus() -> tuple[Path, list[str]]:
    """The cut sections' folder and their page names, sorted (cut on first use)."""
    folder = ROOT / "sections"
    if not (ROOT / ".cut").exists():
        root = unpacked()
        folder.mkdir(parents=True, exist_ok=True)
        seen: set[str] = set()
        for source, sections in (("Debian Policy Manual", _policy_sections(root)),
                                 ("Filesystem Hierarchy Standard 3.0", _fhs_sections(root))):
            for name, title, html in sections:
                name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
                if name in seen:
                    raise SystemExit(f"two sections named {name}")
                seen.add(name)
                (folder / f"{name}.html").write_text(
                    f"<!doctype html><html><head><title>{source}: {title}</title></head>"
                    f"<body>{html}</body></html>", encoding="utf-8")
        (ROOT / ".cut").write_text("")
    pages = sorted(path.name.removesuffix(".html") for path in folder.glob("*.html"))
    return folder, pages
