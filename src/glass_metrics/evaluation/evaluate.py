"""Evaluating an ONNX model on a labelled dataset split, producing one EvaluationResult.

Nothing here writes anywhere: publishing the result is the sinks' job. The model runs in
batches and each batch feeds mergeable metric states, so memory is bounded by the data
arrays plus one batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import numpy as np

from glass_metrics.config import EXPERIMENTS
from glass_metrics.errors import DataError, ModelError
from glass_metrics.evaluation.onnx_model import LoadedModel, check_input, predict
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.fsutil import file_sha256
from glass_metrics.metrics import BinaryState, CalibrationState, RegressionState, check_consistency
from glass_metrics.metrics.intervals import wilson
from glass_metrics.metrics.types import Finding, MetricValue
from glass_metrics.plant import datasets

log = logging.getLogger(__name__)


def evaluate_model(
    model: LoadedModel,
    data_dir: Path,
    *,
    split: str = "test",
    batch_size: int = 1024,
    progress: bool = False,
) -> EvaluationResult:
    """Evaluate ``model`` on split ``split`` of the dataset folder ``data_dir``."""
    manifest = datasets.load_manifest(data_dir)
    path = datasets.split_path(data_dir, split)
    frame = datasets.load_frame(path, manifest)
    _check_sensors(model, manifest, path)
    evaluate = _evaluate_lstm if model.kind == "lstm" else _evaluate_gnn
    fields = evaluate(model, frame, manifest, path, batch_size=batch_size, progress=progress)
    result = EvaluationResult(
        kind=model.kind,
        experiment=EXPERIMENTS[model.kind],
        model_name=model.name,
        model_version=model.version,
        model_sha256=model.sha256,
        dataset=f"{Path(data_dir).resolve().name}/{split}",
        dataset_sha256=file_sha256(path),
        split=split,
        model_path=str(model.path) if model.path else None,
        data_start=_iso(frame["timestamp"].min()),
        data_end=_iso(frame["timestamp"].max()),
        **fields,
    )
    log.info(
        "evaluated %s %s on %s: %d samples, %d findings",
        result.model_name,
        result.model_version,
        result.dataset,
        result.n_samples,
        len(result.findings),
    )
    return result


def _evaluate_lstm(model, frame, manifest, path, *, batch_size, progress) -> dict:
    window = int(model.metadata.get("window") or manifest["window"])
    x, y = datasets.lstm_arrays(frame, manifest, window=window)
    _require_samples(x, path)
    check_input(model, x, data_source=str(path))
    defects = model.json_list("defect_names")
    if len(defects) != y.shape[1]:
        raise ModelError(
            f"model {model.source} predicts {len(defects)} defects {defects}, "
            f"data {path} has {y.shape[1]} defect-rate columns"
        )

    regression = RegressionState(outputs=defects)
    calibration = CalibrationState(outputs=defects)
    for rows, probability in predict(model, x, batch_size=batch_size, progress=progress):
        regression.update(y[rows], probability)
        calibration.update(y[rows], probability)

    scores = regression.compute()
    calibrated = calibration.compute()
    metrics = {**scores.overall, "ece": calibrated.ece}
    per_defect = {
        defect: {**scores.per_output[defect], "ece": calibrated.per_output[defect]}
        for defect in defects
    }
    findings = [*scores.findings, *calibrated.findings, *_consistency(metrics)]
    return {
        "n_samples": len(x),
        "metrics": metrics,
        "breakdowns": {"defect": per_defect},
        "calibration": calibrated.bins,
        "findings": tuple(findings),
    }


def _evaluate_gnn(model, frame, manifest, path, *, batch_size, progress) -> dict:
    arrays = datasets.gnn_arrays(frame, manifest)
    _require_samples(arrays.x, path)
    check_input(model, arrays.x, data_source=str(path))

    state = BinaryState(threshold=model.decision_threshold)
    calibration = CalibrationState(outputs=["anomaly"])
    scores = np.empty(len(arrays.x), dtype=np.float32)
    for rows, probability in predict(model, arrays.x, batch_size=batch_size, progress=progress):
        probability = probability.reshape(-1)
        state.update(arrays.y[rows], probability)
        calibration.update(arrays.y[rows].astype(np.float64), probability)
        scores[rows] = probability

    computed = state.compute()
    calibrated = calibration.compute()
    metrics = {**computed.metrics, "ece": calibrated.ece}
    precision, recall, thresholds = state.pr_curve()
    detected = scores >= model.decision_threshold
    zones = {s["name"]: s["zone"] for s in manifest["sensors"]}
    fault_zone = np.array([zones.get(s, "process") for s in arrays.fault_sensor], dtype=object)
    breakdowns = {
        "zone": _detection_rates(arrays.y, detected, fault_zone),
        "anomaly_kind": _detection_rates(arrays.y, detected, arrays.anomaly_kind),
    }
    findings = [*computed.findings, *calibrated.findings, *_consistency(metrics)]
    return {
        "n_samples": len(arrays.x),
        "metrics": metrics,
        "breakdowns": breakdowns,
        "calibration": calibrated.bins,
        "curves": {
            "pr": {
                "precision": precision.tolist(),
                "recall": recall.tolist(),
                "thresholds": thresholds.tolist(),
            },
            "confusion": dict(computed.confusion),
        },
        "findings": tuple(findings),
    }


def _detection_rates(y, detected, groups) -> dict[str, dict[str, MetricValue]]:
    """Recall of the anomalies in each group (zone of the faulty sensor, or anomaly kind)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group, hit in zip(groups[y == 1], detected[y == 1], strict=True):
        counts[str(group)][0] += 1
        counts[str(group)][1] += int(hit)
    rates = {}
    for group, (n, hits) in sorted(counts.items()):
        low, high = wilson(hits, n)
        rates[group] = {"recall": MetricValue(hits / n, n, low, high, "wilson")}
    return rates


def _consistency(metrics: dict[str, MetricValue]) -> list[Finding]:
    figures = {name: m.value for name, m in metrics.items() if np.isfinite(m.value)}
    n = max((m.n for m in metrics.values()), default=None)
    return [
        f for f in check_consistency(figures, n=n, printed=False) if f.code != "undefined-metric"
    ]


def _check_sensors(model: LoadedModel, manifest: dict, path: Path) -> None:
    if "sensor_names" not in model.metadata:
        return
    expected = model.json_list("sensor_names")
    actual = [s["name"] for s in manifest["sensors"]]
    if expected != actual:
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        raise ModelError(
            f"model {model.source} was trained on sensors {len(expected)} in another order or "
            f"set than data {path} ({len(actual)}); missing in data: {missing}, "
            f"unknown to model: {extra}"
        )


def _require_samples(x: np.ndarray, path: Path) -> None:
    if len(x) == 0:
        raise DataError(f"{path}: no samples to evaluate (too few rows for one model input)")


def _iso(timestamp) -> str:
    import pandas as pd

    stamp = pd.Timestamp(timestamp)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat().replace("+00:00", "Z")
