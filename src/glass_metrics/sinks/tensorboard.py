"""The TensorBoard sink: ``<root>/tensorboard/<experiment>/``, one event file per evaluation.

Event files are named ``events.out.tfevents.<seconds>.<host>.<nanoseconds>.<group>-<step>``
so that files sort in the order they were written, even within one second.

Tags, with ``<group>`` the split group (``test``; ``production`` for ``production/day_003``)
and step = the evaluation's sequence number, so each figure's history is a curve:

- ``<group>/<metric>``: each top-level metric (``test/mse``, ``test/f1_score``), and
  ``<group>/n_samples``;
- ``<group>_ci95/<metric>_low`` and ``_high``: the 95 % interval bounds;
- ``<group>_<dimension>/<member>/<metric>``: breakdowns (``test_defect/bubbles/mse``,
  ``test_zone/furnace/recall``), one section per dimension;
- ``<group>/pr_curve``: the GNN's precision-recall curve, when ``result.curves["pr"]`` exists.

The wall time of every event is the evaluation's timestamp. An undefined figure is written
as NaN (TensorBoard leaves a gap).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tensorboardX import SummaryWriter

from glass_metrics.config import OutputLayout
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.sinks.summary_json import split_group

log = logging.getLogger(__name__)

# tensorboardX stores at most 127 points of a raw PR curve.
MAX_PR_POINTS = 127


def scalar_tags(result: EvaluationResult) -> dict[str, float]:
    """Every scalar the sink writes for ``result``, by tag.

    Undefined figures (NaN) and unbounded intervals are left out: a NaN scalar only breaks
    the chart's scale; the summary JSON and the MLflow run record which figures were undefined.
    """
    group = split_group(result.split)
    scalars: dict[str, float] = {f"{group}/n_samples": float(result.n_samples)}
    for name, m in result.metrics.items():
        scalars[f"{group}/{name}"] = m.value
        scalars[f"{group}_ci95/{name}_low"] = m.ci_low
        scalars[f"{group}_ci95/{name}_high"] = m.ci_high

    for dim, members in result.breakdowns.items():
        for member, figures in members.items():
            for name, m in figures.items():
                scalars[f"{group}_{dim}/{member}/{name}"] = m.value
    return {tag: value for tag, value in scalars.items() if math.isfinite(value)}


def pr_curve_arrays(curves: Mapping[str, Any], n_samples: int) -> dict[str, np.ndarray] | None:
    """The six arrays TensorBoard's raw PR curve needs, or None if there is no PR curve.

    Counts are taken from ``curves["pr"]`` when it carries them (``tp`` and ``fp`` lists,
    optionally ``tn`` and ``fn``). Otherwise they are derived from precision and recall with
    the number of positives from ``curves["confusion"]`` (``tp + fn``); where precision is
    0 the false positives are not recoverable and are written as 0. Without positives the
    derived counts are NaN and only the curve itself is meaningful. Curves longer than 127
    points are thinned evenly, keeping both ends.
    """
    pr = curves.get("pr")
    if not pr:
        return None
    precision = np.asarray(pr["precision"], dtype=np.float64)
    recall = np.asarray(pr["recall"], dtype=np.float64)
    counts = _pr_counts(pr, curves.get("confusion") or {}, precision, recall, n_samples)

    arrays = {**counts, "precision": precision, "recall": recall}
    keep = np.unique(np.linspace(0, len(precision) - 1, MAX_PR_POINTS).round().astype(int))
    return {k: v[keep] if len(v) > MAX_PR_POINTS else v for k, v in arrays.items()}


def _pr_counts(pr, confusion, precision, recall, n_samples) -> dict[str, np.ndarray]:
    def given(key: str) -> np.ndarray | None:
        return np.asarray(pr[key], dtype=np.float64) if key in pr else None

    positives = math.nan
    if "tp" in confusion and "fn" in confusion:
        positives = float(confusion["tp"]) + float(confusion["fn"])

    tp, fp = given("tp"), given("fp")
    if tp is None or fp is None:
        tp = recall * positives
        # Where precision is 0 or undefined the false positives cannot be recovered; 0 is
        # exact when nothing is predicted positive (precision undefined).
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = np.where(precision > 0, tp / precision - tp, 0.0)
        fp = np.where(np.isnan(tp), math.nan, fp)

    tn, fn = given("tn"), given("fn")
    return {
        "tp": tp,
        "fp": fp,
        "tn": tn if tn is not None else (n_samples - positives) - fp,
        "fn": fn if fn is not None else positives - tp,
    }


def write_tensorboard(result: EvaluationResult, root: Path) -> Path:
    """Write ``result``'s scalars (and PR curve) to its experiment's log folder; return it."""
    logdir = OutputLayout(Path(root)).evaluation_logdir(result.experiment)
    walltime = result.timestamp.timestamp()
    step = int(result.sequence)

    # tensorboardX names event files by the second only: two evaluations in one second
    # would share (and truncate) a file. A nanosecond suffix keeps them apart and in order.
    suffix = f".{time.time_ns()}.{split_group(result.split)}-{step}"
    writer = SummaryWriter(logdir=str(logdir), filename_suffix=suffix)
    try:
        for tag, value in scalar_tags(result).items():
            writer.add_scalar(tag, float(value), global_step=step, walltime=walltime)

        pr = pr_curve_arrays(result.curves, result.n_samples)
        if pr is not None:
            writer.add_pr_curve_raw(
                f"{split_group(result.split)}/pr_curve",
                pr["tp"],
                pr["fp"],
                pr["tn"],
                pr["fn"],
                pr["precision"],
                pr["recall"],
                global_step=step,
                num_thresholds=len(pr["precision"]),
                walltime=walltime,
            )
    finally:
        writer.close()
    return logdir
