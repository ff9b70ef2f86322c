"""Edge cases: one class, constant target, one predicted class, n = 1, ties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glass_metrics.metrics import (
    BinaryState,
    CalibrationState,
    MetricInputError,
    RegressionState,
    UndefinedMetricWarning,
)


def _codes(findings) -> set[tuple[str, str | None]]:
    return {(f.code, f.metric) for f in findings}


def test_one_class_only_makes_recall_and_aucs_undefined() -> None:
    with pytest.warns(UndefinedMetricWarning, match="no positive labels"):
        result = BinaryState().update([0, 0, 0], [0.1, 0.7, 0.2]).compute()
    for name in ("recall", "roc_auc", "pr_auc", "balanced_accuracy", "mcc"):
        assert math.isnan(result.metrics[name].value)
        assert ("undefined-metric", name) in _codes(result.findings)
    assert result.metrics["precision"].value == 0.0
    assert result.metrics["accuracy"].value == pytest.approx(2 / 3)


@pytest.mark.filterwarnings("ignore::glass_metrics.metrics.UndefinedMetricWarning")
def test_no_positive_prediction_makes_precision_undefined_not_zero() -> None:
    with pytest.warns(UndefinedMetricWarning, match="no sample scored at or above 0.5"):
        result = BinaryState().update([1, 0, 1], [0.2, 0.1, 0.4]).compute()
    assert math.isnan(result.metrics["precision"].value)
    assert result.metrics["f1_score"].value == 0.0
    assert result.metrics["roc_auc"].value == 1.0
    assert "no positive predictions" in next(
        f.message for f in result.findings if f.metric == "mcc"
    )


@pytest.mark.filterwarnings("ignore::glass_metrics.metrics.UndefinedMetricWarning")
def test_constant_target_makes_r2_undefined() -> None:
    with pytest.warns(UndefinedMetricWarning, match="target of output 'cracks' is constant"):
        result = RegressionState(["cracks"]).update([0.2] * 5, [0.1, 0.2, 0.3, 0.2, 0.2]).compute()
    assert math.isnan(result.overall["r2_score"].value)
    assert result.overall["mse"].value == pytest.approx(0.004)
    assert ("undefined-metric", "r2_score[cracks]") in _codes(result.findings)


def test_r2_averages_defined_outputs_and_says_so() -> None:
    y_true = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    with pytest.warns(UndefinedMetricWarning):
        result = RegressionState(["cracks", "bubbles"]).update(y_true, y_true).compute()
    assert result.overall["r2_score"].value == 1.0
    assert any("averages 1 of 2 outputs; undefined on cracks" in f.message for f in result.findings)


def test_single_sample() -> None:
    with pytest.warns(UndefinedMetricWarning):
        reg = RegressionState(["bubbles"]).update([1.0], [1.5]).compute()
    assert reg.overall["mse"].value == 0.25
    assert math.isnan(reg.overall["mse"].ci_low)
    assert reg.overall["mse"].n == 1

    with pytest.warns(UndefinedMetricWarning):
        binary = BinaryState().update([1], [0.9]).compute()
    assert binary.metrics["accuracy"].value == 1.0
    assert binary.confusion == {"tp": 1, "fp": 0, "tn": 0, "fn": 0}


def test_score_equal_to_threshold_counts_positive() -> None:
    state = BinaryState(threshold=0.25).update([1, 0, 0], [0.25, 0.25, 0.2])
    assert state.confusion == {"tp": 1, "fp": 1, "tn": 1, "fn": 0}


@pytest.mark.parametrize("state", [RegressionState(), BinaryState(), CalibrationState()])
def test_empty_input_is_an_error(state) -> None:
    state.update(np.empty(0), np.empty(0))
    with pytest.raises(MetricInputError, match="no samples"):
        state.compute()


def test_mismatched_lengths() -> None:
    with pytest.raises(
        MetricInputError, match="'y_true' and 'y_score' must have the same length, got 3 and 2"
    ):
        BinaryState().update([0, 1, 1], [0.5, 0.5])


def test_nan_is_reported_with_count_and_first_index_and_leaves_state_unchanged() -> None:
    state = RegressionState(["bubbles"]).update([1.0, 2.0], [1.0, 2.5])
    before = state.to_dict()
    with pytest.raises(
        MetricInputError,
        match=r"'y_pred': 2 NaN or infinite values; "
        r"first at index 1 \(value nan\)",
    ) as info:
        state.update([1.0, 2.0, 3.0], [0.0, np.nan, np.inf])
    assert info.value.problems[0].count == 2
    assert state.to_dict() == before


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([0, 2, 1], [0.1, 0.2, 0.3], r"'y_true': 1 labels other than 0 and 1; first at index 1"),
        ([0.0, 0.5, 1.0], [0.1, 0.2, 0.3], r"'y_true': 1 labels other than 0 and 1"),
        ([0, 1, 1], [0.1, 1.2, -0.3], r"'y_score': 2 values outside \[0, 1\]; first at index 1"),
        ([0, 1, 1], [0.1, np.nan, 0.3], r"'y_score': 1 NaN or infinite values; first at index 1"),
    ],
)
def test_bad_binary_input(labels, scores, message) -> None:
    state = BinaryState()
    with pytest.raises(MetricInputError, match=message):
        state.update(labels, scores)
    assert state.n == 0


def test_calibration_of_fractional_targets() -> None:
    state = CalibrationState(n_bins=2, outputs=["bubbles"])
    result = state.update([0.1, 0.2, 0.9, 0.5], [0.2, 0.2, 0.8, 0.8]).compute()
    # bin 0: predicted 0.2 vs observed 0.15; bin 1: predicted 0.8 vs observed 0.7
    assert result.ece.value == pytest.approx((2 * 0.05 + 2 * 0.1) / 4)
    assert result.bins["outputs"]["bubbles"]["count"] == [2, 2]
    assert result.bins["edges"] == [0.0, 0.5, 1.0]


def test_intervals_contain_the_value() -> None:
    rng = np.random.default_rng(5)
    y = rng.random(2000) < 0.4
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
    for name, mv in BinaryState().update(y, s).compute().metrics.items():
        assert mv.ci_low <= mv.value <= mv.ci_high, name
        assert mv.method
