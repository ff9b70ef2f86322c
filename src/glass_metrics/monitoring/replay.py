"""Replaying a history of evaluations through the rules: days to detection, false alarms.

:func:`replay` runs results, oldest first, through a fresh :class:`AlertTracker` in a
temporary folder (nothing is sent and no state is kept) and returns every event with the
position of the window that raised it. :func:`results_from_summary` rebuilds the results of
one split group from a JSON summary, so that a monitored run can be replayed with other
rules. :func:`detections` condenses a replay into, per rule, the first window that fired
and how many times it started firing (repeats not counted).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.metrics.types import MetricValue
from glass_metrics.monitoring.alerts import AlertEvent, AlertTracker
from glass_metrics.monitoring.rules import RuleSet
from glass_metrics.sinks.summary_json import read_summary


@dataclass(frozen=True)
class Detection:
    """A rule's record in a replay: first firing window (1-based) and how often it fired."""

    rule: str
    first_window: int | None
    times_fired: int


def replay(
    results: Sequence[EvaluationResult],
    rules: RuleSet,
    *,
    baseline: EvaluationResult | None = None,
) -> list[tuple[int, AlertEvent]]:
    """Every event the rules raise over ``results``, with its window's 1-based position."""
    with tempfile.TemporaryDirectory(prefix="glass-replay-") as tmp:
        tracker = AlertTracker(Path(tmp), rules)
        return [
            (i, event)
            for i, result in enumerate(results, start=1)
            for event in tracker.observe(result, baseline=baseline)
        ]


def detections(events: Sequence[tuple[int, AlertEvent]], rules: RuleSet) -> list[Detection]:
    """Per rule (in the rules' order): first window that fired, and the number of firings."""
    first: dict[str, int] = {}
    fired: dict[str, int] = {}
    for window, event in events:
        if event.status == "firing" and not event.repeat:
            first.setdefault(event.rule, window)
            fired[event.rule] = fired.get(event.rule, 0) + 1
    return [Detection(r.name, first.get(r.name), fired.get(r.name, 0)) for r in rules.rules]


def results_from_summary(
    path: Path, kind: str, *, group: str = "production"
) -> list[EvaluationResult]:
    """The evaluations of split group ``group`` in the JSON summary at ``path``.

    The summary keeps each figure's value and interval but not its own sample count; the
    evaluation's ``n_samples`` stands in for it (exact for accuracy, an upper bound for
    precision and recall, whose two-proportion test then reads slightly too confident).
    """
    summary = read_summary(Path(path))
    entries = summary["metrics_history"].get(group, [])
    return [_result(entry, kind, summary["experiment_name"]) for entry in entries]


def _result(entry: dict[str, Any], kind: str, experiment: str) -> EvaluationResult:
    n = int(entry.get("n_samples", 0))
    intervals = entry.get("ci95", {})
    metrics = {
        name: MetricValue(_float(entry.get(name)), n, _float(low), _float(high))
        for name, (low, high) in intervals.items()
    }
    return EvaluationResult(
        kind=kind,
        experiment=experiment,
        model_name=str(entry.get("model_name", kind)),
        model_version=str(entry.get("model_version", "")),
        model_sha256=str(entry.get("model_sha256", "")),
        dataset=str(entry.get("dataset", "")),
        dataset_sha256=str(entry.get("dataset_sha256", "")),
        split=str(entry.get("split", "")),
        n_samples=n,
        metrics=metrics,
        sequence=int(entry.get("sequence", 0)),
        timestamp=_time(entry.get("timestamp")),
        data_start=entry.get("data_start"),
        data_end=entry.get("data_end"),
    )


def _time(text: Any) -> datetime:
    if not text:
        return datetime.now(UTC)
    when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _float(x: Any) -> float:
    return math.nan if x is None else float(x)
