"""Consistency checks over published figures: JSON summaries and Prometheus textfiles.

A folder is searched (direct children only) for ``*_summary.json`` and ``*.prom`` files; a
file given directly is checked whatever its name, by its suffix. Each finding's message
starts with where the figures came from: the file, then the split and entry index of a
summary, or the model prefix and labels of a textfile. A folder without such files gives
one warning (``nothing-to-check``), not an error.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glass_metrics.errors import DataError
from glass_metrics.metrics import KNOWN, check_consistency
from glass_metrics.metrics.types import Finding

log = logging.getLogger(__name__)


def check_path(path: str | Path) -> list[Finding]:
    """Every finding about the figures in ``path`` (a folder or a single file)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and (p.name.endswith("_summary.json") or p.suffix == ".prom")
        )
        if not files:
            return [
                Finding(
                    "warning",
                    "nothing-to-check",
                    f"{path}: no *_summary.json or *.prom files to check",
                )
            ]
        return [finding for file in files for finding in check_file(file)]
    if path.is_file():
        return check_file(path)
    raise DataError(f"{path}: no such file or folder")


def check_file(path: Path) -> list[Finding]:
    """Findings about one JSON summary (``.json``) or Prometheus textfile (``.prom``)."""
    if path.suffix == ".prom":
        findings = check_prom(path)
    elif path.suffix == ".json":
        findings = check_summary(path)
    else:
        raise DataError(f"{path}: expected a .json summary or a .prom textfile")
    log.info("checked %s: %d findings", path, len(findings))
    return findings


def _located(where: str, findings: list[Finding]) -> list[Finding]:
    return [Finding(f.severity, f.code, f"{where}: {f.message}", f.metric) for f in findings]


def _unreadable(path: Path, reason: str) -> list[Finding]:
    return [Finding("error", "unreadable-file", f"{path.name}: {reason}")]


def check_summary(path: Path) -> list[Finding]:
    """Check every entry of every split of a JSON summary's ``metrics_history``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _unreadable(path, f"not readable as JSON ({exc})")
    history = data.get("metrics_history") if isinstance(data, dict) else None
    if not isinstance(history, dict):
        return _unreadable(path, "expected an object with a 'metrics_history' object")

    findings: list[Finding] = []
    for split, entries in history.items():
        if not isinstance(entries, list):
            findings += _unreadable(path, f"split {split!r} is not a list of entries")
            continue
        for i, entry in enumerate(entries):
            where = f"{path.name} {split}[{i}]"
            if not isinstance(entry, dict):
                findings += _located(where, [Finding("error", "bad-entry", "not an object")])
                continue
            findings += _located(where, _check_entry(entry))
    return findings


def _check_entry(entry: Mapping[str, Any]) -> list[Finding]:
    figures = {k: v for k, v in entry.items() if k in KNOWN}
    n = entry.get("n_samples")
    if n is not None and not (isinstance(n, int | float) and not isinstance(n, bool)):
        return [Finding("error", "bad-sample-count", f"n_samples = {n!r} is not a number")]
    ci95 = entry.get("ci95") if isinstance(entry.get("ci95"), dict) else None
    ci = {k: v for k, v in (ci95 or {}).items() if k in KNOWN}
    declared = _declared_undefined(entry)
    undefined = [k for k, v in figures.items() if v is None and k in declared]
    figures = {k: v for k, v in figures.items() if k not in undefined}
    notes = [_undefined(name, "null, with the entry's finding saying why") for name in undefined]
    # Published intervals state the figures' uncertainty; full float digits then claim nothing.
    count = None if n is None else int(n)
    return notes + check_consistency(figures, n=count, ci95=ci, printed=not ci)


def _declared_undefined(entry: Mapping[str, Any]) -> set[str]:
    """Metrics the entry's own findings declare undefined (published as null, not a claim)."""
    findings = entry.get("findings")
    if not isinstance(findings, list):
        return set()
    return {
        str(f.get("metric"))
        for f in findings
        if isinstance(f, dict) and f.get("code") == "undefined-metric"
    }


def _undefined(name: str, how: str) -> Finding:
    return Finding(
        "warning",
        "undefined-metric",
        f"{name} is published as undefined ({how}); there is no figure to check",
        name,
    )


def check_prom(path: Path) -> list[Finding]:
    """Check each model prefix and label set of a Prometheus textfile as one set of figures.

    Gauges are named ``<model>_<metric>`` (``lstm_mse``, ``gnn_f1_score``); the sample
    count comes from ``<model>_samples`` with the same labels, if present.
    """
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text(encoding="utf-8")
        samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return _unreadable(path, f"not a valid Prometheus textfile ({exc})")

    with_intervals = any(s.name.endswith("_ci95_low") for s in samples)
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, float]] = defaultdict(dict)
    for sample in samples:
        prefix, _, metric = sample.name.partition("_")
        if metric in KNOWN or metric == "samples":
            groups[prefix, tuple(sorted(sample.labels.items()))][metric] = sample.value

    findings: list[Finding] = []
    for (prefix, labels), figures in groups.items():
        n = figures.pop("samples", None)
        shown = "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else ""
        where = f"{path.name} {prefix}{shown}"
        count = None if n is None or n != n else int(n)
        # NaN is how the exposition format says "no value"; only infinity claims one.
        undefined = sorted(k for k, v in figures.items() if math.isnan(v))
        figures = {k: v for k, v in figures.items() if k not in undefined}
        notes = [_undefined(name, "NaN") for name in undefined]
        checked = check_consistency(figures, n=count, printed=not with_intervals)
        findings += _located(where, notes + checked)
    return findings
