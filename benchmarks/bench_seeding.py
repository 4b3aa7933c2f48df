"""Monte Carlo seeding cost: spawning every run's seed per batch (before) vs one seed per run (now).

Before, every batch called ``SeedSequence(seed).spawn(runs)`` and used the children of
its own runs, so seeding cost batches × runs = runs² / batch_size.  Now run ``i`` gets
``SeedSequence(seed, spawn_key=(i,))`` (:func:`allychain.simulate.montecarlo.run_seed`),
the same child, in constant time.  Both sides also build each run's generator
(``default_rng``), as the batch does.  The script checks that both give the same first
draws for every run, then prints the seeding time per run count and the ratio.

The old way at 100,000 runs takes about 20 minutes on 2 cores; with ``--sample-batches N``
(default 8) it is timed over N evenly spread batches and scaled to all batches (said so in
the output).  Pure computation: no files, no network.

    python benchmarks/bench_seeding.py --runs 1000 10000 100000 --batch-size 128
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from allychain.simulate.montecarlo import run_seed


def _old(seed: int, runs: int, batch: list[int]) -> list[np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(runs)
    return [np.random.default_rng(children[i]) for i in batch]


def _new(seed: int, batch: list[int]) -> list[np.random.Generator]:
    return [np.random.default_rng(run_seed(seed, i)) for i in batch]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample-batches", type=int, default=8,
                    help="time the old way over this many batches when it would take over a minute")
    a = ap.parse_args()
    print(f"{'runs':>8} {'batches':>8} {'old s':>10} {'new s':>8} {'ratio':>8}  note")
    for runs in a.runs:
        batches = [list(range(i, min(runs, i + a.batch_size))) for i in range(0, runs, a.batch_size)]
        # identical streams: the first draw of every run
        for b in (batches[0], batches[-1]):
            assert [g.random() for g in _old(a.seed, runs, b)] == [g.random() for g in _new(a.seed, b)]
        t = time.perf_counter()
        for b in batches:
            _new(a.seed, b)
        new = time.perf_counter() - t
        # the old way: all batches when cheap, else a spread sample scaled up
        t = time.perf_counter()
        _old(a.seed, runs, batches[0])
        one = time.perf_counter() - t
        if one * len(batches) <= 60 or a.sample_batches >= len(batches):
            t = time.perf_counter()
            for b in batches:
                _old(a.seed, runs, b)
            old, note = time.perf_counter() - t, "all batches timed"
        else:
            pick = np.linspace(0, len(batches) - 1, a.sample_batches).round().astype(int)
            t = time.perf_counter()
            for j in pick:
                _old(a.seed, runs, batches[j])
            old = (time.perf_counter() - t) / len(pick) * len(batches)
            note = f"old timed over {len(pick)} of {len(batches)} batches, scaled"
        print(f"{runs:>8} {len(batches):>8} {old:>10.2f} {new:>8.2f} {old / new:>7.1f}x  {note}", flush=True)


if __name__ == "__main__":
    main()
