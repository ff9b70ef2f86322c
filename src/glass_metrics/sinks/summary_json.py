"""The JSON summary sink: ``<root>/<experiment>_summary.json``, an append-only history.

The file keeps the specification's schema::

    {"experiment_name": "GNN_ONNX_Evaluation",
     "metrics_history": {"test": [entry, ...], "production": [entry, ...]}}

Each evaluation is appended to the list of its split group (the split's part before ``/``:
``production/day_003`` goes to ``production``). An entry holds the flat figures (``"mse":
0.1``; an undefined figure is ``null``) followed by the evaluation's context: timestamp,
sample count, model and dataset with their hashes, split, sequence, 95 % intervals,
breakdowns and findings. Earlier entries are never rewritten: the file is read, the entry
appended, and the whole file replaced atomically. A summary that cannot be read as this
schema is left untouched and :class:`SummaryCorruptError` is raised.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from glass_metrics.config import OutputLayout
from glass_metrics.errors import DataError
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.fsutil import atomic_write_text

log = logging.getLogger(__name__)


class SummaryCorruptError(DataError):
    """An existing summary file is not valid JSON in the summary schema; it names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"summary file {str(path)!r} is corrupt ({reason}); it was left unchanged. "
            "Move it aside or repair it before publishing again."
        )
        self.path = Path(path)
        self.reason = reason


def split_group(split: str) -> str:
    """The history list a split belongs to: the part before the first ``/``."""
    return split.split("/", 1)[0]


def read_summary(path: Path) -> dict[str, Any]:
    """The summary at ``path``, checked against the schema; raises SummaryCorruptError."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SummaryCorruptError(path, f"not valid JSON: {exc}") from exc

    if not isinstance(data, dict) or not isinstance(data.get("experiment_name"), str):
        raise SummaryCorruptError(path, "no 'experiment_name' string at the top level")
    history = data.get("metrics_history")
    if not isinstance(history, dict):
        raise SummaryCorruptError(path, "no 'metrics_history' object")
    for group, entries in history.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SummaryCorruptError(path, f"'metrics_history.{group}' is not a list of objects")
    return data


def _load_or_new(path: Path, experiment: str) -> dict[str, Any]:
    if not path.exists():
        return {"experiment_name": experiment, "metrics_history": {}}
    data = read_summary(path)
    if data["experiment_name"] != experiment:
        raise SummaryCorruptError(
            path, f"it holds experiment {data['experiment_name']!r}, expected {experiment!r}"
        )
    return data


def next_sequence(root: Path, experiment: str, split: str) -> int:
    """The sequence number the next evaluation of ``split`` in ``experiment`` gets (1 first)."""
    path = OutputLayout(Path(root)).summary_json(experiment)
    history = _load_or_new(path, experiment)["metrics_history"]
    return len(history.get(split_group(split), [])) + 1


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def summary_entry(result: EvaluationResult) -> dict[str, Any]:
    """The history entry for ``result``: flat figures first, then context."""
    entry: dict[str, Any] = {name: _num(m.value) for name, m in result.metrics.items()}
    entry.update(
        timestamp=result.timestamp_iso,
        n_samples=int(result.n_samples),
        model_name=result.model_name,
        model_version=result.model_version,
        model_sha256=result.model_sha256,
        dataset=result.dataset,
        dataset_sha256=result.dataset_sha256,
        split=result.split,
        sequence=int(result.sequence),
        data_start=result.data_start,
        data_end=result.data_end,
        ci95={name: [_num(m.ci_low), _num(m.ci_high)] for name, m in result.metrics.items()},
        breakdowns={
            dim: {
                member: {name: _num(m.value) for name, m in figures.items()}
                for member, figures in members.items()
            }
            for dim, members in result.breakdowns.items()
        },
        findings=[f.to_dict() for f in result.findings],
    )
    return entry


def append_summary(result: EvaluationResult, root: Path) -> Path:
    """Append ``result`` to its experiment's summary and return the file's path.

    Not safe against a concurrent writer by itself: callers that may run in parallel hold
    the output folder's publish lock around it.
    """
    path = OutputLayout(Path(root)).summary_json(result.experiment)
    data = _load_or_new(path, result.experiment)

    entries = data["metrics_history"].setdefault(split_group(result.split), [])
    entries.append(summary_entry(result))

    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    log.debug("appended %s #%d to %s", result.split, result.sequence, path)
    return path
