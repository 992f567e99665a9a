"""The question sets bench/quality.py scores retrieval on, each over its own real corpus.

A set is a corpus (pages: file names under one folder, fetched or rendered on first use) and a
question file, bench/questions/<set>.jsonl: one JSON object a line with `id`, `question`,
`relevant` (the pages that answer it) and, in the sets written after the first, `kind`
(`keyword`: the question names an identifier, option, field or path; `paraphrase`: it does
not) and `evidence` (words copied from the first relevant page, checked here so a question
cannot name a page that does not say what it claims). A line without `question` is the
file's header: how and by whom the questions were written.

    python_docs     89 questions, the Python 3.11 manuals (python3.11-doc): the set the
                    fusion weights were chosen on
    manpages        the Linux man pages, sections 2, 3, 4, 5, 7 (manpages, manpages-dev)
    debian_policy   the Debian Policy Manual and the FHS 3.0, cut into sections
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
DOCS_ROOT = Path("/usr/share/doc/python3.11/html")
LIBRARY_PAGES = """
json csv datetime re pathlib os.path shutil glob fnmatch tempfile collections itertools
functools heapq bisect random statistics math decimal fractions string textwrap difflib
struct copy pprint enum dataclasses abc contextlib argparse logging getpass time calendar
zoneinfo sched threading queue subprocess concurrent.futures socket select signal
urllib.request urllib.parse http.client http.server smtplib email.message base64 hashlib
hmac secrets uuid zlib gzip bz2 lzma zipfile tarfile sqlite3 pickle shelve configparser
tomllib io sys platform traceback warnings timeit profile unittest pdb venv inspect weakref
gc array graphlib operator html.parser xml.etree.elementtree webbrowser locale gettext
ipaddress mmap atexit asyncio-task shlex filecmp mimetypes
""".split()


@dataclass(frozen=True)
class Corpus:
    """Pages by name, each a file under `root` (the relative path keeps its extension)."""

    root: Path
    files: dict[str, Path]
    description: str


@dataclass(frozen=True)
class QuestionSet:
    name: str
    corpus: Callable[[], Corpus]

    @property
    def questions_file(self) -> Path:
        return QUESTIONS_DIR / f"{self.name}.jsonl"


def python_docs_pages() -> list[str]:
    pages = [f"library/{name}.html" for name in LIBRARY_PAGES]
    pages += sorted(p.relative_to(DOCS_ROOT).as_posix()
                    for p in (DOCS_ROOT / "tutorial").glob("*.html"))
    return pages


def _python_docs() -> Corpus:
    if not DOCS_ROOT.is_dir():
        raise SystemExit(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc")
    return Corpus(DOCS_ROOT, {page: Path(page) for page in python_docs_pages()},
                  "Python 3.11 manuals (Debian python3.11-doc): 90 library pages and the "
                  "tutorial, HTML as shipped")


def _manpages() -> Corpus:
    from debian_manpages import SECTIONS, manpage_corpus

    folder, pages = manpage_corpus()
    return Corpus(folder, {page: Path(f"{page}.txt") for page in pages},
                  f"Linux man pages 6.03 (Debian manpages, manpages-dev), sections "
                  f"{', '.join(SECTIONS)}, rendered to text by groff; one page a document")


def _debian_policy() -> Corpus:
    from debian_policy import policy_corpus

    folder, pages = policy_corpus()
    return Corpus(folder, {page: Path(f"{page}.html") for page in pages},
                  "Debian Policy Manual 4.6.2.0 and FHS 3.0 (Debian debian-policy), cut into "
                  "sections of at most 12,000 characters; HTML")


SETS = {s.name: s for s in (QuestionSet("python_docs", _python_docs),
                            QuestionSet("manpages", _manpages),
                            QuestionSet("debian_policy", _debian_policy))}


def load_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of a file, its header line left out."""
    with open(path) as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [row for row in rows if "question" in row]


def page_text(path: Path) -> str:
    """A page's words, lower-cased and single-spaced (an HTML page's tags taken out)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split()).lower()


def check_questions(questions: list[dict[str, Any]], corpus: Corpus) -> None:
    """Every relevant page is in the corpus, and each `evidence` is on the first of them."""
    problems = []
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        problems.append("question ids repeat")
    for question in questions:
        missing = [page for page in question["relevant"] if page not in corpus.files]
        if missing:
            problems.append(f"{question['id']}: pages outside the corpus: {missing}")
            continue
        evidence = question.get("evidence")
        if evidence:
            page = question["relevant"][0]
            text = page_text(corpus.root / corpus.files[page])
            if " ".join(evidence.lower().split()) not in text:
                problems.append(f"{question['id']}: evidence not on {page}: {evidence!r}")
    if problems:
        raise SystemExit("question file problems:\n  " + "\n  ".join(problems))
