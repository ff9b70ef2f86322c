"""Calibrators fitted on a labelled window: per-defect Platt scaling and a decision threshold.

Pure numpy; the ONNX graph that applies them is built in :mod:`.onnx_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PlattParams:
    """Per-output Platt scaling: calibrated logit ``a * logit + b``, probability its sigmoid."""

    a: np.ndarray
    b: np.ndarray
    outputs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (as written to the model's ``calibration`` metadata)."""
        return {
            "method": "platt",
            "outputs": list(self.outputs),
            "a": [float(v) for v in self.a],
            "b": [float(v) for v in self.b],
        }


@dataclass(frozen=True)
class ThresholdParams:
    """A decision threshold on ``anomaly_probability`` (a score equal to it counts positive)."""

    threshold: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (as written to the model's ``calibration`` metadata)."""
        return {"method": "threshold", "threshold": self.threshold, "rule": self.rule}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large ``|z|``."""
    return np.exp(-np.logaddexp(0.0, -z))


def fit_platt_1d(
    logits: np.ndarray, targets: np.ndarray, *, l2: float = 1e-4, max_iter: int = 100
) -> tuple[float, float]:
    """Fit ``a, b`` minimising the mean log-loss of ``sigmoid(a * logits + b)`` to ``targets``.

    ``targets`` may be fractions in [0, 1] (observed defect rates). A small ``l2`` penalty
    pulls ``(a, b)`` towards the identity ``(1, 0)`` so that a constant target stays finite.
    Newton's method with backtracking; the loss is convex, so it converges from ``(1, 0)``.
    """
    z = np.asarray(logits, dtype=np.float64).ravel()
    y = np.asarray(targets, dtype=np.float64).ravel()
    theta = np.array([1.0, 0.0])
    loss = _platt_loss(theta, z, y, l2)

    for _ in range(max_iter):
        p = sigmoid(theta[0] * z + theta[1])
        features = np.stack([z, np.ones_like(z)], axis=1)
        grad = features.T @ (p - y) / len(z) + l2 * (theta - [1.0, 0.0])
        weight = p * (1 - p)
        hessian = (features * weight[:, None]).T @ features / len(z) + l2 * np.eye(2)
        step = np.linalg.solve(hessian, grad)

        scale = 1.0
        while scale > 1e-6:
            candidate = theta - scale * step
            new_loss = _platt_loss(candidate, z, y, l2)
            if new_loss <= loss:
                break
            scale /= 2
        if loss - new_loss < 1e-12 or scale <= 1e-6:
            theta, loss = (candidate, new_loss) if new_loss <= loss else (theta, loss)
            break
        theta, loss = candidate, new_loss
    return float(theta[0]), float(theta[1])


def _platt_loss(theta: np.ndarray, z: np.ndarray, y: np.ndarray, l2: float) -> float:
    s = theta[0] * z + theta[1]
    # log(1 + e^s) - y * s is the log-loss of sigmoid(s) against target y, written stably.
    data = np.mean(np.logaddexp(0.0, s) - y * s)
    return float(data + 0.5 * l2 * np.sum((theta - [1.0, 0.0]) ** 2))


def fit_platt(logits: np.ndarray, targets: np.ndarray, outputs: list[str]) -> PlattParams:
    """Platt scaling fitted per output column of ``logits``/``targets`` ``(n, k)``."""
    if logits.shape != targets.shape or logits.shape[1] != len(outputs):
        raise ValueError(
            f"logits {logits.shape} and targets {targets.shape} must both be (n, {len(outputs)})"
        )
    fitted = [fit_platt_1d(logits[:, j], targets[:, j]) for j in range(len(outputs))]
    a, b = (np.array(v, dtype=np.float32) for v in zip(*fitted, strict=True))
    return PlattParams(a=a, b=b, outputs=tuple(outputs))


def apply_platt(logits: np.ndarray, params: PlattParams) -> tuple[np.ndarray, np.ndarray]:
    """The calibrated logits and probabilities, computed in float32 as the ONNX graph does."""
    calibrated = logits.astype(np.float32) * params.a + params.b
    return calibrated, sigmoid(calibrated.astype(np.float64)).astype(np.float32)


def fit_threshold(
    labels: np.ndarray, scores: np.ndarray, *, target_recall: float | None = None
) -> ThresholdParams:
    """The threshold with the best F1 on ``labels``, or the highest reaching ``target_recall``.

    The threshold is placed halfway between two neighbouring distinct scores, so a tiny
    change in a score does not flip a decision. Raises ``ValueError`` with no positive label.
    """
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if not y.any():
        raise ValueError("cannot tune a threshold on a window without any anomaly")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    last_of_group = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp = np.cumsum(y_sorted)[last_of_group]
    predicted = np.flatnonzero(last_of_group) + 1
    recall = tp / y.sum()
    f1 = 2 * tp / (predicted + y.sum())

    if target_recall is None:
        best, rule = int(np.argmax(f1)), "best F1"
    else:
        best, rule = int(np.argmax(recall >= target_recall)), f"recall >= {target_recall}"
    cut = s_sorted[last_of_group]
    below = cut[best + 1] if best + 1 < len(cut) else max(cut[best] - 1e-3, 0.0)
    return ThresholdParams(threshold=float((cut[best] + below) / 2), rule=rule)
