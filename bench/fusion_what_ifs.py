"""Other hybrid fusions scored offline on the passages bench/quality.py kept, every set at once.

    PYTHONPATH=src:bench .venv/bin/python bench/fusion_what_ifs.py            # after quality.py

quality.py keeps, for each question of each set, the keyword and the semantic passages
(chunk, score, page) it found: this script fuses them again with each rule below and scores
the fused pages as quality.py does (recall@5, MRR@10, nDCG@10), so a rule is compared on
every set without ingesting anything again. The rules are in bench/fusion_rules.py; the one
named "shipped" is casework's `fuse`, and its figures against "hybrid as searched" check
that the replay matches what search returned (they differ only where a passage list was cut
one row shorter). Results: bench/results/fusion_what_ifs.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fusion_rules import RULES, Rule, Scored
from harness import write_results
from quality import PASSAGES_DIR, score


def _pages(ranked: list[int], page_of: dict[int, str]) -> list[str]:
    pages: list[str] = []
    for item in ranked:
        page = page_of.get(item)
        if page and page not in pages:
            pages.append(page)
    return pages


def evaluate(rows: list[dict[str, Any]], rule: Rule) -> dict[str, Any]:
    figures = _evaluate(rows, rule)
    for kind in sorted({row.get("kind") for row in rows} - {None}):
        figures[f"ndcg@10 {kind}"] = _evaluate([r for r in rows if r.get("kind") == kind],
                                               rule)["ndcg@10"]
    return figures


def _evaluate(rows: list[dict[str, Any]], rule: Rule) -> dict[str, float]:
    totals: dict[str, float] = {}
    for row in rows:
        keyword = [(cid, s) for cid, s, _ in row["keyword"]]
        semantic = [(cid, s) for cid, s, _ in row["semantic"]]
        page_of = {cid: page for cid, _, page in row["keyword"] + row["semantic"]
                   + row["hybrid"]}
        figures = score(_pages(rule(keyword, semantic, row["question"]), page_of),
                        set(row["relevant"]))
        for metric, value in figures.items():
            totals[metric] = totals.get(metric, 0.0) + value
    return {metric: round(value / len(rows), 4) for metric, value in totals.items()}


def _single(rows: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    """One mode's passages as searched, scored (the rule hands back its own list)."""
    def as_searched(_k: Scored, _s: Scored, text: str) -> list[int]:
        return [cid for cid, _, _ in next(r for r in rows if r["question"] == text)[mode]]
    return evaluate(rows, as_searched)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", default="onnx")
    parser.add_argument("--name", default="fusion_what_ifs")
    args = parser.parse_args(argv)
    dumps = sorted(Path(PASSAGES_DIR).glob(f"*-{args.runtime}-as-is.json"))
    if not dumps:
        raise SystemExit(f"no passages under {PASSAGES_DIR}: run bench/quality.py first")
    results: dict[str, Any] = {}
    for dump in dumps:
        name = dump.name.removesuffix(f"-{args.runtime}-as-is.json")
        rows = json.loads(dump.read_text())
        by_rule = {"keyword (single mode)": _single(rows, "keyword"),
                   "semantic (single mode)": _single(rows, "semantic"),
                   "hybrid as searched": _single(rows, "hybrid")}
        by_rule |= {label: evaluate(rows, rule) for label, rule in RULES.items()}
        results[name] = by_rule
        print(f"{name} ({len(rows)} questions)")
        for label, figures in by_rule.items():
            kinds = "".join(f"  {key.removeprefix('ndcg@10 ')} {value:.3f}"
                            for key, value in figures.items() if key.startswith("ndcg@10 "))
            print(f"  {label:<60} r@5 {figures['recall@5']:.3f}  mrr {figures['mrr@10']:.3f}"
                  f"  ndcg {figures['ndcg@10']:.3f}{kinds}")
    out = write_results(args.name, {"runtime": args.runtime, "sets": results})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
