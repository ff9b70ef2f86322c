"""Platt scaling and threshold tuning on synthetic data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from glass_metrics.recalibration import apply_platt, fit_platt, fit_platt_1d, fit_threshold
from glass_metrics.recalibration.calibrators import sigmoid


def test_platt_recovers_known_parameters_from_fractional_targets():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=5000)

    a, b = fit_platt_1d(z, sigmoid(0.6 * z - 0.8), l2=0.0)

    assert a == pytest.approx(0.6, abs=1e-4) and b == pytest.approx(-0.8, abs=1e-4)


def test_platt_recovers_known_parameters_from_sampled_labels():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=2.0, size=20000)
    y = rng.random(20000) < sigmoid(1.7 * z + 0.5)

    a, b = fit_platt_1d(z, y.astype(float))

    assert a == pytest.approx(1.7, abs=0.08) and b == pytest.approx(0.5, abs=0.05)


def test_platt_on_a_constant_target_stays_finite():
    a, b = fit_platt_1d(np.linspace(-2, 2, 100), np.zeros(100))

    assert np.isfinite([a, b]).all() and sigmoid(a * 2 + b) < 0.05


def test_per_output_fit_and_float32_application():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3000, 2)).astype(np.float32)
    y = np.stack([sigmoid(2 * z[:, 0] + 1), sigmoid(0.5 * z[:, 1] - 1)], axis=1)

    params = fit_platt(z, y, ["bubbles", "stones"])
    logit, prob = apply_platt(z, params)

    np.testing.assert_allclose(params.a, [2.0, 0.5], atol=1e-2)  # l2 pulls a little
    np.testing.assert_allclose(params.b, [1.0, -1.0], atol=1e-2)
    assert logit.dtype == prob.dtype == np.float32
    assert params.to_dict()["outputs"] == ["bubbles", "stones"]


def test_threshold_has_the_best_f1_of_every_cut():
    rng = np.random.default_rng(3)
    y = rng.random(2000) < 0.1
    scores = np.clip(0.25 * y + rng.normal(0.3, 0.12, 2000), 0, 1)

    tuned = fit_threshold(y, scores)

    def f1(t):
        predicted = scores >= t
        return 2 * np.sum(predicted & y) / (predicted.sum() + y.sum())

    assert f1(tuned.threshold) == pytest.approx(max(f1(t) for t in np.unique(scores)))
    assert tuned.rule == "best F1"


def test_threshold_for_a_target_recall():
    y = np.array([0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
    scores = np.array([0.1, 0.9, 0.2, 0.8, 0.4, 0.5, 0.3, 0.05])

    tuned = fit_threshold(y, scores, target_recall=0.75)

    assert np.mean((scores >= tuned.threshold)[y]) >= 0.75
    assert 0.3 < tuned.threshold <= 0.4  # halfway between the cut and the next score


def test_threshold_without_anomalies_is_refused():
    with pytest.raises(ValueError, match="without any anomaly"):
        fit_threshold(np.zeros(10), np.linspace(0, 1, 10))
