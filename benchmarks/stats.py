"""Figures: a median with its min and max over repetitions, and ratios taken pair by pair."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """The median of ``n`` samples, with the min and max. ``estimate`` marks a figure that was not measured."""

    median: float
    min: float
    max: float
    n: int
    estimate: bool = False

    @classmethod
    def of(cls, samples: Sequence[float]) -> Figure | None:
        """The figure of the samples (None for no samples)."""
        if not samples:
            return None
        values = [float(s) for s in samples]
        return cls(statistics.median(values), min(values), max(values), len(values))

    @classmethod
    def estimated(cls, value: float) -> Figure:
        return cls(value, value, value, 0, estimate=True)

    def scaled(self, factor: float) -> Figure:
        return Figure(self.median * factor, self.min * factor, self.max * factor, self.n, self.estimate)

    def to_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n, "estimate": self.estimate}


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Figure | None:
    """``numerators[i] / denominators[i]`` for each pair measured on the same run (unpaired extras are dropped)."""
    ratios = [a / b for a, b in zip(numerators, denominators, strict=False) if b > 0]
    return Figure.of(ratios)


def to_json(value: Figure | None) -> dict[str, Any] | None:
    return None if value is None else value.to_json()
