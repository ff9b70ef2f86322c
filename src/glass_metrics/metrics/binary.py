"""Binary classification at a threshold, plus ROC-AUC and PR-AUC from score histograms.

A score equal to the threshold counts as positive. The confusion matrix is exact; the two
AUCs are computed from a fixed-bin histogram of the scores per class, so they equal the exact
values when scores fall on the bin grid and are otherwise within about one bin's share of
tied pairs (well under 1e-3 with the default 16384 bins).

Each figure's ``n`` is the count it rests on: all samples for accuracy, balanced accuracy,
MCC and ROC-AUC; predicted positives for precision; actual positives for recall and PR-AUC;
``tp + fp + fn`` for F1. Intervals: Wilson (accuracy, precision, recall), normal (balanced
accuracy), delta method over the multinomial confusion cells (F1), Fisher z (MCC),
Hanley-McNeil (ROC-AUC) and logit-normal (PR-AUC). A metric whose denominator is zero is NaN
with an ``undefined-metric`` finding and an :class:`UndefinedMetricWarning`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glass_metrics.metrics._common import (
    MetricInputError,
    as_1d,
    blocks,
    check_same_length,
    find_nonfinite,
    find_not_binary,
    find_outside,
    raise_problems,
    undefined,
)
from glass_metrics.metrics.intervals import (
    delta_multinomial,
    fisher_z,
    hanley_mcneil,
    logit,
    normal,
    wilson,
)
from glass_metrics.metrics.types import Finding, MetricValue

BINARY_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "balanced_accuracy",
    "mcc",
    "roc_auc",
    "pr_auc",
)
DEFAULT_BINS = 1 << 14
_BLOCK = 1 << 16


@dataclass
class BinaryResult:
    """Figures of one binary evaluation: metrics by name, the confusion matrix, findings."""

    metrics: dict[str, MetricValue]
    confusion: dict[str, int]
    findings: list[Finding] = field(default_factory=list)


class BinaryState:
    """Confusion counts at ``threshold`` and per-class score histograms over [0, 1].

    ``n_bins`` should be a power of two: ``floor(score * n_bins)`` is then exact in any float
    type, so the histogram never misorders two scores. When moreover the threshold lies on
    the bin grid (0.5 does), the confusion matrix is read exactly from the histogram;
    otherwise it is counted separately.
    """

    def __init__(self, threshold: float = 0.5, n_bins: int = DEFAULT_BINS) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise MetricInputError(f"'threshold': expected a value in [0, 1], got {threshold!r}")
        if n_bins < 2:
            raise MetricInputError(f"'n_bins': expected at least 2, got {n_bins!r}")
        self.threshold = float(threshold)
        self.n_bins = int(n_bins)
        self.hist = np.zeros((self.n_bins, 2), dtype=np.int64)
        self._counts = np.zeros(4, dtype=np.int64)  # tp, fp, tn, fn when off the grid
        edge = self.threshold * self.n_bins
        on_grid = self.n_bins & (self.n_bins - 1) == 0 and edge == int(edge) and threshold < 1
        self._grid_bin = int(edge) if on_grid else None

    @property
    def n(self) -> int:
        """Samples seen so far."""
        return int(self.hist.sum())

    def __len__(self) -> int:
        return self.n

    def update(self, y_true: Any, y_score: Any) -> BinaryState:
        """Add labels in {0, 1} and scores in [0, 1] (both shape (n,)); returns ``self``."""
        y = as_1d(y_true, "y_true")
        s = as_1d(y_score, "y_score")
        check_same_length(y, s, ("y_true", "y_score"))
        if s.dtype.kind != "f":
            s = s.astype(np.float64)

        saved = self.to_dict()
        index = np.empty(min(len(s), _BLOCK), dtype=np.intp)
        for sl in blocks(len(s), _BLOCK):
            if not self._update_block(y[sl], s[sl], index[: sl.stop - sl.start]):
                self.__dict__.update(BinaryState.from_dict(saved).__dict__)
                problems = find_nonfinite(y, "y_true") + find_nonfinite(s, "y_score")
                problems += find_not_binary(y, "y_true") + find_outside(s, "y_score", 0.0, 1.0)
                raise_problems(problems)
        return self

    def _update_block(self, y: np.ndarray, s: np.ndarray, index: np.ndarray) -> bool:
        """Add one block; False (and nothing added) when it holds an invalid value."""
        if len(s) == 0:
            return True
        if not (0.0 <= s.min() and s.max() <= 1.0):
            return False
        positive = _as_labels(y)
        if positive is None:
            return False
        if self._grid_bin is None:
            self._count(positive, s >= self.threshold)

        # A score of exactly 1 lands in an extra bin that is folded into the top one.
        np.copyto(index, np.multiply(s, self.n_bins), casting="unsafe")
        index <<= 1
        index += positive
        counts = np.bincount(index, minlength=2 * self.n_bins + 2).reshape(-1, 2)
        self.hist += counts[:-1]
        self.hist[-1] += counts[-1]
        return True

    def _count(self, positive: np.ndarray, predicted: np.ndarray) -> None:
        n_pos, n_pred = int(np.count_nonzero(positive)), int(np.count_nonzero(predicted))
        tp = int(np.count_nonzero(predicted & (positive != 0)))
        self._counts += [tp, n_pred - tp, len(predicted) - n_pred - n_pos + tp, n_pos - tp]

    def merge(self, other: BinaryState) -> BinaryState:
        """Add ``other``'s samples into this state (which is returned); ``other`` is unchanged."""
        if (other.threshold, other.n_bins) != (self.threshold, self.n_bins):
            raise MetricInputError(
                f"cannot merge a state with threshold {other.threshold} and {other.n_bins} bins "
                f"into one with threshold {self.threshold} and {self.n_bins} bins"
            )
        self._counts += other._counts
        self.hist += other.hist
        return self

    @property
    def confusion(self) -> dict[str, int]:
        """The confusion matrix at the threshold (a score equal to it counts positive)."""
        if self._grid_bin is None:
            tp, fp, tn, fn = (int(c) for c in self._counts)
        else:
            fp, tp = (int(c) for c in self.hist[self._grid_bin :].sum(axis=0))
            neg, pos = (int(c) for c in self.hist.sum(axis=0))
            tn, fn = neg - fp, pos - tp
        return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}

    def compute(self) -> BinaryResult:
        """Every figure with its interval; raises ``MetricInputError`` when there is no sample."""
        if self.n == 0:
            raise MetricInputError("no samples: binary metrics need at least one")
        findings: list[Finding] = []
        c = self.confusion
        metrics = _threshold_metrics(c["tp"], c["fp"], c["tn"], c["fn"], self.threshold, findings)
        metrics["roc_auc"] = _roc_auc(self.hist, findings)
        metrics["pr_auc"] = _average_precision(self.hist, findings)
        return BinaryResult(metrics, self.confusion, findings)

    def pr_curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Precision, recall and ascending thresholds at each occupied bin's lower edge.

        At threshold ``t`` a sample counts as positive when its score is at least ``t``.
        Precision is NaN where nothing is predicted positive, recall NaN with no positives.
        """
        occupied = np.flatnonzero(self.hist.sum(axis=1))
        tail = np.cumsum(self.hist[::-1], axis=0)[::-1]
        tp, fp = tail[occupied, 1].astype(float), tail[occupied, 0].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = tp / (tp + fp)
            recall = tp / self.hist[:, 1].sum() if self.hist[:, 1].sum() else tp * math.nan
        return precision, recall, occupied / self.n_bins

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (sparse histogram); :meth:`from_dict` restores it exactly."""
        flat = self.hist.ravel()
        index = np.flatnonzero(flat)
        return {
            "kind": "binary",
            "threshold": self.threshold,
            "n_bins": self.n_bins,
            "confusion": self.confusion,
            "hist": {"index": index.tolist(), "count": flat[index].tolist()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BinaryState:
        """The state written by :meth:`to_dict`."""
        if data.get("kind") != "binary":
            raise MetricInputError(f"expected a binary state, got kind {data.get('kind')!r}")
        state = cls(data["threshold"], data["n_bins"])
        state._counts[:] = [int(data["confusion"][key]) for key in ("tp", "fp", "tn", "fn")]
        flat = state.hist.ravel()
        flat[np.asarray(data["hist"]["index"], dtype=np.intp)] = data["hist"]["count"]
        return state


def _as_labels(y: np.ndarray) -> np.ndarray | None:
    """``y`` as something that adds 0 or 1 to an index, or None when it holds other values."""
    if y.dtype == np.bool_:
        return y
    if y.dtype.kind in "iu":
        return y if y.min() >= 0 and y.max() <= 1 else None
    positive = y != 0
    return positive if np.count_nonzero(y == 1) == np.count_nonzero(positive) else None


def _ratio(name: str, hits: int, total: int, reason: str, findings: list[Finding]) -> MetricValue:
    if total == 0:
        return undefined(name, 0, reason, findings)
    return MetricValue(hits / total, total, *wilson(hits, total), "wilson")


def _threshold_metrics(
    tp: int, fp: int, tn: int, fn: int, threshold: float, findings: list[Finding]
) -> dict[str, MetricValue]:
    n, pos = tp + fp + tn + fn, tp + fn
    return {
        "accuracy": _ratio("accuracy", tp + tn, n, "no samples", findings),
        "precision": _ratio(
            "precision", tp, tp + fp, f"no sample scored at or above {threshold}", findings
        ),
        "recall": _ratio("recall", tp, pos, "no positive labels", findings),
        "f1_score": _f1(tp, fp, tn, fn, findings),
        "balanced_accuracy": _balanced_accuracy(tp, fn, tn, fp, findings),
        "mcc": _mcc(tp, fp, tn, fn, findings),
    }


def _f1(tp: int, fp: int, tn: int, fn: int, findings: list[Finding]) -> MetricValue:
    denom = 2 * tp + fp + fn
    if denom == 0:
        return undefined("f1_score", 0, "no positive labels and no positive predictions", findings)
    n = tp + fp + tn + fn
    f1 = 2 * tp / denom
    grad = np.array([2 * (fp + fn), -2 * tp, -2 * tp, 0.0]) * n / denom**2
    se = delta_multinomial(grad, np.array([tp, fp, fn, tn]) / n, n)
    return MetricValue(f1, tp + fp + fn, *normal(f1, se, 0.0, 1.0), "delta method (multinomial)")


def _balanced_accuracy(tp: int, fn: int, tn: int, fp: int, findings: list[Finding]) -> MetricValue:
    pos, neg = tp + fn, tn + fp
    if pos == 0 or neg == 0:
        missing = "positive" if pos == 0 else "negative"
        return undefined("balanced_accuracy", pos + neg, f"no {missing} labels", findings)
    tpr, tnr = tp / pos, tn / neg
    value = (tpr + tnr) / 2
    se = math.sqrt(tpr * (1 - tpr) / pos + tnr * (1 - tnr) / neg) / 2
    return MetricValue(value, pos + neg, *normal(value, se, 0.0, 1.0), "normal approximation")


def _mcc(tp: int, fp: int, tn: int, fn: int, findings: list[Finding]) -> MetricValue:
    n = tp + fp + tn + fn
    margins = [tp + fp, tn + fn, tp + fn, tn + fp]
    if min(margins) == 0:
        names = [
            "positive predictions",
            "negative predictions",
            "positive labels",
            "negative labels",
        ]
        absent = ", ".join(nm for nm, m in zip(names, margins, strict=True) if m == 0)
        return undefined("mcc", n, f"no {absent}", findings)
    denom = math.sqrt(float(margins[0]) * margins[1] * margins[2] * margins[3])
    value = (float(tp) * tn - float(fp) * fn) / denom
    return MetricValue(value, n, *fisher_z(value, n), "fisher z")


def _descending(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    neg, pos = hist[::-1, 0].astype(np.float64), hist[::-1, 1].astype(np.float64)
    return neg, pos, int(hist[:, 1].sum()), int(hist[:, 0].sum())


def _roc_auc(hist: np.ndarray, findings: list[Finding]) -> MetricValue:
    neg, pos, n_pos, n_neg = _descending(hist)
    if n_pos == 0 or n_neg == 0:
        missing = "positive" if n_pos == 0 else "negative"
        return undefined("roc_auc", n_pos + n_neg, f"no {missing} labels", findings)
    above = np.cumsum(pos) - pos
    auc = float(neg @ (above + pos / 2)) / (n_pos * n_neg)
    return MetricValue(
        auc, n_pos + n_neg, *hanley_mcneil(auc, n_pos, n_neg), "histogram; hanley-mcneil"
    )


def _average_precision(hist: np.ndarray, findings: list[Finding]) -> MetricValue:
    neg, pos, n_pos, n_neg = _descending(hist)
    if n_pos == 0:
        return undefined("pr_auc", n_pos + n_neg, "no positive labels", findings)
    tp, seen = np.cumsum(pos), np.cumsum(pos + neg)
    hit = pos > 0
    ap = float(np.sum(pos[hit] * tp[hit] / seen[hit])) / n_pos
    return MetricValue(ap, n_pos, *logit(ap, n_pos), "histogram; logit normal")


__all__ = ["BINARY_METRICS", "DEFAULT_BINS", "BinaryResult", "BinaryState"]
