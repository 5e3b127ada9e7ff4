"""Timing helpers: latencies per call, and their percentiles."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Latency:
    """Per-call latencies in microseconds."""

    p50: float
    p99: float
    mean: float
    count: int

    @property
    def per_second(self) -> float:
        return 1e6 / self.mean if self.mean else 0.0


def latencies(items: Iterable[T], call: Callable[[T], object]) -> Latency:
    """Time ``call(item)`` for each item, with the garbage collector paused (it is measured apart, by memory)."""
    samples: list[float] = []
    clock = time.perf_counter
    gc.collect()
    gc.disable()
    try:
        for item in items:
            start = clock()
            call(item)
            samples.append(clock() - start)
    finally:
        gc.enable()
    samples.sort()
    n = len(samples)
    return Latency(
        p50=samples[n // 2] * 1e6, p99=samples[min(n - 1, int(n * 0.99))] * 1e6, mean=sum(samples) / n * 1e6, count=n
    )
