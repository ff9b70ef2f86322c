"""One pass, any chunking and any partition merged in any order give the same state."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from glass_metrics.metrics import BinaryState, CalibrationState, RegressionState

SETTINGS = settings(max_examples=50, deadline=None)
unit = st.floats(0.0, 1.0, allow_nan=False, width=64)
real = st.floats(-1e3, 1e3, allow_nan=False, width=64)


def _roundtrip(state):
    return type(state).from_dict(json.loads(json.dumps(state.to_dict())))


def _split_points(n: int, data: st.DataObject) -> list[int]:
    cuts = data.draw(st.lists(st.integers(0, n), max_size=6))
    return sorted(cuts)


def _pieces(a: np.ndarray, b: np.ndarray, cuts: list[int]):
    edges = [0, *cuts, len(a)]
    return [(a[lo:hi], b[lo:hi]) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


def _merged(factory, pieces, order: list[int]):
    partial = [_roundtrip(factory().update(x, y)) for x, y in pieces]
    merged = factory()
    for i in order:
        merged.merge(partial[i])
    return merged


def _assert_same(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key in left:
        if isinstance(left[key], dict):
            _assert_same(left[key], right[key])
        elif key in ("kind", "outputs"):
            assert left[key] == right[key]
        elif key != "shift":
            np.testing.assert_allclose(left[key], right[key], rtol=1e-9, atol=1e-6)


def _check(factory, a, b, data) -> None:
    whole = factory().update(a, b)
    pieces = _pieces(a, b, _split_points(len(a), data))
    chunked = factory()
    for x, y in pieces:
        chunked.update(x, y)
    order = data.draw(st.permutations(range(len(pieces))))
    merged = _merged(factory, pieces, order)

    reference = whole.to_dict()
    for other in (chunked, merged, _roundtrip(merged)):
        assert len(other) == len(whole)
        _assert_same(_comparable(reference), _comparable(other.to_dict()))


def _comparable(d: dict) -> dict:
    """Shifted target sums re-expressed as raw moments, so states with different shifts compare."""
    if d["kind"] != "regression" or d["n"] == 0:
        return d
    shift, n, s = np.array(d["shift"]), d["n"], d["sums"]
    s_t, s_tt = np.array(s["s_t"]), np.array(s["s_tt"])
    sums = dict(s, s_t=s_t + n * shift, s_tt=s_tt - s_t**2 / n)
    return dict(d, sums=sums)


@SETTINGS
@given(
    arrays=st.integers(1, 3).flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float64, st.tuples(st.integers(0, 60), st.just(k)), elements=real),
            st.just(k),
        )
    ),
    data=st.data(),
)
def test_regression_partitions_agree(arrays, data) -> None:
    y_true, k = arrays
    noise = data.draw(hnp.arrays(np.float64, y_true.shape, elements=real))
    _check(lambda: RegressionState([f"o{j}" for j in range(k)]), y_true, y_true + noise, data)


@SETTINGS
@given(
    n=st.integers(0, 80),
    threshold=unit,
    data=st.data(),
)
def test_binary_partitions_agree(n, threshold, data) -> None:
    y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    s = data.draw(hnp.arrays(np.float64, n, elements=unit))
    _check(lambda: BinaryState(threshold, n_bins=64), y, s, data)


@SETTINGS
@given(n=st.integers(0, 80), data=st.data())
def test_calibration_partitions_agree(n, data) -> None:
    y = data.draw(hnp.arrays(np.float64, (n, 2), elements=unit))
    p = data.draw(hnp.arrays(np.float64, (n, 2), elements=unit))
    _check(lambda: CalibrationState(n_bins=10, outputs=["bubbles", "stones"]), y, p, data)
