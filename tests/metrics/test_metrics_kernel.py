"""The compiled regression kernel: every input layout and dtype gives the same sums."""

from __future__ import annotations

import numpy as np
import pytest

from glass_metrics.metrics import MetricInputError, RegressionState
from glass_metrics.metrics._common import BLOCK_ROWS
from glass_metrics.metrics._kernels import LANES

OUTPUTS = ["bubbles", "stones", "cords"]
N = 2 * BLOCK_ROWS + 3 * LANES + 5  # crosses block and lane boundaries, with a ragged tail


def _data(n: int = N, k: int = len(OUTPUTS), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, k)) * 10 + 1500).astype(np.float32)
    y_pred = y_true + rng.standard_normal((n, k)).astype(np.float32)
    return y_true, y_pred


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr.flags.writeable = False
    return arr


LAYOUTS = {
    "float64": lambda t, p: (t.astype(np.float64), p.astype(np.float64)),
    "F-ordered": lambda t, p: (np.asfortranarray(t), np.asfortranarray(p)),
    "F-ordered float64": lambda t, p: (
        np.asfortranarray(t, dtype=np.float64),
        np.asfortranarray(p, dtype=np.float64),
    ),
    "every other row of a wider array": lambda t, p: (
        np.repeat(np.hstack([t, t]), 2, axis=0)[::2, : t.shape[1]],
        np.repeat(np.hstack([p, p]), 2, axis=0)[::2, : p.shape[1]],
    ),
    "mixed dtypes": lambda t, p: (t, p.astype(np.float64)),
    "read-only": lambda t, p: (_read_only(t), _read_only(p)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_gives_bit_identical_sums(layout: str) -> None:
    y_true, y_pred = _data()
    reference = RegressionState(OUTPUTS).update(y_true, y_pred).to_dict()
    t, p = LAYOUTS[layout](y_true, y_pred)
    assert RegressionState(OUTPUTS).update(t, p).to_dict() == reference


@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
def test_columns_give_bit_identical_sums(strided: bool) -> None:
    y_true, y_pred = _data()
    reference = RegressionState(OUTPUTS).update(y_true, y_pred).to_dict()
    t, p = (
        (list(y_true.T), list(y_pred.T))
        if strided
        else (list(y_true.T.copy()), list(y_pred.T.copy()))
    )
    assert RegressionState(OUTPUTS).update_columns(t, p).to_dict() == reference


def test_integer_input_equals_its_float64_copy() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.integers(-50, 50, (N, 2))
    y_pred = rng.integers(-50, 50, (N, 2)).astype(np.int8)
    as_int = RegressionState(["a", "b"]).update(y_true, y_pred)
    as_float = RegressionState(["a", "b"]).update(y_true.astype(float), y_pred.astype(float))
    assert as_int.to_dict() == as_float.to_dict()


@pytest.mark.parametrize("n", [1, LANES - 1, LANES, LANES + 1, BLOCK_ROWS + 1])
@pytest.mark.parametrize("k", [1, 2, 7])
def test_sums_equal_float64_numpy(n: int, k: int) -> None:
    y_true, y_pred = _data(n, k, seed=n + k)
    state = RegressionState([f"o{j}" for j in range(k)]).update(y_true, y_pred)

    t = y_true.astype(np.float64) - y_true[0].astype(np.float64)
    d = y_pred.astype(np.float64) - y_true.astype(np.float64)
    expected = {
        "s_t": t.sum(axis=0),
        "s_tt": (t * t).sum(axis=0),
        "s_d2": (d * d).sum(axis=0),
        "s_abs": np.abs(d).sum(axis=0),
        "s_d4": (d**4).sum(axis=0),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(getattr(state, name), value, rtol=1e-12, atol=1e-9)


def test_nonfinite_in_a_later_block_is_found_and_leaves_state_unchanged() -> None:
    y_true, y_pred = _data()
    state = RegressionState(OUTPUTS).update(y_true[:10], y_pred[:10])
    before = state.to_dict()
    y_pred[BLOCK_ROWS + 3, 1] = np.inf
    y_pred[N - 1, 2] = np.nan
    with pytest.raises(
        MetricInputError,
        match=rf"'y_pred': 2 NaN or infinite values; first at index {BLOCK_ROWS + 3}",
    ) as info:
        state.update(y_true, y_pred)
    assert info.value.problems[0].count == 2
    assert state.to_dict() == before


def test_nonfinite_in_a_column_names_the_column() -> None:
    y_true, y_pred = _data()
    y_true[7, 1] = np.nan
    state = RegressionState(OUTPUTS)
    with pytest.raises(
        MetricInputError,
        match=r"'y_true\[:, 1\]': 1 NaN or infinite values; first at index 7 \(value nan\)",
    ):
        state.update_columns(list(y_true.T), list(y_pred.T))
    assert state.n == 0


def test_overflowing_squares_are_an_error() -> None:
    with pytest.raises(MetricInputError, match="values too large: their squares overflow float64"):
        RegressionState(["a"]).update([0.0, 1e200], [1e200, 0.0])
