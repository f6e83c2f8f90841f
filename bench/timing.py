"""Timing helpers shared by the benchmarks (run as scripts: ``python bench/NAME.py``)."""
from __future__ import annotations

import time


def best_of(fn, rounds: int) -> float:
    """Best per-call time over ``rounds`` runs: the least disturbed by a noisy machine."""
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
