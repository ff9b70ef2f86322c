"""Every metric against scikit-learn, on random float64 data, whole and chunked."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from glass_metrics.metrics import BinaryState, RegressionState

RTOL = 1e-9
OUTPUTS = ["bubbles", "stones", "cords"]

REGRESSION_REFERENCE = {
    "mse": skm.mean_squared_error,
    "mae": skm.mean_absolute_error,
    "r2_score": skm.r2_score,
    "rmse": skm.root_mean_squared_error,
}
BINARY_REFERENCE = {
    "accuracy": lambda y, s, pred: skm.accuracy_score(y, pred),
    "precision": lambda y, s, pred: skm.precision_score(y, pred),
    "recall": lambda y, s, pred: skm.recall_score(y, pred),
    "f1_score": lambda y, s, pred: skm.f1_score(y, pred),
    "balanced_accuracy": lambda y, s, pred: skm.balanced_accuracy_score(y, pred),
    "mcc": lambda y, s, pred: skm.matthews_corrcoef(y, pred),
    "roc_auc": lambda y, s, pred: skm.roc_auc_score(y, s),
    "pr_auc": lambda y, s, pred: skm.average_precision_score(y, s),
}


def _regression_data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, len(OUTPUTS))) * [1.0, 10.0, 1000.0] + [0.0, 5.0, 1500.0]
    y_pred = y_true + rng.normal(0.0, 0.3, y_true.shape) * [1.0, 10.0, 100.0]
    return y_true, y_pred


def _chunked(state_factory, a: np.ndarray, b: np.ndarray, sizes: list[int]):
    state, start = state_factory(), 0
    for size in sizes:
        state.update(a[start : start + size], b[start : start + size])
        start += size
    return state.update(a[start:], b[start:])


def _partitioned(state_factory, a: np.ndarray, b: np.ndarray, parts: int):
    pieces = [
        state_factory().update(x, y)
        for x, y in zip(np.array_split(a, parts), np.array_split(b, parts), strict=True)
    ]
    merged = state_factory()
    for piece in reversed(pieces):
        merged.merge(piece)
    return merged


@pytest.mark.parametrize("mode", ["whole", "chunked", "partitioned"])
@pytest.mark.parametrize("metric", sorted(REGRESSION_REFERENCE))
def test_regression_matches_sklearn(metric: str, mode: str) -> None:
    y_true, y_pred = _regression_data()

    def factory() -> RegressionState:
        return RegressionState(OUTPUTS)

    state = {
        "whole": lambda: factory().update(y_true, y_pred),
        "chunked": lambda: _chunked(factory, y_true, y_pred, [1, 7, 1000, 9000]),
        "partitioned": lambda: _partitioned(factory, y_true, y_pred, 5),
    }[mode]()
    result = state.compute()

    reference = REGRESSION_REFERENCE[metric]
    expected = reference(y_true, y_pred, multioutput="raw_values")
    for j, name in enumerate(OUTPUTS):
        assert result.per_output[name][metric].value == pytest.approx(expected[j], rel=RTOL)
    overall = (
        np.sqrt(skm.mean_squared_error(y_true, y_pred))  # pooled, so that RMSE² = MSE
        if metric == "rmse"
        else reference(y_true, y_pred)
    )
    assert result.overall[metric].value == pytest.approx(overall, rel=RTOL)
    assert result.overall[metric].n == len(y_true)


def test_regression_single_output_accepts_1d() -> None:
    y_true, y_pred = _regression_data()
    result = RegressionState(["bubbles"]).update(y_true[:, 0], y_pred[:, 0]).compute()
    expected = skm.mean_squared_error(y_true[:, 0], y_pred[:, 0])
    assert result.overall["mse"].value == pytest.approx(expected, rel=RTOL)


def test_regression_float32_is_accumulated_in_float64() -> None:
    y_true, y_pred = (a.astype(np.float32) for a in _regression_data(50_000))
    result = RegressionState(OUTPUTS).update(y_true, y_pred).compute()
    expected = skm.mean_squared_error(y_true.astype(np.float64), y_pred.astype(np.float64))
    assert result.overall["mse"].value == pytest.approx(expected, rel=1e-9)


def _binary_data(n: int, seed: int = 1, quantised_to: int | None = None):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.0, 1.0)
    if quantised_to:
        s = np.floor(s * quantised_to) / quantised_to
    return y, s


@pytest.mark.parametrize("mode", ["whole", "chunked", "partitioned"])
@pytest.mark.parametrize("metric", sorted(BINARY_REFERENCE))
def test_binary_matches_sklearn_on_grid_scores(metric: str, mode: str) -> None:
    """Scores on the histogram grid make even the AUCs exact."""
    y, s = _binary_data(5000, quantised_to=1024)
    threshold = 0.45

    def factory() -> BinaryState:
        return BinaryState(threshold, n_bins=1 << 14)

    state = {
        "whole": lambda: factory().update(y, s),
        "chunked": lambda: _chunked(factory, y, s, [1, 2, 1000, 3000]),
        "partitioned": lambda: _partitioned(factory, y, s, 7),
    }[mode]()
    value = state.compute().metrics[metric].value
    assert value == pytest.approx(BINARY_REFERENCE[metric](y, s, s >= threshold), rel=RTOL)


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc"])
def test_histogram_auc_within_2e3_of_exact(metric: str) -> None:
    y, s = _binary_data(20_000, seed=3)
    value = BinaryState().update(y, s).compute().metrics[metric].value
    assert abs(value - BINARY_REFERENCE[metric](y, s, None)) < 2e-3


def test_binary_confusion_matches_sklearn() -> None:
    y, s = _binary_data(4000)
    state = BinaryState(0.5).update(y, s)
    tn, fp, fn, tp = skm.confusion_matrix(y, s >= 0.5).ravel()
    assert state.compute().confusion == {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def test_pr_curve_matches_sklearn_on_grid_scores() -> None:
    y, s = _binary_data(3000, quantised_to=256)
    s = np.minimum(s, 255 / 256)  # a score of exactly 1 shares the top bin with 1 - 1/n_bins
    precision, recall, thresholds = BinaryState(n_bins=1024).update(y, s).pr_curve()
    ref_p, ref_r, ref_t = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(thresholds, ref_t)
    np.testing.assert_allclose(precision, ref_p[:-1], rtol=RTOL)
    np.testing.assert_allclose(recall, ref_r[:-1], rtol=RTOL)


def test_update_columns_equals_update() -> None:
    y_true, y_pred = (a.astype(np.float32) for a in _regression_data(20_000))
    stacked = RegressionState(OUTPUTS).update(y_true, y_pred)
    columns = RegressionState(OUTPUTS).update_columns(list(y_true.T.copy()), list(y_pred.T.copy()))
    assert columns.to_dict() == stacked.to_dict()
