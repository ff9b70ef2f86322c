"""Automatic recalibration: per-defect Platt scaling (LSTM) or a re-tuned threshold (GNN),
inside one new ONNX graph, registered and promoted only when better on unseen data."""

from glass_metrics.recalibration.calibrators import (
    PlattParams,
    ThresholdParams,
    apply_platt,
    fit_platt,
    fit_platt_1d,
    fit_threshold,
)
from glass_metrics.recalibration.cooldown import maybe_recalibrate, read_state, state_path
from glass_metrics.recalibration.fitting import (
    MIN_WINDOW,
    Outcome,
    WindowTooSmall,
    decide,
    recalibrate_arrays,
)
from glass_metrics.recalibration.judge import Comparison
from glass_metrics.recalibration.onnx_graph import calibrated_gnn, calibrated_lstm, next_version
from glass_metrics.recalibration.run import RecalibrationReport, recalibrate
from glass_metrics.recalibration.window import expand_windows, latest_windows, load_window

__all__ = [
    "MIN_WINDOW",
    "Comparison",
    "Outcome",
    "PlattParams",
    "RecalibrationReport",
    "ThresholdParams",
    "WindowTooSmall",
    "apply_platt",
    "calibrated_gnn",
    "calibrated_lstm",
    "decide",
    "expand_windows",
    "fit_platt",
    "fit_platt_1d",
    "fit_threshold",
    "latest_windows",
    "load_window",
    "maybe_recalibrate",
    "next_version",
    "read_state",
    "recalibrate",
    "recalibrate_arrays",
    "state_path",
]
