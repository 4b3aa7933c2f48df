"""Benchmark of event extraction: sentences per second on 1 and 2 processes, cold start, large and hostile
documents, and two reference points measured in the same run.

* ours: :func:`allychain.watch.extract` on the evaluation texts (tests/watch/corpus_*.yaml), repeated;
* floor: spaCy's blank English tokenizer and sentencizer alone (what any spaCy-based pipeline pays);
* naive dates: ``dateparser.search.search_dates`` per sentence, the usual way of finding dates, which
  our pattern-first date finder replaces (ratio printed).

    PYTHONPATH=src python benchmarks/bench_watch.py [--repeat 40] [--workers 2]

Nothing leaves the machine; the loops are bounded.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = sorted((HERE.parent / "tests" / "watch").glob("corpus_*.yaml"))


_DISTRACTORS: set[str] = set()


def _texts() -> list[tuple[str, str, str]]:
    from allychain.watch.evaluate import load_corpus

    corpus = load_corpus(CORPUS)
    _DISTRACTORS.update(t["id"] for t in corpus if not t["events"])
    return [(t["id"], t["text"], str(t["date"])) for t in corpus]


_NETWORK: list[object] = []


def _network() -> object:
    """The built-in network, loaded once per process (its gazetteer is then built once too)."""
    if not _NETWORK:
        import allychain

        _NETWORK.append(allychain.load("builtin"))
    return _NETWORK[0]


def _work(chunk: list[tuple[str, str, str]]) -> tuple[int, int]:
    from allychain.watch import extract

    n = _network()
    sents = evs = 0
    for name, text, date in chunk:
        x = extract(n, text, date=date, document=name)
        sents += x.sentences
        evs += len(x.events)
    return sents, evs


def _warm(_: int) -> int:
    _work(_texts()[:1])
    return os.getpid()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=40, help="times the evaluation texts are read")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from allychain.watch import TIME_BUDGET, extract
    from allychain.watch.gazetteer import Gazetteer
    from allychain.watch.lexicon import load_lexicon

    texts = _texts()
    n = _network()
    t0 = time.perf_counter()
    g = Gazetteer(n, load_lexicon("en"))  # type: ignore[arg-type]
    t_gaz = time.perf_counter() - t0
    t0 = time.perf_counter()
    extract(n, texts[0][1], date=texts[0][2])  # first call: dateparser's language data, spaCy vocab
    t_first = time.perf_counter() - t0
    print(f"cold: gazetteer {t_gaz:.2f} s ({len(g.entries)} entries); first extraction {t_first:.2f} s")

    work = texts * args.repeat
    t0 = time.perf_counter()
    sents, evs = _work(work)
    t1 = time.perf_counter() - t0
    print(f"1 process : {sents} sentences, {evs} events in {t1:.2f} s -> {sents / t1:,.0f} sentences/s "
          f"({len(work) / t1:,.0f} documents/s)")
    _NETWORK.clear()  # the workers load their own network and gazetteer (outside the timing)
    quiet = [t for t in texts if t[0] in _DISTRACTORS] * (args.repeat * 4)
    t0 = time.perf_counter()
    sq, _ = _work(quiet)
    tq = time.perf_counter() - t0
    print(f"1 process, texts without events (most sentences of real news): {sq / tq:,.0f} sentences/s")
    ctx = mp.get_context("fork")
    with ctx.Pool(args.workers) as pool:
        pool.map(_warm, range(args.workers))  # each worker builds its gazetteer once, outside the timing
        parts = [work[i::args.workers] for i in range(args.workers)]
        t0 = time.perf_counter()
        res = pool.map(_work, parts)
        t2 = time.perf_counter() - t0
    s2 = sum(r[0] for r in res)
    print(f"{args.workers} processes: {s2} sentences in {t2:.2f} s -> {s2 / t2:,.0f} sentences/s "
          f"(x{t1 / t2:.2f} over 1 process)")

    n = _network()
    # floor: tokenizer + sentencizer only
    t0 = time.perf_counter()
    k = 0
    for _, text, _ in work:
        k += len(list(g.nlp.get_pipe("sentencizer")(g.nlp.make_doc(text)).sents))
    tf = time.perf_counter() - t0
    print(f"floor (spaCy tokenizer + sentencizer): {k / tf:,.0f} sentences/s; extraction costs {t1 / tf:.1f}x that")

    # naive dates: dateparser.search.search_dates on each sentence of the texts (once)
    from dateparser.search import search_dates

    sentences = [s.text for _, text, _ in texts for s in g.nlp.get_pipe("sentencizer")(g.nlp.make_doc(text)).sents]
    search_dates("warm up on 1 August 2023", languages=["en"])
    t0 = time.perf_counter()
    for s in sentences:
        search_dates(s, languages=["en"])
    tn = time.perf_counter() - t0
    from allychain.watch.dates import find_dates, resolve

    t0 = time.perf_counter()
    for s in sentences:
        for h in find_dates(s):
            resolve(h, None, False)
    to = time.perf_counter() - t0
    print(f"dates: search_dates {len(sentences) / tn:,.0f} sentences/s; ours {len(sentences) / to:,.0f} sentences/s "
          f"({tn / to:.0f}x faster)")

    # one large document (just under the limit) and one without sentence ends
    body = "\n\n".join(t for _, t, _ in texts)
    big = (body * (1_000_000 // len(body) + 1))[:999_000]
    t0 = time.perf_counter()
    x = extract(n, big, date="2024-01-01")
    print(f"999,000-character document: {x.sentences} sentences, {len(x.events)} events in "
          f"{time.perf_counter() - t0:.1f} s (complete={x.complete})")
    flat = ("gallium export controls on China to Japan from 1 August " * 20_000)[:999_000]
    t0 = time.perf_counter()
    x = extract(n, flat, date="2024-01-01")
    print(f"999,000 characters without a sentence end: {time.perf_counter() - t0:.1f} s "
          f"(complete={x.complete}; the time budget is {TIME_BUDGET:.0f} s)")
    from allychain.errors import TextInputError

    t0 = time.perf_counter()
    try:
        extract(n, "x" * 10_500_000)
    except TextInputError as exc:
        print(f"10.5 MB refused in {1000 * (time.perf_counter() - t0):.0f} ms: {exc}")


if __name__ == "__main__":
    main()
