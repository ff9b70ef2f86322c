"""Fitting a calibration on the older part of a window and judging it on the newer part.

Everything here works on arrays and ONNX bytes; reading data and registering the result
happen in :mod:`.run`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from glass_metrics.errors import ConfigError, DataError, ModelError
from glass_metrics.recalibration import judge
from glass_metrics.recalibration.calibrators import (
    PlattParams,
    ThresholdParams,
    apply_platt,
    fit_platt,
    fit_threshold,
)
from glass_metrics.recalibration.onnx_graph import calibrated_gnn, calibrated_lstm

MIN_WINDOW = {"lstm": 500, "gnn": 500}
MIN_ANOMALIES = 10
MIN_ANOMALY_EVENTS = 3
DEFAULT_MARGIN = 0.02


class WindowTooSmall(DataError):
    """The window holds too little for a reliable fit; ``needed`` and ``given`` say how much."""

    def __init__(self, message: str, *, needed: int, given: int, unit: str) -> None:
        super().__init__(message)
        self.needed, self.given, self.unit = needed, given, unit


@dataclass(frozen=True)
class Outcome:
    """What a calibration fitted on one part of a window did on the other."""

    params: PlattParams | ThresholdParams
    comparisons: tuple[judge.Comparison, ...]
    promote: bool
    reason: str
    n_fit: int
    n_judge: int
    calibrated: bytes


def model_outputs(kind: str, model_bytes: bytes, x: np.ndarray, *, batch: int = 2048):
    """LSTM: ``defect_logit`` ``(n, k)``; GNN: ``anomaly_probability`` ``(n,)``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    name = {"lstm": "defect_logit", "gnn": "anomaly_probability"}[kind]
    feed = session.get_inputs()[0].name
    parts = [session.run([name], {feed: x[i : i + batch]})[0] for i in range(0, len(x), batch)]
    return np.concatenate(parts).astype(np.float32)


def metadata(model_bytes: bytes) -> dict[str, str]:
    """The ONNX model's metadata_props."""
    import onnx

    return {p.key: p.value for p in onnx.load_from_string(model_bytes).metadata_props}


def check_size(
    kind: str, y: np.ndarray, *, min_window: int, fit_fraction: float, source: str
) -> int:
    """The number of fit rows; raises :class:`WindowTooSmall` naming the minimum."""
    n = len(y)
    if n < min_window:
        raise WindowTooSmall(
            f"recalibration window {source} holds {n} samples, fewer than the {min_window} "
            f"needed for a reliable fit (the older {fit_fraction:.0%} fits, the rest judges); "
            f"give a longer window",
            needed=min_window,
            given=n,
            unit="samples",
        )
    n_fit = int(round(n * fit_fraction))
    if kind == "gnn":
        for part, labels in (("fit", y[:n_fit]), ("judge", y[n_fit:])):
            rows, events = int(labels.sum()), len(anomaly_runs(labels))
            if rows < MIN_ANOMALIES or events < MIN_ANOMALY_EVENTS:
                raise WindowTooSmall(
                    f"recalibration window {source}: its {part} part holds {events} anomaly "
                    f"events ({rows} rows), fewer than the {MIN_ANOMALY_EVENTS} events and "
                    f"{MIN_ANOMALIES} rows needed to tune a threshold; give a longer window",
                    needed=MIN_ANOMALY_EVENTS,
                    given=events,
                    unit="anomaly events",
                )
    return n_fit


