"""Recalibration judged on unseen data: promoted when better, never when harmful or too small."""

from __future__ import annotations

import numpy as np
import pytest

from glass_metrics.errors import DataError
from glass_metrics.recalibration import PlattParams, recalibrate_arrays
from glass_metrics.recalibration.calibrators import sigmoid
from glass_metrics.recalibration.fitting import metadata, model_outputs
from tests.registry.synthetic_onnx import DEFECTS, gnn_bytes, lstm_bytes

MODEL = lstm_bytes(seed=5)


def lstm_window(n: int, a: float, b: float, seed: int = 0):
    """Inputs of the synthetic LSTM and defect rates observed on 50 sheets at a rate
    ``sigmoid(a * logit + b)``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5, 4)).astype(np.float32)
    rate = sigmoid(a * model_outputs("lstm", MODEL, x) + b)
    return x, (rng.binomial(50, rate) / 50).astype(np.float32)


def test_a_miscalibrated_lstm_is_fixed_and_promoted():
    x, y = lstm_window(800, a=0.4, b=-1.0)

    outcome = recalibrate_arrays("lstm", MODEL, x, y, n_boot=200)

    np.testing.assert_allclose(outcome.params.a, 0.4, atol=0.05)
    np.testing.assert_allclose(outcome.params.b, -1.0, atol=0.05)
    mse, ece = outcome.comparisons
    assert mse.after.value < 0.5 * mse.before.value and ece.improvement_ci[0] > 0
    assert outcome.promote and outcome.reason.startswith("better on data it was not fitted on")
    assert (outcome.n_fit, outcome.n_judge) == (400, 400)


def test_a_harmful_calibration_is_never_promoted():
    x, y = lstm_window(800, a=0.4, b=-1.0)
    harmful = PlattParams(np.full(6, -1.0, np.float32), np.full(6, 2.0, np.float32), tuple(DEFECTS))

    outcome = recalibrate_arrays("lstm", MODEL, x, y, params=harmful, n_boot=200)

    assert not outcome.promote
    assert outcome.reason.startswith("worse on data it was not fitted on: mse")


def test_a_well_calibrated_model_gains_nothing_and_stays_challenger():
    x, y = lstm_window(800, a=1.0, b=0.0)

    outcome = recalibrate_arrays("lstm", MODEL, x, y, n_boot=200)

    # Refitting a calibrated model only fits noise: at best no gain, here a small, real loss.
    assert not outcome.promote
    assert outcome.reason.startswith(("no figure improved by more than 2%", "worse on data"))


def test_a_window_too_small_is_refused_with_the_minimum():
    x, y = lstm_window(120, a=0.4, b=-1.0)

    with pytest.raises(DataError, match="holds 120 samples, fewer than the 500 needed"):
        recalibrate_arrays("lstm", MODEL, x, y, source="production/day_007")


def gnn_window(n: int, seed: int = 0):
    """Scores of the synthetic GNN and labels that are anomalous above a score of 0.75."""
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=0.33, size=(n, 4, 2)).astype(np.float32)
    score = model_outputs("gnn", gnn_bytes(), x)
    return x, (score + rng.normal(scale=0.02, size=n)) > 0.75


def test_the_gnn_threshold_is_retuned_into_the_metadata():
    x, y = gnn_window(1000)

    outcome = recalibrate_arrays("gnn", gnn_bytes(), x, y, n_boot=200)

    (f1,) = outcome.comparisons
    assert 0.7 < outcome.params.threshold < 0.8
    assert float(metadata(outcome.calibrated)["decision_threshold"]) == outcome.params.threshold
    assert f1.after.value > f1.before.value and outcome.promote


def test_a_gnn_window_with_too_few_anomalies_is_refused():
    x, y = gnn_window(1000)
    y[:] = False
    y[-5:] = True

    with pytest.raises(
        DataError, match=r"fit part holds 0 anomaly events \(0 rows\), fewer than the 3 events"
    ):
        recalibrate_arrays("gnn", gnn_bytes(), x, y)


def test_a_loss_calibration_cannot_fix_is_named_in_the_reason():
    from glass_metrics.metrics.types import MetricValue
    from glass_metrics.recalibration.judge import Comparison
    from glass_metrics.recalibration.run import _explain, _recovered

    mse = Comparison(
        "mse",
        MetricValue(0.013, 400, 0.011, 0.015),
        MetricValue(0.009, 400, 0.008, 0.010),
        0.004,
        (0.003, 0.005),
    )
    outcome = type("Outcome", (), {"reason": "better on data it was not fitted on"})()

    shares = _recovered([mse], {"mse": 0.004})
    reason = _explain(outcome, shares)

    assert shares == {"mse": pytest.approx(0.4 / 0.9)}
    assert reason.endswith(
        "wins back only 44% of the MSE lost since the reference split: the "
        "rest is a change in the process or the sensors that calibration "
        "cannot fix; retrain the model"
    )
    assert _recovered([mse], {"mse": 0.012}) == {"mse": None}  # within its interval: no loss
