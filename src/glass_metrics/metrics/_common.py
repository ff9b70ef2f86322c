"""Shared plumbing of the metric states: input checks, undefined-metric reporting, sub-blocks.

Input problems raise :class:`MetricInputError`, a ``ValueError`` that carries each problem
(what, which argument, how many values, the first offending index) so that a caller reading
a file can translate the index into a row number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from glass_metrics.metrics.types import Finding, MetricValue

#: Rows per sub-block: small enough that the float64 temporaries stay in the CPU cache (and
#: below OpenBLAS's threshold for threading a dot product, which only adds contention here).
BLOCK_ROWS = 8_192


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined on the data given; its value is NaN and a finding says why."""


@dataclass(frozen=True)
class Problem:
    """One kind of bad value in one argument: how many and where the first one is."""

    argument: str
    what: str
    count: int
    first_index: int
    first_value: object = None

    def describe(self, offset: int = 0, unit: str = "index") -> str:
        """A sentence naming the argument, the problem, the count and the first position."""
        shown = "" if self.first_value is None else f" (value {self.first_value!r})"
        return (
            f"{self.argument!r}: {self.count} {self.what}; "
            f"first at {unit} {self.first_index + offset}{shown}"
        )


class MetricInputError(ValueError):
    """Bad input to a metric state; ``problems`` lists each problem found."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def raise_problems(problems: list[Problem]) -> None:
    """Raise one :class:`MetricInputError` describing every problem, if there are any."""
    if problems:
        raise MetricInputError("; ".join(p.describe() for p in problems), problems)


def as_2d(values: object, argument: str, k: int) -> np.ndarray:
    """``values`` as an array of shape (n, k); a 1-D array is accepted when k == 1."""
    arr = np.asarray(values)
    if arr.ndim == 1 and k == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise MetricInputError(
            f"{argument!r}: expected shape (n, {k})"
            + (" or (n,)" if k == 1 else "")
            + f", got {arr.shape}"
        )
    if arr.dtype.kind not in "fiub":
        raise MetricInputError(f"{argument!r}: expected numbers, got dtype {arr.dtype}")
    return arr


def as_1d(values: object, argument: str) -> np.ndarray:
    """``values`` as a 1-D numeric array."""
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricInputError(f"{argument!r}: expected shape (n,), got {arr.shape}")
    if arr.dtype.kind not in "fiub":
        raise MetricInputError(f"{argument!r}: expected numbers, got dtype {arr.dtype}")
    return arr


def check_same_length(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise when the two arguments hold a different number of samples."""
    if len(a) != len(b):
        raise MetricInputError(
            f"{names[0]!r} and {names[1]!r} must have the same length, got {len(a)} and {len(b)}"
        )


def _first(mask: np.ndarray, arr: np.ndarray, argument: str, what: str) -> Problem:
    flat = np.flatnonzero(mask.reshape(len(mask), -1).any(axis=1))
    value = arr.reshape(len(arr), -1)[flat[0]]
    shown = value.item() if value.size == 1 else value.tolist()
    return Problem(argument, what, int(np.count_nonzero(mask)), int(flat[0]), shown)


def find_nonfinite(arr: np.ndarray, argument: str) -> list[Problem]:
    """NaN or infinite values in a float array (an integer array has none)."""
    if arr.dtype.kind != "f" or arr.size == 0 or math.isfinite(float(np.add.reduce(arr, None))):
        return []
    bad = ~np.isfinite(arr)
    if not bad.any():
        return []
    return [_first(bad, arr, argument, "NaN or infinite values")]


def find_outside(arr: np.ndarray, argument: str, low: float, high: float) -> list[Problem]:
    """Finite values outside [low, high]."""
    if arr.size == 0:
        return []
    lo, hi = np.min(arr), np.max(arr)
    if not (lo < low or hi > high):
        return []
    bad = (arr < low) | (arr > high)
    return [_first(bad, arr, argument, f"values outside [{low:g}, {high:g}]")]


def find_not_binary(arr: np.ndarray, argument: str) -> list[Problem]:
    """Labels other than 0 and 1."""
    if arr.size == 0 or arr.dtype == np.bool_:
        return []
    lo, hi = np.min(arr), np.max(arr)
    if lo >= 0 and hi <= 1 and (arr.dtype.kind in "iu" or not np.any((arr > 0) & (arr < 1))):
        return []
    bad = (arr != 0) & (arr != 1)
    return [_first(bad, arr, argument, "labels other than 0 and 1")]


def blocks(n: int, rows: int = BLOCK_ROWS) -> Iterator[slice]:
    """Consecutive slices of at most ``rows`` rows covering range(n)."""
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def undefined(name: str, n: int, reason: str, findings: list[Finding]) -> MetricValue:
    """A NaN figure for an undefined metric; records a finding and warns why."""
    message = f"{name} is undefined: {reason}"
    findings.append(Finding("warning", "undefined-metric", message, name))
    warnings.warn(message, UndefinedMetricWarning, stacklevel=3)
    return MetricValue(math.nan, n, math.nan, math.nan, "undefined")


#: The regression state's sums, in the order the kernel returns them: sums of the shifted
#: target ``t - shift``, of its square, of the squared error ``(p - t)²``, of the absolute
#: error and of the fourth power of the error.
REGRESSION_SUMS = ("s_t", "s_tt", "s_d2", "s_abs", "s_d4")
