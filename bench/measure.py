"""Timing helpers: latencies per call, and their percentiles."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Sequence
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


def timed(items: Iterable[T], call: Callable[[T], object]) -> list[float]:
    """Seconds each ``call(item)`` took, in order, with the garbage collector paused (it is measured apart, by
    memory)."""
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
    return samples


def summary(samples: Sequence[float]) -> Latency:
    """Percentiles and mean of samples in seconds, in microseconds."""
    ordered = sorted(samples)
    n = len(ordered)
    return Latency(
        p50=ordered[n // 2] * 1e6,
        p99=ordered[min(n - 1, int(n * 0.99))] * 1e6,
        mean=sum(ordered) / n * 1e6,
        count=n,
    )


def latencies(items: Iterable[T], call: Callable[[T], object]) -> Latency:
    """Time ``call(item)`` for each item (see :func:`timed`)."""
    return summary(timed(items, call))


def mean_us(samples: Sequence[float]) -> float:
    return sum(samples) / len(samples) * 1e6
