"""Hand-built evaluation results for the sink tests: one LSTM and one GNN, awkward parts included.

Each has breakdowns, an undefined (NaN) figure and findings; the figures change with the
sequence number so that a history of two evaluations is two different points.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.metrics.types import Finding, MetricValue

DEFECTS = ("bubbles", "stones", "cords", "tin_defects", "distortion", "cracks")
ZONES = ("furnace", "refiner", "tin_bath", "lehr")
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _mv(value: float, n: int, half: float = 0.01) -> MetricValue:
    if math.isnan(value):
        return MetricValue(math.nan, n, method="bootstrap")
    return MetricValue(value, n, value - half, value + half, "bootstrap")


def lstm_result(sequence: int = 1, split: str = "test") -> EvaluationResult:
    """An LSTM result whose R2 is undefined and whose figures depend on ``sequence``."""
    shift = 0.001 * sequence
    n = 1200 + sequence
    metrics = {
        "mse": _mv(0.0123 + shift, n),
        "mae": _mv(0.0871 + shift, n),
        "rmse": _mv(math.sqrt(0.0123 + shift), n),
        "r2_score": _mv(math.nan, n),
        "ece": _mv(0.031 + shift, n),
    }
    defects = {
        d: {"mse": _mv(0.01 * (i + 1) + shift, n), "r2_score": _mv(0.5 - 0.05 * i, n)}
        for i, d in enumerate(DEFECTS)
    }
    return EvaluationResult(
        kind="lstm",
        experiment="LSTM_ONNX_Evaluation",
        model_name="glass-defect-lstm",
        model_version=str(sequence),
        model_sha256="a" * 64,
        dataset="plant-seed-7",
        dataset_sha256="b" * 64,
        split=split,
        n_samples=n,
        metrics=metrics,
        breakdowns={"defect": defects},
        calibration={"bins": [0.0, 0.5, 1.0]},
        findings=(Finding("warning", "undefined-metric", "R2 of a constant target", "r2_score"),),
        timestamp=START + timedelta(hours=sequence),
        sequence=sequence,
    )


def gnn_result(sequence: int = 1, split: str = "test") -> EvaluationResult:
    """A GNN result with a PR curve, zone breakdowns, an undefined MCC and two findings."""
    shift = 0.01 * sequence
    n = 3000 + sequence
    names = ("accuracy", "precision", "recall", "f1_score", "balanced_accuracy", "roc_auc")
    metrics = {name: _mv(0.8 + 0.02 * i - shift, n) for i, name in enumerate(names)}
    metrics["mcc"] = _mv(math.nan, n)
    metrics["pr_auc"] = _mv(0.77 - shift, n)
    zones = {z: {"recall": _mv(0.9 - 0.1 * i + shift, 50 + i)} for i, z in enumerate(ZONES)}
    recall = [1.0, 0.9, 0.7, 0.4, 0.1, 0.0]
    precision = [0.1, 0.4, 0.6, 0.8, 0.9, math.nan]  # nothing scored at the top threshold
    return EvaluationResult(
        kind="gnn",
        experiment="GNN_ONNX_Evaluation",
        model_name="glass-anomaly-gnn",
        model_version="2",
        model_sha256="c" * 64,
        dataset="plant-seed-7",
        dataset_sha256="d" * 64,
        split=split,
        n_samples=n,
        metrics=metrics,
        breakdowns={"zone": zones},
        curves={
            "pr": {"precision": precision, "recall": recall, "thresholds": [0, 0.2, 0.4, 0.6, 0.8]},
            "confusion": {"tp": 300, "fp": 60, "tn": 2600, "fn": 40 + sequence},
        },
        findings=(
            Finding("warning", "undefined-metric", "MCC with an empty row", "mcc"),
            Finding("error", "ratio-out-of-range", "made up for the test", "recall"),
        ),
        timestamp=START + timedelta(hours=sequence, minutes=30),
        sequence=sequence,
    )


def renumbered(result: EvaluationResult, sequence: int) -> EvaluationResult:
    """``result`` with another sequence number."""
    return dataclasses.replace(result, sequence=sequence)
