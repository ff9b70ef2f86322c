"""The MLflow sink: one run per evaluation in experiment ``LSTM_ONNX_Evaluation`` or ``GNN_...``.

The run is named ``<split>-<sequence>`` and holds, all at step = sequence:

- metrics under the specification's names (``mse``, ``f1_score``, ...), their 95 % bounds
  as ``<metric>_ci95_low``/``_high``, breakdowns as ``<dimension>.<member>.<metric>``
  (``defect.bubbles.mse``) and the sample count as ``n_samples``;
- params ``model_name``, ``model_version``, ``model_sha256``, ``dataset``,
  ``dataset_sha256``, ``split``, ``sequence``;
- tags ``kind``, ``findings`` (their count), ``findings_error`` (errors among them) and
  ``undefined_metrics`` (comma-separated names of figures that are NaN: MLflow would store
  them, but its UI cannot plot them, so they are left out of the metrics);
- artifacts ``evaluation_result.json`` (the full result, NaN written as null) and
  ``model/<file>.onnx``.

The run ends FINISHED, or FAILED if anything raises while it is being filled.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.mlflow_store import client_for, ensure_experiment

log = logging.getLogger(__name__)

# MLflow accepts at most 1000 metrics in one log_batch call.
BATCH_SIZE = 1000


def _key(text: str) -> str:
    """``text`` restricted to the characters MLflow allows in a metric key."""
    return re.sub(r"[^\w\-. /]", "_", text)


def _json_ready(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def run_figures(result: EvaluationResult) -> dict[str, float]:
    """Every figure of ``result`` as the run's metric keys (NaN included)."""
    figures: dict[str, float] = {"n_samples": float(result.n_samples)}
    for name, m in result.metrics.items():
        figures[_key(name)] = m.value
        figures[f"{_key(name)}_ci95_low"] = m.ci_low
        figures[f"{_key(name)}_ci95_high"] = m.ci_high

    for dim, members in result.breakdowns.items():
        for member, values in members.items():
            for name, m in values.items():
                figures[_key(f"{dim}.{member}.{name}")] = m.value
    return figures


def run_params(result: EvaluationResult) -> dict[str, str]:
    """The run's params: what was evaluated, on what."""
    return {
        "model_name": result.model_name,
        "model_version": result.model_version,
        "model_sha256": result.model_sha256,
        "dataset": result.dataset,
        "dataset_sha256": result.dataset_sha256,
        "split": result.split,
        "sequence": str(result.sequence),
    }


def _log_content(client, run_id: str, result: EvaluationResult, onnx_path) -> None:
    from mlflow.entities import Metric, Param, RunTag

    figures = run_figures(result)
    undefined = sorted(k for k, v in figures.items() if not math.isfinite(v))
    when = int(result.timestamp.timestamp() * 1000)
    metrics = [
        Metric(key, float(v), when, int(result.sequence))
        for key, v in figures.items()
        if math.isfinite(v)
    ]
    tags = {
        "kind": result.kind,
        "findings": str(len(result.findings)),
        "findings_error": str(sum(f.severity == "error" for f in result.findings)),
        "undefined_metrics": ",".join(undefined),
    }
    params = [Param(k, v) for k, v in run_params(result).items()]
    client.log_batch(run_id, params=params, tags=[RunTag(k, v) for k, v in tags.items()])
    for start in range(0, len(metrics), BATCH_SIZE):
        client.log_batch(run_id, metrics=metrics[start : start + BATCH_SIZE])

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "evaluation_result.json"
        report.write_text(json.dumps(_json_ready(result.to_dict()), indent=2, allow_nan=False))
        client.log_artifact(run_id, str(report))
    if onnx_path is not None:
        client.log_artifact(run_id, str(onnx_path), artifact_path="model")


def write_mlflow(
    result: EvaluationResult, root: Path, *, uri: str | None = None, onnx_path=None
) -> str:
    """Record ``result`` as a new MLflow run and return its id.

    The store is ``<root>/mlflow.db`` unless ``uri`` (or ``MLFLOW_TRACKING_URI``) names
    another. ``onnx_path`` defaults to ``result.model_path``; with neither, no model is
    attached.
    """
    client = client_for(Path(root), uri)
    experiment_id = ensure_experiment(client, result.experiment, Path(root))
    run = client.create_run(
        experiment_id,
        start_time=int(time.time() * 1000),
        run_name=f"{result.split}-{result.sequence}",
    )
    run_id = run.info.run_id
    onnx = onnx_path if onnx_path is not None else result.model_path

    try:
        _log_content(client, run_id, result, onnx)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    return run_id
