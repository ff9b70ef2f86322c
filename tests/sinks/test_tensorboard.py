"""TensorBoard specifics that the read-back test does not cover: the PR curve's counts."""

from __future__ import annotations

import math

import numpy as np

from glass_metrics.sinks.tensorboard import MAX_PR_POINTS, pr_curve_arrays, scalar_tags
from tests.sinks.sink_results import gnn_result, lstm_result


def test_counts_derived_from_precision_recall_and_confusion():
    result = gnn_result(1)
    arrays = pr_curve_arrays(result.curves, result.n_samples)
    confusion = result.curves["confusion"]
    positives = confusion["tp"] + confusion["fn"]

    np.testing.assert_allclose(arrays["tp"] + arrays["fn"], positives)
    np.testing.assert_allclose(arrays["tp"] + arrays["fp"] + arrays["tn"] + arrays["fn"], 3001)
    with np.errstate(invalid="ignore"):
        derived = arrays["tp"] / (arrays["tp"] + arrays["fp"])
    mask = arrays["tp"] > 0
    np.testing.assert_allclose(derived[mask], np.asarray(arrays["precision"])[mask])


def test_counts_given_by_the_curve_are_used_as_they_are():
    pr = {
        "precision": [0.5, 1.0],
        "recall": [1.0, 0.5],
        "tp": [2, 1],
        "fp": [2, 0],
        "tn": [0, 2],
        "fn": [0, 1],
    }
    arrays = pr_curve_arrays({"pr": pr}, 4)
    assert arrays["fp"].tolist() == [2, 0]


def test_counts_unknown_without_confusion_are_nan():
    arrays = pr_curve_arrays({"pr": {"precision": [0.5, 1.0], "recall": [1.0, 0.5]}}, 10)
    assert all(math.isnan(x) for x in arrays["tp"])
    assert arrays["recall"].tolist() == [1.0, 0.5]


def test_long_curves_are_thinned_keeping_both_ends():
    n = 1000
    pr = {"precision": np.linspace(0.1, 1, n).tolist(), "recall": np.linspace(1, 0, n).tolist()}
    arrays = pr_curve_arrays({"pr": pr, "confusion": {"tp": 10, "fn": 5}}, 100)
    assert len(arrays["precision"]) == MAX_PR_POINTS
    assert arrays["recall"][0] == 1.0 and arrays["recall"][-1] == 0.0


def test_no_pr_curve_for_the_lstm():
    assert pr_curve_arrays(lstm_result().curves, 10) is None


def test_scalar_tags_by_split_group():
    tags = scalar_tags(lstm_result(1, split="production/day_004"))
    assert "production/mse" in tags
    assert "production_ci95/mse_high" in tags
    assert "production_defect/cracks/r2_score" in tags
    assert tags["production/n_samples"] == 1201.0


def test_counts_from_the_curve_complete_with_the_confusion_matrix():
    pr = {
        "precision": [0.5, 0.0, math.nan],
        "recall": [1.0, 0.0, 0.0],
        "tp": [4, 0, 0],
        "fp": [4, 2, 0],
    }
    arrays = pr_curve_arrays({"pr": pr, "confusion": {"tp": 3, "fn": 1}}, 10)
    assert arrays["fp"].tolist() == [4, 2, 0]
    assert arrays["fn"].tolist() == [0, 4, 4]
    assert arrays["tn"].tolist() == [2, 4, 6]


def test_undefined_precision_means_no_false_positives():
    result = gnn_result(1)
    arrays = pr_curve_arrays(result.curves, result.n_samples)
    assert arrays["tp"][-1] == 0 and arrays["fp"][-1] == 0
