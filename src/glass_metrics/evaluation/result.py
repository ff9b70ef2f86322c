"""The one immutable record of an evaluation, consumed by every sink and the monitor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from glass_metrics.metrics.types import Finding, MetricValue

Breakdowns = Mapping[str, Mapping[str, Mapping[str, MetricValue]]]


@dataclass(frozen=True)
class EvaluationResult:
    """What one evaluation of one model on one dataset found.

    ``metrics`` use the specification's names (``mse``, ``mae``, ``rmse``, ``r2_score`` for
    the LSTM; ``accuracy``, ``precision``, ``recall``, ``f1_score`` and more for the GNN).
    ``breakdowns`` maps a dimension (``defect``, ``zone``, ``sensor``, ``anomaly_kind``) to
    its members' metrics. ``sequence`` is the evaluation's number in its experiment's
    history (1 for the first); it is assigned when the result is published, and
    ``published`` then maps each sink to where it wrote (a path, an MLflow run id).
    ``data_start``/``data_end`` bound the evaluated data's own timestamps (ISO 8601).
    """

    kind: str
    experiment: str
    model_name: str
    model_version: str
    model_sha256: str
    dataset: str
    dataset_sha256: str
    split: str
    n_samples: int
    metrics: Mapping[str, MetricValue]
    breakdowns: Breakdowns = field(default_factory=dict)
    calibration: Mapping[str, Any] = field(default_factory=dict)
    curves: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    sequence: int = 0
    model_path: str | None = None
    published: Mapping[str, str] = field(default_factory=dict)
    data_start: str | None = None
    data_end: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))

    @property
    def timestamp_iso(self) -> str:
        return self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def figures(self) -> dict[str, float]:
        """Each top-level metric's value, by name."""
        return {name: m.value for name, m in self.metrics.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form holding everything the result knows."""
        return {
            "kind": self.kind,
            "experiment": self.experiment,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "model_sha256": self.model_sha256,
            "dataset": self.dataset,
            "dataset_sha256": self.dataset_sha256,
            "split": self.split,
            "n_samples": self.n_samples,
            "timestamp": self.timestamp_iso,
            "sequence": self.sequence,
            "data_start": self.data_start,
            "data_end": self.data_end,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "breakdowns": {
                dim: {member: {k: v.to_dict() for k, v in ms.items()} for member, ms in by.items()}
                for dim, by in self.breakdowns.items()
            },
            "calibration": dict(self.calibration),
            "curves": dict(self.curves),
            "findings": [f.to_dict() for f in self.findings],
        }