def anomaly_runs(labels: np.ndarray) -> np.ndarray:
    """The lengths of the runs of consecutive anomalous rows (one run per anomaly event)."""
    edges = np.diff(np.r_[0, np.asarray(labels, dtype=np.int8), 0])
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def recalibrate_arrays(
    kind: str,
    model_bytes: bytes,
    x: np.ndarray,
    y: np.ndarray,
    *,
    source: str = "<arrays>",
    min_window: int | None = None,
    fit_fraction: float = 0.5,
    margin: float = DEFAULT_MARGIN,
    target_recall: float | None = None,
    params: PlattParams | ThresholdParams | None = None,
    block: int = 24,
    n_boot: int = 400,
    seed: int = 0,
    extra: dict | None = None,
) -> Outcome:
    """Fit on the older ``fit_fraction`` of rows ``x``/``y`` (time order), judge on the rest.

    ``params`` replaces the fit (to judge a given calibration). The result holds the
    calibrated ONNX bytes and whether the calibration is better by more than ``margin``
    (a fraction of each figure before) beyond its uncertainty.
    """
    if not 0.1 <= fit_fraction <= 0.9:
        raise ValueError(f"fit_fraction must be in [0.1, 0.9], got {fit_fraction!r}")
    n_fit = check_size(
        kind, y, min_window=min_window or MIN_WINDOW[kind], fit_fraction=fit_fraction, source=source
    )
    outputs = model_outputs(kind, model_bytes, x)
    meta = metadata(model_bytes)
    fit_part = slice(0, n_fit)
    judge_part = slice(n_fit, None)
    info = {"fit_samples": n_fit, "judge_samples": len(y) - n_fit, **(extra or {})}

    if kind == "lstm":
        names = _defect_names(meta, outputs.shape[1])
        platt = _given(params, PlattParams, kind) or fit_platt(
            outputs[fit_part], y[fit_part].astype(np.float64), names
        )
        comparisons = _judge_lstm(outputs[judge_part], y[judge_part], platt, block, n_boot, seed)
        calibrated, fitted = calibrated_lstm(model_bytes, platt, extra=info), platt
    else:
        tuned = _given(params, ThresholdParams, kind) or fit_threshold(
            y[fit_part], outputs[fit_part], target_recall=target_recall
        )
        before = float(meta.get("decision_threshold", "0.5"))
        # Resampled blocks at least as long as an anomaly event keep events whole.
        block = max(block, int(anomaly_runs(y).max()))
        comparisons = _judge_gnn(
            outputs[judge_part], y[judge_part], before, tuned, block, n_boot, seed
        )
        calibrated, fitted = calibrated_gnn(model_bytes, tuned, extra=info), tuned

    promote, reason = decide(comparisons, margin)
    return Outcome(fitted, tuple(comparisons), promote, reason, n_fit, len(y) - n_fit, calibrated)


def _given(params, expected: type, kind: str):
    """``params`` if of the type the ``kind`` model takes, ``None`` if absent."""
    if params is not None and not isinstance(params, expected):
        raise ConfigError(
            f"a {kind} model is recalibrated with {expected.__name__}, got {type(params).__name__}"
        )
    return params


def decide(comparisons: list[judge.Comparison], margin: float) -> tuple[bool, str]:
    """Promote when some figure gains beyond ``margin`` and its uncertainty, and none loses."""
    worse = [c for c in comparisons if c.significant_loss()]
    better = [c for c in comparisons if c.significant_gain(margin)]
    if worse:
        return False, "worse on data it was not fitted on: " + "; ".join(
            c.describe() for c in worse
        )
    if not better:
        return False, (
            f"no figure improved by more than {margin:.0%} of its value beyond its "
            "95 % interval: " + "; ".join(c.describe() for c in comparisons)
        )
    return True, "better on data it was not fitted on: " + "; ".join(c.describe() for c in better)


def _defect_names(meta: dict[str, str], k: int) -> list[str]:
    try:
        names = [str(n) for n in json.loads(meta["defect_names"])]
    except (KeyError, json.JSONDecodeError):
        names = [f"defect_{j}" for j in range(k)]
    if len(names) != k:
        raise ModelError(f"metadata defect_names has {len(names)} names for {k} outputs")
    return names


def _judge_lstm(logits, y, params, block, n_boot, seed) -> list[judge.Comparison]:
    before = judge.sigmoid_np(logits)
    _, after = apply_platt(logits, params)
    y = y.astype(np.float64)
    common = {"lower_is_better": True, "block": block, "n_boot": n_boot, "seed": seed}
    return [
        judge.compare(
            "mse",
            lambda i: judge.mse_error(y[i], before[i]),
            lambda i: judge.mse_error(y[i], after[i]),
            len(y),
            **common,
        ),
        judge.compare(
            "ece",
            lambda i: judge.calibration_error(y[i], before[i]),
            lambda i: judge.calibration_error(y[i], after[i]),
            len(y),
            **common,
        ),
    ]


def _judge_gnn(scores, y, before, params, block, n_boot, seed) -> list[judge.Comparison]:
    y = y.astype(bool)
    old, new = scores >= before, scores >= params.threshold
    if not y.any():
        raise DataError("the judge part of the window holds no anomaly; F1 is undefined")
    return [
        judge.compare(
            "f1_score",
            lambda i: _f1(y[i], old[i]),
            lambda i: _f1(y[i], new[i]),
            len(y),
            lower_is_better=False,
            block=block,
            n_boot=n_boot,
            seed=seed,
        ),
    ]


def _f1(y: np.ndarray, predicted: np.ndarray) -> float:
    value = judge.f1_score(y, predicted)
    return value if math.isfinite(value) else 0.0
