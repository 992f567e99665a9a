"""Near-duplicates: precision and recall of the MinHash + LSH grouping on generated variants.

    apt-get install -y python3.11-doc     # once: the manuals' reStructuredText sources
    flock /tmp/casework-bench.lock .venv/bin/python bench/near_duplicates.py

Real prose: the first paragraphs of each page of the Python library manual's sources
(/usr/share/doc/python3.11/html/_sources/library). `--bases` pages become originals; each
gets one variant of every kind below; `--unrelated` other pages are documents with no copy.

- ocr_1pct, ocr_3pct: a re-scan, characters OCR confuses (l/1, o/0, m/rn, e/c, i/l, s/5) and
  dropped or doubled characters, at 1% or 3% of the characters;
- reordered: the paragraphs in another order (a draft reorganised);
- paragraph_added / paragraph_removed: one paragraph of another page inserted, or one of
  its own taken out;
- forwarded: an e-mail forward header on top ("Forwarded message", From, Date, Subject).

Every document goes through the functions the find_near_duplicates job uses
(neardup.minhash: words, shingles, signature, bands, similarity), arriving in a shuffled
order, and is grouped the way neardup.service groups (a candidate from a shared band joins
at similarity >= threshold; groups connect). The job's database work is left out: this
measures the decision, not the storage. For each variant kind: recall (the variant ended
in its original's group) and precision (of the documents it was grouped with, the share
that are copies of the same original); for the unrelated pages, how many were grouped at
all. The same at several thresholds. Results: bench/results/near_duplicates.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import defaultdict
from pathlib import Path

from casework.neardup import minhash

SOURCES = Path("/usr/share/doc/python3.11/html/_sources/library")
OUT = Path(__file__).parent / "results" / "near_duplicates.json"
KINDS = ("ocr_1pct", "ocr_3pct", "reordered", "paragraph_added", "paragraph_removed",
         "forwarded")
THRESHOLDS = (0.6, 0.7, 0.8, 0.9)
_OCR = {"l": "1", "o": "0", "m": "rn", "e": "c", "i": "l", "s": "5", "rn": "m"}


def load_pages(root: Path, *, min_words: int = 150, max_paragraphs: int = 30) -> list[list[str]]:
    """Each page as its first paragraphs of prose (markup lines and code blocks left out)."""
    pages = []
    for path in sorted(root.glob("*.rst.txt")):
        paragraphs = []
        for block in re.split(r"\n\s*\n", path.read_text(errors="replace")):
            lines = [ln.strip() for ln in block.splitlines()]
            if not lines or any(ln.startswith(("..", ">>>", "::", "=", "-", "*", "+"))
                                for ln in lines[:1]):
                continue
            text = " ".join(lines)
            if len(text.split()) >= 12:
                paragraphs.append(text)
            if len(paragraphs) >= max_paragraphs:
                break
        if sum(len(p.split()) for p in paragraphs) >= min_words and len(paragraphs) >= 4:
            pages.append(paragraphs)
    return pages


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate * 0.7 and ch in _OCR:
            out.append(_OCR[ch])
        elif roll < rate * 0.85:
            continue  # dropped
        elif roll < rate:
            out.append(ch + ch)  # doubled
        else:
            out.append(ch)
    return "".join(out)


def variant(kind: str, paragraphs: list[str], other: list[str], rng: random.Random) -> str:
    if kind == "ocr_1pct":
        return ocr_noise("\n\n".join(paragraphs), 0.01, rng)
    if kind == "ocr_3pct":
        return ocr_noise("\n\n".join(paragraphs), 0.03, rng)
    if kind == "reordered":
        shuffled = paragraphs[:]
        while shuffled == paragraphs:
            rng.shuffle(shuffled)
        return "\n\n".join(shuffled)
    if kind == "paragraph_added":
        changed = paragraphs[:]
        changed.insert(rng.randrange(len(changed) + 1), rng.choice(other))
        return "\n\n".join(changed)
    if kind == "paragraph_removed":
        changed = paragraphs[:]
        del changed[rng.randrange(len(changed))]
        return "\n\n".join(changed)
    if kind == "forwarded":
        header = ("---------- Forwarded message ---------\nFrom: Ann Lee <ann.lee@example.test>\n"
                  f"Date: Mon, {rng.randint(1, 28)} Apr 2024 09:{rng.randint(10, 59)}\n"
                  "Subject: Fwd: the notes you asked for\nTo: Bob <bob@example.test>\n\n")
        return header + "\n\n".join(paragraphs)
    raise ValueError(kind)


def group(documents: list[tuple[str, str]], threshold: float) -> dict[str, str]:
    """name -> group root, as the job groups them, in arrival order."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    buckets: dict[str, list[str]] = defaultdict(list)
    signatures = {}
    for name, text in documents:
        parent[name] = name
        sig = minhash.signature(minhash.shingle_hashes([text])[0])
        if sig is None:
            continue
        signatures[name] = sig
        keys = minhash.band_keys(sig)
        candidates = {other for key in keys for other in buckets[key]}
        for other in candidates:
            if minhash.similarity(sig, signatures[other]) >= threshold:
                parent[root(other)] = root(name)
        for key in keys:
            buckets[key].append(name)
    return {name: root(name) for name in parent}


