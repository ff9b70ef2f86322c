"""Consistency checks: the specification's own figures, and each impossible combination."""

from __future__ import annotations

import pytest

from glass_metrics.metrics import check_consistency
from tests.spec_figures import SPEC_GNN, SPEC_LSTM


def _by_code(findings) -> dict[tuple[str, str | None], str]:
    return {(f.code, f.metric): f"{f.severity}: {f.message}" for f in findings}


def test_spec_gnn_figures_are_rejected_with_reasons() -> None:
    found = _by_code(check_consistency(SPEC_GNN))
    assert found[("ratio-out-of-range", "accuracy")] == (
        "error: accuracy = 5.263157894736842 is outside [0, 1]; it looks like a percentage "
        "(5.26316 % = 0.0526316 as a fraction); every ratio is published as a fraction"
    )
    assert "looks like a percentage" in found[("ratio-out-of-range", "recall")]
    assert found[("f1-mixed-units", "f1_score")].startswith(
        "error: f1_score = 0.6578947368421052 is the harmonic mean of precision = "
        "0.3508771929824561 and recall = 5.263157894736842 taken as printed"
    )
    assert (
        "outside [min(P, R), max(P, R)] = [0.0526316, 0.350877]"
        in found[("f1-outside-range", "f1_score")]
    )
    assert "harmonic mean 2PR/(P+R) = 0.0915332" in found[("f1-not-harmonic-mean", "f1_score")]
    assert all(message.startswith("error") for message in found.values())


def test_spec_lstm_figures_are_consistent_but_r2_warns() -> None:
    findings = check_consistency(SPEC_LSTM)
    assert [(f.severity, f.code) for f in findings] == [("warning", "r2-negative")]
    assert "worse than predicting the mean" in findings[0].message


def test_consistent_rounded_figures_pass() -> None:
    figures = {"accuracy": 0.95, "f1_score": 0.91, "precision": 0.93, "recall": 0.89}
    assert check_consistency(figures, n=12000, ci95={"accuracy": (0.946, 0.954)}) == []


@pytest.mark.parametrize(
    ("figures", "code", "fragment"),
    [
        ({"mse": 0.2, "rmse": 0.2}, "rmse-mse-mismatch", "rmse² = 0.04 but mse = 0.2"),
        ({"r2_score": 1.2}, "r2-above-one", "exceeds 1"),
        ({"mse": float("nan")}, "not-finite", "mse = nan is not a finite number"),
        ({"recall": float("inf")}, "not-finite", "recall = inf"),
        ({"precision": 120.0}, "ratio-out-of-range", "precision = 120.0 is outside [0, 1];"),
        ({"mae": -0.1}, "negative-error", "mae = -0.1 is negative"),
        ({"mae": 0.5, "rmse": 0.4}, "mae-exceeds-rmse", "can never exceed"),
        ({"mcc": 1.5}, "mcc-out-of-range", "outside [-1, 1]"),
        ({"roc_auc": 0.3}, "auc-below-chance", "worse than chance"),
        ({"precision": 0.51, "recall": 0.89, "f1_score": 0.95}, "f1-outside-range", "[0.51, 0.89]"),
        (
            {"precision": 0.52, "recall": 0.91, "f1_score": 0.61},
            "f1-not-harmonic-mean",
            "= 0.661818",
        ),
    ],
)
def test_each_impossible_combination(figures, code, fragment) -> None:
    findings = [f for f in check_consistency(figures) if f.code == code]
    assert findings, check_consistency(figures)
    assert fragment in findings[0].message


def test_percentage_hint_only_for_values_up_to_100() -> None:
    (finding,) = check_consistency({"accuracy": 250.0})
    assert "percentage" not in finding.message


def test_small_sample_and_claimed_precision() -> None:
    found = _by_code(check_consistency({"accuracy": 0.3508771929824561}, n=19))
    assert found[("sample-too-small", "accuracy")].startswith(
        "warning: accuracy = 0.3509 rests on n = 19 samples"
    )
    assert found[("precision-not-supported", "accuracy")] == (
        "info: accuracy = 0.3508771929824561 is printed with 16 decimals, but n = 19 samples "
        "support about 3"
    )
    assert "not a whole number" in found[("not-a-count-ratio", "accuracy")]


def test_intervals_are_checked() -> None:
    found = _by_code(
        check_consistency(
            {"accuracy": 0.9, "mse": 0.1, "recall": 0.5},
            ci95={"accuracy": (0.91, 0.95), "mse": (0.2, 0.1), "recall": (-0.1, 0.9)},
        )
    )
    assert "outside its own 95 % interval" in found[("value-outside-interval", "accuracy")]
    assert "lower bound above its upper bound" in found[("bad-interval", "mse")]
    assert "leaves [0, 1]" in found[("interval-out-of-range", "recall")]


def test_bad_sample_count() -> None:
    (finding,) = check_consistency({"accuracy": 0.5}, n=0)
    assert finding.code == "bad-sample-count"
