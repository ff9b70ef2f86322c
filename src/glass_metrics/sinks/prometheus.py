"""The Prometheus sink: ``<root>/<kind>_evaluation.prom`` for the node_exporter textfile collector.

The file holds gauges for the latest evaluation of each split group (``test``,
``production``, ...), every sample labelled with ``model`` (the model's name) and ``split``
(the split group)::

    lstm_mse{model="glass-defect-lstm",split="test"} 0.012
    lstm_mse_ci95_low{...} / lstm_mse_ci95_high{...}   the 95 % interval
    lstm_defect_mse{model=...,split=...,defect="bubbles"}   a breakdown figure
    lstm_samples, lstm_last_evaluation_timestamp_seconds, lstm_evaluation_findings{severity}
    lstm_model_info{model=...,split=...,version=...,sha256=...} 1

The model version and hash live only on ``*_model_info`` so that a new version does not
start new series for every figure. An undefined figure is written as ``NaN``. There are no
client-side timestamps; ``*_last_evaluation_timestamp_seconds`` says when the evaluation
ran.

To keep the other split groups' series when one group is re-evaluated, the latest figures
of each group are kept in a small sidecar, ``<root>/.<kind>_evaluation.state.json``, and the
whole ``.prom`` file is re-rendered from it. Both files are replaced atomically. A sidecar
that cannot be read is discarded with a warning (the ``.prom`` file then shows only the
current split group until the others are evaluated again).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from glass_metrics.config import OutputLayout
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.fsutil import atomic_write_text
from glass_metrics.sinks.summary_json import split_group

log = logging.getLogger(__name__)

BASE_LABELS = ("model", "split")
SEVERITIES = ("error", "warning", "info")

_HELP = {
    "mse": "Mean squared error of the predicted defect probabilities (lower is better)",
    "mae": "Mean absolute error of the predicted defect probabilities (lower is better)",
    "rmse": "Root mean squared error of the predicted defect probabilities (lower is better)",
    "r2_score": "Coefficient of determination R2 (1 is perfect, 0 predicts the mean)",
    "ece": "Expected calibration error of the predicted probabilities (lower is better)",
    "accuracy": "Fraction of samples classified correctly, in [0, 1]",
    "precision": "Fraction of predicted anomalies that were anomalies, in [0, 1]",
    "recall": "Fraction of anomalies that were detected, in [0, 1]",
    "f1_score": "Harmonic mean of precision and recall, in [0, 1]",
    "balanced_accuracy": "Mean of the per-class recalls, in [0, 1]",
    "mcc": "Matthews correlation coefficient, in [-1, 1]",
    "roc_auc": "Area under the ROC curve, in [0, 1]",
    "pr_auc": "Area under the precision-recall curve, in [0, 1]",
}


def _name(text: str) -> str:
    """``text`` as a valid metric or label name fragment."""
    cleaned = re.sub(r"[^a-zA-Z0-9_]", "_", text)
    return cleaned if not cleaned[:1].isdigit() else f"_{cleaned}"


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _float(x: float | None) -> float:
    return math.nan if x is None else float(x)


def state_path(root: Path, kind: str) -> Path:
    """The sidecar holding the latest figures of each split group for ``kind``."""
    return Path(root) / f".{kind}_evaluation.state.json"


def group_state(result: EvaluationResult) -> dict[str, Any]:
    """What the ``.prom`` file shows of ``result``, in JSON-ready form (NaN as null)."""
    return {
        "model": result.model_name,
        "version": result.model_version,
        "sha256": result.model_sha256,
        "n_samples": int(result.n_samples),
        "timestamp": result.timestamp.timestamp(),
        "metrics": {
            name: [_num(m.value), _num(m.ci_low), _num(m.ci_high)]
            for name, m in result.metrics.items()
        },
        "breakdowns": {
            dim: {
                member: {name: _num(m.value) for name, m in figures.items()}
                for member, figures in members.items()
            }
            for dim, members in result.breakdowns.items()
        },
        "findings": {s: sum(f.severity == s for f in result.findings) for s in SEVERITIES},
    }


def _load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(state, dict) and all(isinstance(v, dict) for v in state.values()):
            return state
        reason = "not an object of split groups"
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = str(exc)
    log.warning("discarding unreadable Prometheus state %s (%s)", path, reason)
    return {}


class _StateCollector:
    """Yields the gauge families of one model kind from the per-split-group state."""

    def __init__(self, kind: str, state: Mapping[str, Mapping[str, Any]]) -> None:
        self.kind = kind
        self.state = state
        self.families: dict[str, GaugeMetricFamily] = {}

    def _family(self, name: str, help_text: str, extra: tuple[str, ...] = ()) -> Any:
        full = f"{self.kind}_{name}"
        if full not in self.families:
            self.families[full] = GaugeMetricFamily(full, help_text, labels=BASE_LABELS + extra)
        return self.families[full]

    def _add_group(self, group: str, st: Mapping[str, Any]) -> None:
        base = [st["model"], group]
        for metric, (value, low, high) in st["metrics"].items():
            about = _HELP.get(metric, f"Evaluation metric {metric}")
            name = _name(metric)
            self._family(name, f"{about}; latest evaluation").add_metric(base, _float(value))
            for bound, x in (("low", low), ("high", high)):
                about_ci = f"{bound.capitalize()} bound of the 95% interval of {metric}"
                fam = self._family(f"{name}_ci95_{bound}", about_ci)
                fam.add_metric(base, _float(x))

        for dim, members in st["breakdowns"].items():
            for member, figures in members.items():
                for metric, value in figures.items():
                    fam = self._family(
                        f"{_name(dim)}_{_name(metric)}",
                        f"{_HELP.get(metric, metric)}; per {dim}",
                        (_name(dim),),
                    )
                    fam.add_metric([*base, member], _float(value))

        self._add_context(base, st)

    def _add_context(self, base: list[str], st: Mapping[str, Any]) -> None:
        self._family("samples", "Samples in the latest evaluation").add_metric(
            base, float(st["n_samples"])
        )
        self._family(
            "last_evaluation_timestamp_seconds", "Unix time of the latest evaluation"
        ).add_metric(base, float(st["timestamp"]))
        findings = self._family(
            "evaluation_findings", "Findings of the latest evaluation by severity", ("severity",)
        )
        for severity in SEVERITIES:
            findings.add_metric([*base, severity], float(st["findings"].get(severity, 0)))
        self._family(
            "model_info",
            "The evaluated model's version and SHA-256 (value is always 1)",
            ("version", "sha256"),
        ).add_metric([*base, st["version"], st["sha256"]], 1.0)

    def collect(self) -> Iterator[Metric]:
        self.families = {}
        for group in sorted(self.state):
            self._add_group(group, self.state[group])
        yield from self.families.values()


def render_prom(kind: str, state: Mapping[str, Mapping[str, Any]]) -> str:
    """The exposition text for ``kind`` from its per-split-group state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StateCollector(kind, state))
    return generate_latest(registry).decode("utf-8")


def write_prom(result: EvaluationResult, root: Path) -> Path:
    """Write ``result`` into its kind's ``.prom`` file (atomically) and return the path.

    The file shows the latest evaluation of every split group seen so far; ``result``
    replaces the previous figures of its own split group.
    """
    root = Path(root)
    sidecar = state_path(root, result.kind)
    state = _load_state(sidecar)
    state[split_group(result.split)] = group_state(result)

    text = render_prom(result.kind, state)
    path = OutputLayout(root).prom_file(result.kind)
    atomic_write_text(path, text)
    atomic_write_text(sidecar, json.dumps(state, indent=1, allow_nan=False) + "\n")
    return path
