"""Calibration of predicted probabilities: reliability bins and expected calibration error.

Targets are observed frequencies in [0, 1]: 0/1 labels or fractions such as an observed
defect rate. Per output and per equal-width bin the state keeps the count and the sums of
the prediction, the target and the squared residual, so states merge exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glass_metrics.metrics._common import (
    MetricInputError,
    as_2d,
    blocks,
    check_same_length,
    find_nonfinite,
    find_outside,
    raise_problems,
    undefined,
)
from glass_metrics.metrics.intervals import normal
from glass_metrics.metrics.types import Finding, MetricValue

ECE_METHOD = "normal approximation over bins (ignores the upward bias of |gap|)"
_SUMS = ("count", "s_p", "s_y", "s_r2")


@dataclass
class CalibrationResult:
    """ECE averaged over outputs and per output, the reliability bins, and findings."""

    ece: MetricValue
    per_output: dict[str, MetricValue]
    bins: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


class CalibrationState:
    """Reliability-diagram statistics over ``n_bins`` equal-width bins of [0, 1] per output.

    ECE is ``sum_b (n_b / n) * |mean predicted_b - mean observed_b|``.
    """

    def __init__(self, n_bins: int = 15, outputs: Sequence[str] = ("y",)) -> None:
        if n_bins < 1:
            raise MetricInputError(f"'n_bins': expected at least 1, got {n_bins!r}")
        self.n_bins = int(n_bins)
        self.outputs = [str(o) for o in outputs]
        if not self.outputs or len(set(self.outputs)) != len(self.outputs):
            raise MetricInputError(f"'outputs': expected distinct names, got {self.outputs!r}")
        self.n = 0
        shape = (len(self.outputs), self.n_bins)
        self.count = np.zeros(shape)
        self.s_p = np.zeros(shape)
        self.s_y = np.zeros(shape)
        self.s_r2 = np.zeros(shape)

    def __len__(self) -> int:
        return self.n

    def update(self, y_true: Any, y_prob: Any) -> CalibrationState:
        """Add observed targets and predicted probabilities, both in [0, 1]; returns ``self``."""
        k = len(self.outputs)
        y = as_2d(y_true, "y_true", k)
        p = as_2d(y_prob, "y_prob", k)
        check_same_length(y, p, ("y_true", "y_prob"))
        problems = find_nonfinite(y, "y_true") + find_nonfinite(p, "y_prob")
        problems += find_outside(y, "y_true", 0.0, 1.0) + find_outside(p, "y_prob", 0.0, 1.0)
        raise_problems(problems)

        for sl in blocks(len(y), 1 << 16):
            self._update_block(y[sl].astype(np.float64), p[sl].astype(np.float64))
        self.n += len(y)
        return self

    def _update_block(self, y: np.ndarray, p: np.ndarray) -> None:
        k, nb = len(self.outputs), self.n_bins
        index = np.minimum((p * nb).astype(np.intp), nb - 1) + np.arange(k) * nb
        index = index.ravel()
        size = k * nb
        residual = y - p
        self.count += np.bincount(index, minlength=size).reshape(k, nb)
        self.s_p += np.bincount(index, p.ravel(), size).reshape(k, nb)
        self.s_y += np.bincount(index, y.ravel(), size).reshape(k, nb)
        self.s_r2 += np.bincount(index, (residual * residual).ravel(), size).reshape(k, nb)

    def merge(self, other: CalibrationState) -> CalibrationState:
        """Add ``other``'s samples into this state (which is returned); ``other`` is unchanged."""
        if (other.n_bins, other.outputs) != (self.n_bins, self.outputs):
            raise MetricInputError(
                f"cannot merge a state with {other.n_bins} bins over {other.outputs!r} into "
                f"one with {self.n_bins} bins over {self.outputs!r}"
            )
        for name in _SUMS:
            getattr(self, name)[:] += getattr(other, name)
        self.n += other.n
        return self

    def compute(self) -> CalibrationResult:
        """ECE with its interval per output and averaged; raises when there is no sample."""
        if self.n == 0:
            raise MetricInputError("no samples: calibration needs at least one")
        findings: list[Finding] = []
        per_output = {name: self._ece(j) for j, name in enumerate(self.outputs)}
        values = [v for v in per_output.values() if math.isfinite(v.value)]
        if values:
            ece = MetricValue(
                float(np.mean([v.value for v in values])),
                self.n,
                float(np.mean([v.ci_low for v in values])),
                float(np.mean([v.ci_high for v in values])),
                ECE_METHOD if len(values) == 1 else "mean of per-output bounds (conservative)",
            )
        else:
            ece = undefined("ece", self.n, "no samples", findings)
        return CalibrationResult(ece, per_output, self._bins(), findings)

    def _ece(self, j: int) -> MetricValue:
        count = self.count[j]
        used = count > 0
        c = count[used]
        gap = (self.s_p[j][used] - self.s_y[j][used]) / c
        ece = float(np.sum(c * np.abs(gap))) / self.n
        var_in_bin = np.maximum(self.s_r2[j][used] / c - gap * gap, 0.0)
        se = math.sqrt(float(np.sum(c * var_in_bin))) / self.n
        return MetricValue(ece, self.n, *normal(ece, se, 0.0, 1.0), ECE_METHOD)

    def _bins(self) -> dict[str, Any]:
        """Bin edges, counts, mean predicted and mean observed per output (null if empty)."""
        edges = np.linspace(0.0, 1.0, self.n_bins + 1)
        out: dict[str, Any] = {"edges": edges.tolist(), "outputs": {}}
        for j, name in enumerate(self.outputs):
            count = self.count[j]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_p, mean_y = self.s_p[j] / count, self.s_y[j] / count
            out["outputs"][name] = {
                "count": count.astype(int).tolist(),
                "mean_predicted": _nullable(mean_p, count),
                "mean_observed": _nullable(mean_y, count),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the state; :meth:`from_dict` restores it exactly."""
        return {
            "kind": "calibration",
            "n_bins": self.n_bins,
            "outputs": self.outputs,
            "n": self.n,
            "sums": {name: getattr(self, name).tolist() for name in _SUMS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationState:
        """The state written by :meth:`to_dict`."""
        if data.get("kind") != "calibration":
            raise MetricInputError(f"expected a calibration state, got kind {data.get('kind')!r}")
        state = cls(data["n_bins"], data["outputs"])
        state.n = int(data["n"])
        for name in _SUMS:
            setattr(state, name, np.asarray(data["sums"][name], dtype=np.float64))
        return state


def _nullable(values: np.ndarray, count: np.ndarray) -> list[float | None]:
    """Per-bin means as JSON: an empty bin has no mean (null)."""
    return [None if c == 0 else float(v) for c, v in zip(count, values, strict=True)]


__all__ = ["CalibrationResult", "CalibrationState"]
