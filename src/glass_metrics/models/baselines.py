"""Trivial baselines the reference models must beat (numpy only).

- Defects: ridge regression of the defect rates on the readings of the window's last row
  (standardised), i.e. what a model without any memory of the process can do.
- Anomalies: a per-sensor z-score detector; a row is anomalous when any sensor's reading is
  more than a threshold of standard deviations (of the training data) from its mean, the
  threshold chosen for the best F1 on the validation split. It sees no neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RidgeBaseline:
    """Linear defect rates from the last row's readings, clipped to [0, 1]."""

    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, alpha: float = 1.0) -> RidgeBaseline:
        """Fit on windows ``x`` ``(n, window, n_sensors)`` and rates ``y`` ``(n, n_defects)``."""
        last = x[:, -1].astype(np.float64)
        mean, std = last.mean(axis=0), last.std(axis=0) + 1e-9
        design = _with_intercept((last - mean) / std)
        penalty = alpha * np.eye(design.shape[1])
        penalty[-1, -1] = 0.0
        weights = np.linalg.solve(design.T @ design + penalty, design.T @ y)
        return cls(mean, std, weights)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted rates ``(n, n_defects)`` for windows ``x``."""
        design = _with_intercept((x[:, -1].astype(np.float64) - self.mean) / self.std)
        return np.clip(design @ self.weights, 0.0, 1.0)


def _with_intercept(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a, np.ones((len(a), 1))], axis=1)


@dataclass(frozen=True)
class ZScoreBaseline:
    """Flags a row when any sensor's reading is ``threshold`` sigmas away from its mean."""

    mean: np.ndarray
    std: np.ndarray
    threshold: float = 3.0

    @classmethod
    def fit(cls, readings: np.ndarray) -> ZScoreBaseline:
        """Per-sensor mean and standard deviation of training readings ``(n, n_sensors)``."""
        return cls(readings.mean(axis=0), readings.std(axis=0) + 1e-9)

    def score(self, readings: np.ndarray) -> np.ndarray:
        """The largest absolute z-score over the sensors, per row."""
        return np.abs((readings - self.mean) / self.std).max(axis=1)

    def tuned(self, readings: np.ndarray, y: np.ndarray) -> ZScoreBaseline:
        """A copy whose threshold maximises F1 on ``readings`` with labels ``y``."""
        scores = self.score(readings)
        candidates = np.quantile(scores, np.linspace(0.5, 0.995, 100))
        best = max(candidates, key=lambda t: np.nan_to_num(f1_score(y, scores > t)))
        return ZScoreBaseline(self.mean, self.std, float(best))

    def predict(self, readings: np.ndarray) -> np.ndarray:
        """0/1 anomaly flags per row."""
        return (self.score(readings) > self.threshold).astype(np.int8)


def f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of the positive class; NaN when there are neither positives nor predictions."""
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    tp = np.sum(y_true & y_pred)
    denominator = y_true.sum() + y_pred.sum()
    return float(2 * tp / denominator) if denominator else float("nan")


def r2_scores(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """R2 per output column; NaN for a constant target."""
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)
