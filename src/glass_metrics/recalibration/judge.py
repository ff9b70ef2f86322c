"""Judging a calibration on data it was not fitted on: paired figures with block bootstrap.

Before and after are computed on the same rows, and the interval of the *improvement* comes
from a moving-block bootstrap of those rows (blocks keep the autocorrelation of a sensor
stream; neighbouring LSTM windows share most of their readings). A calibration is better
only when the improvement's 95 % lower bound exceeds the margin (a fraction of the figure
before), so noise alone never promotes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from glass_metrics.metrics.types import MetricValue

BOOT_METHOD = "paired moving-block bootstrap, 95 % percentile interval"


def sigmoid_np(z: np.ndarray) -> np.ndarray:
    """The logistic function in float64, without overflow."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def mse_error(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error over every row and output."""
    return float(np.mean((y - p) ** 2))


def calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error over equal-width bins, averaged over outputs.

    The same definition as :class:`glass_metrics.metrics.CalibrationState`: per output,
    ``sum_b n_b / n * |mean p_b - mean y_b|`` with fractional targets allowed.
    """
    y2, p2 = y.reshape(len(y), -1), p.reshape(len(p), -1)
    bins = np.minimum((p2 * n_bins).astype(int), n_bins - 1)
    errors = []
    for j in range(p2.shape[1]):
        gap = np.bincount(bins[:, j], weights=p2[:, j] - y2[:, j], minlength=n_bins)
        errors.append(np.abs(gap).sum() / len(p2))
    return float(np.mean(errors))


def f1_score(y: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of the positive class; 0 when nothing is predicted positive (the labels hold some)."""
    tp = float(np.sum(y & predicted))
    denominator = float(np.sum(y) + np.sum(predicted))
    return 2 * tp / denominator if denominator else math.nan


@dataclass(frozen=True)
class Comparison:
    """One figure before and after calibration, and its paired improvement.

    ``improvement`` is positive when the calibration helped (lower error, higher score).
    """

    metric: str
    before: MetricValue
    after: MetricValue
    improvement: float
    improvement_ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "improvement": self.improvement,
            "improvement_ci95": list(self.improvement_ci),
        }

    def significant_gain(self, margin: float) -> bool:
        """The improvement's lower bound is above ``margin`` times the figure before."""
        return self.improvement_ci[0] > margin * abs(self.before.value)

    def significant_loss(self) -> bool:
        """The improvement's upper bound is below zero: the calibration made it worse.

        Differences within float rounding (1e-12 of the figure) do not count.
        """
        return self.improvement_ci[1] < -1e-12 * max(abs(self.before.value), 1.0)

    def describe(self) -> str:
        low, high = self.improvement_ci
        return (
            f"{self.metric} {self.before.value:.4g} -> {self.after.value:.4g} "
            f"(improvement {self.improvement:.3g}, 95 % CI [{low:.3g}, {high:.3g}])"
        )


def compare(
    metric: str,
    figure: Callable[[np.ndarray], float],
    after_figure: Callable[[np.ndarray], float],
    n: int,
    *,
    lower_is_better: bool,
    block: int,
    n_boot: int = 400,
    seed: int = 0,
) -> Comparison:
    """Compare ``figure`` (before) with ``after_figure`` on rows ``0..n-1``, paired by row.

    Each callable takes an index array and returns the figure on those rows.
    """
    everything = np.arange(n)
    before, after = figure(everything), after_figure(everything)
    samples = np.array(
        [(figure(i), after_figure(i)) for i in _block_indices(n, block, n_boot, seed)]
    )
    sign = 1.0 if lower_is_better else -1.0
    gains = sign * (samples[:, 0] - samples[:, 1])
    return Comparison(
        metric=metric,
        before=_value(before, samples[:, 0], n),
        after=_value(after, samples[:, 1], n),
        improvement=sign * (before - after),
        improvement_ci=_interval(gains),
    )


def _block_indices(n: int, block: int, n_boot: int, seed: int):
    """Index arrays of moving-block bootstrap resamples of ``n`` rows."""
    rng = np.random.default_rng(seed)
    block = max(1, min(block, n))
    n_blocks = math.ceil(n / block)
    offsets = np.arange(block)
    for _ in range(n_boot):
        starts = rng.integers(0, n - block + 1, size=n_blocks)
        yield (starts[:, None] + offsets).ravel()[:n]


def _interval(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (math.nan, math.nan)
    low, high = np.percentile(finite, [2.5, 97.5])
    return (float(low), float(high))


def _value(value: float, samples: np.ndarray, n: int) -> MetricValue:
    low, high = _interval(samples)
    return MetricValue(value=value, n=n, ci_low=low, ci_high=high, method=BOOT_METHOD)
