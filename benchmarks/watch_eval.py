"""Precision and recall of event extraction per field on the evaluation set (tests/watch/corpus_*.yaml).

    PYTHONPATH=src python benchmarks/watch_eval.py [--errors] [--json]

Prints one table per split (tune, heldout, all).  The held-out texts were written
before the lexicon was tuned and are never used to tune it; see docs/watch.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import allychain
from allychain.watch.evaluate import FIELDS, evaluate, load_corpus

HERE = Path(__file__).resolve().parent
CORPUS = sorted((HERE.parent / "tests" / "watch").glob("corpus_*.yaml"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="also print the differences per text")
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--split", choices=["tune", "heldout", "heldout2", "all"], default=None, help="only this split")
    args = ap.parse_args(argv)
    n = allychain.load("builtin")
    corpus = load_corpus(CORPUS)
    splits = [args.split] if args.split else ["tune", "heldout", "heldout2", "all"]
    results = [evaluate(n, corpus, split=None if s == "all" else s) for s in splits]
    if args.json:
        json.dump(results if args.errors else [{k: v for k, v in r.items() if k != "errors"} for r in results],
                  sys.stdout, indent=2)
        print()
        return 0
    for r in results:
        print(f"\nsplit: {r['split']} ({r['texts']} texts, {r['sentences']} sentences)")
        print(f"{'field':<11}{'precision':>10}{'recall':>8}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
        for f in FIELDS:
            s = r["scores"][f]
            print(f"{f:<11}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}")
        if args.errors:
            for tid, errs in r["errors"].items():
                print(f"  {tid}: " + "; ".join(f"{f} missed {e['missed']} spurious {e['spurious']}"
                                              for f, e in errs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