def measure(documents: list[tuple[str, str]], family: dict[str, str],
            threshold: float) -> dict[str, object]:
    roots = group(documents, threshold)
    members: dict[str, list[str]] = defaultdict(list)
    for name, r in roots.items():
        members[r].append(name)
    per_kind: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        names = [n for n in family if n.endswith(":" + kind)]
        recall = sum(roots[n] == roots[family[n] + ":original"] for n in names) / len(names)
        together = [(n, m) for n in names for m in members[roots[n]] if m != n]
        right = sum(family.get(m) == family[n] for n, m in together)
        per_kind[kind] = {"recall": round(recall, 4),
                          "precision": round(right / len(together), 4) if together else 1.0,
                          "variants": len(names)}
    unrelated = [n for n in roots if n.startswith("unrelated:")]
    grouped = sum(len(members[roots[n]]) > 1 for n in unrelated)
    pairs_true = pairs_found = pairs_right = 0
    for group_members in members.values():
        k = len(group_members)
        pairs_found += k * (k - 1) // 2
        for i, a in enumerate(group_members):
            for b in group_members[i + 1:]:
                pairs_right += family.get(a) is not None and family.get(a) == family.get(b)
    by_family: dict[str, int] = defaultdict(int)
    for name in family:
        by_family[family[name]] += 1
    pairs_true = sum(k * (k - 1) // 2 for k in by_family.values())
    return {"threshold": threshold, "kinds": per_kind,
            "unrelated_grouped": grouped, "unrelated": len(unrelated),
            "pairwise_precision": round(pairs_right / pairs_found, 4) if pairs_found else 1.0,
            "pairwise_recall": round(pairs_right / pairs_true, 4) if pairs_true else 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases", type=int, default=150)
    parser.add_argument("--unrelated", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--shingle-words", type=int, default=minhash.SHINGLE_WORDS,
                        help="words per shingle (a what-if: the job uses SHINGLE_WORDS)")
    args = parser.parse_args()
    minhash.SHINGLE_WORDS = args.shingle_words
    if not SOURCES.is_dir():
        raise SystemExit(f"{SOURCES} is missing: apt-get install -y python3.11-doc")
    rng = random.Random(args.seed)
    pages = load_pages(SOURCES)
    rng.shuffle(pages)
    if len(pages) < args.bases + args.unrelated:
        raise SystemExit(f"only {len(pages)} usable pages")
    bases, others = pages[:args.bases], pages[args.bases:args.bases + args.unrelated]
    spare = [p for page in pages[args.bases + args.unrelated:] for p in page] or \
        [p for page in others for p in page]
    documents: list[tuple[str, str]] = []
    family: dict[str, str] = {}
    for i, paragraphs in enumerate(bases):
        base = f"base{i}"
        documents.append((f"{base}:original", "\n\n".join(paragraphs)))
        family[f"{base}:original"] = base
        for kind in KINDS:
            documents.append((f"{base}:{kind}", variant(kind, paragraphs, spare, rng)))
            family[f"{base}:{kind}"] = base
    documents += [(f"unrelated:{i}", "\n\n".join(p)) for i, p in enumerate(others)]
    rng.shuffle(documents)  # copies may arrive before their original
    words = sorted(len("".join(t).split()) for _, t in documents)
    started = time.perf_counter()
    results = [measure(documents, family, t) for t in THRESHOLDS]
    took = time.perf_counter() - started
    report = {"corpus": str(SOURCES), "bases": args.bases, "unrelated": args.unrelated,
              "documents": len(documents), "median_words": words[len(words) // 2],
              "seed": args.seed, "permutations": minhash.PERMUTATIONS,
              "bands": minhash.BANDS, "rows": minhash.ROWS,
              "shingle_words": minhash.SHINGLE_WORDS,
              "seconds_per_document": round(took / len(THRESHOLDS) / len(documents), 5),
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for result in results:
        print(f"threshold {result['threshold']}: pairwise P={result['pairwise_precision']} "
              f"R={result['pairwise_recall']}; unrelated grouped "
              f"{result['unrelated_grouped']}/{result['unrelated']}")
        for kind, figures in result["kinds"].items():  # type: ignore[union-attr]
            print(f"  {kind:18} recall {figures['recall']:.3f}  precision "
                  f"{figures['precision']:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
