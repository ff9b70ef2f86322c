"""Hand-built evaluation results for the monitoring tests: one figure per metric asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from glass_metrics.config import REGISTERED_NAMES
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.metrics.types import MetricValue

START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def figure(value: float, n: int = 2000, half: float = 0.01) -> MetricValue:
    """A figure with a symmetric 95 % interval of half-width ``half``."""
    return MetricValue(value, n, value - half, value + half, "test")


def result(
    kind: str = "lstm",
    sequence: int = 1,
    *,
    version: str = "1",
    hours: float | None = None,
    data_end: str | None = None,
    **figures: float | MetricValue,
) -> EvaluationResult:
    """A result of ``kind`` evaluated ``hours`` (default ``sequence``) hours after START."""
    metrics = {k: v if isinstance(v, MetricValue) else figure(v) for k, v in figures.items()}
    return EvaluationResult(
        kind=kind,
        experiment=f"{kind.upper()}_ONNX_Evaluation",
        model_name=REGISTERED_NAMES[kind],
        model_version=version,
        model_sha256="0" * 64,
        dataset="window",
        dataset_sha256="1" * 64,
        split="production",
        n_samples=2000,
        metrics=metrics,
        timestamp=START + timedelta(hours=sequence if hours is None else hours),
        sequence=sequence,
        data_end=data_end,
    )
