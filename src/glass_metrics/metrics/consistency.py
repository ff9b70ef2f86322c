"""Consistency checks over published figures: catch combinations no data could produce.

Figures use the specification's names without a model prefix (``mse``, ``accuracy``, ...).
Errors mark impossible figures (a ratio outside [0, 1], an F1 no precision and recall could
give, RMSE² ≠ MSE, R2 > 1, NaN); warnings mark legal but alarming ones (R2 < 0, an AUC
below chance, a tiny sample); notes mark precision the sample cannot support.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from glass_metrics.metrics.intervals import wilson
from glass_metrics.metrics.types import Finding

RATIOS = frozenset(
    {
        "accuracy",
        "precision",
        "recall",
        "f1_score",
        "balanced_accuracy",
        "specificity",
        "roc_auc",
        "pr_auc",
        "ece",
    }
)
ERRORS = frozenset({"mse", "mae", "rmse"})
KNOWN = RATIOS | ERRORS | {"r2_score", "mcc"}

#: Relative tolerance for RMSE² against MSE (figures are often stored as float32).
RMSE_TOLERANCE = 1e-4
#: A ratio's 95 % interval wider than this (half-width) earns a small-sample warning.
WIDE_INTERVAL = 0.1


def check_consistency(
    figures: Mapping[str, float],
    *,
    n: int | None = None,
    ci95: Mapping[str, tuple[float, float]] | None = None,
    printed: bool = True,
) -> list[Finding]:
    """Findings about one set of figures, optionally with their sample count and intervals.

    Names outside :data:`KNOWN` are only checked for being finite numbers. ``printed=False``
    skips the notes about printed decimals (for figures just computed, not yet published).
    """
    findings: list[Finding] = []
    values = _finite(figures, findings)
    for name, value in values.items():
        findings += _range(name, value)
    findings += _regression(values)
    findings += _f1(values)
    if n is not None:
        findings += _sample(values, n, printed)
    for name, interval in (ci95 or {}).items():
        if name in values:
            findings += _interval(name, values[name], interval)
    return findings


def decimals(value: float) -> int:
    """Digits after the decimal point in the shortest repr of ``value``."""
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _finite(figures: Mapping[str, float], findings: list[Finding]) -> dict[str, float]:
    values = {}
    for name, raw in figures.items():
        try:
            value = float(raw)
        except (TypeError, ValueError):
            findings.append(
                Finding("error", "not-a-number", f"{name} = {raw!r} is not a number", name)
            )
            continue
        if not math.isfinite(value):
            findings.append(
                Finding("error", "not-finite", f"{name} = {value} is not a finite number", name)
            )
            continue
        values[name] = value
    return values


def _range(name: str, value: float) -> list[Finding]:
    if name in RATIOS and not 0.0 <= value <= 1.0:
        hint = (
            f"; it looks like a percentage ({value:g} % = {value / 100:.6g} as a fraction)"
            if 1.0 < value <= 100.0
            else ""
        )
        return [
            Finding(
                "error",
                "ratio-out-of-range",
                f"{name} = {value!r} is outside [0, 1]{hint}; every ratio is published "
                "as a fraction",
                name,
            )
        ]
    if name in ERRORS and value < 0:
        return [
            Finding(
                "error",
                "negative-error",
                f"{name} = {value!r} is negative; an error measure is at least 0",
                name,
            )
        ]
    if name == "mcc" and not -1.0 <= value <= 1.0:
        return [Finding("error", "mcc-out-of-range", f"mcc = {value!r} is outside [-1, 1]", name)]
    if name == "r2_score" and value > 1.0:
        return [
            Finding(
                "error",
                "r2-above-one",
                f"r2_score = {value!r} exceeds 1, the value of "
                "a perfect model; no data can give it",
                name,
            )
        ]
    if name == "r2_score" and value < 0.0:
        return [
            Finding(
                "warning",
                "r2-negative",
                f"r2_score = {value!r} is below 0: the model "
                "is worse than predicting the mean of the target",
                name,
            )
        ]
    if name == "roc_auc" and value < 0.5:
        return [
            Finding(
                "warning",
                "auc-below-chance",
                f"roc_auc = {value!r} is below 0.5: the scores rank worse than chance (inverted?)",
                name,
            )
        ]
    return []


def _regression(values: Mapping[str, float]) -> list[Finding]:
    findings = []
    mse, rmse, mae = values.get("mse"), values.get("rmse"), values.get("mae")
    if mse is not None and rmse is not None and mse >= 0 and rmse >= 0:
        gap = abs(rmse * rmse - mse)
        if gap > RMSE_TOLERANCE * max(mse, rmse * rmse) + 1e-12:
            findings.append(
                Finding(
                    "error",
                    "rmse-mse-mismatch",
                    f"rmse² = {rmse * rmse:.6g} but mse = {mse:.6g}; RMSE is "
                    "the square root of MSE",
                    "rmse",
                )
            )
    if mae is not None and rmse is not None and mae > rmse * (1 + RMSE_TOLERANCE) + 1e-12:
        findings.append(
            Finding(
                "error",
                "mae-exceeds-rmse",
                f"mae = {mae:.6g} exceeds rmse = {rmse:.6g}; the mean absolute "
                "error can never exceed the root mean squared error",
                "mae",
            )
        )
    return findings


def _as_fraction(value: float) -> float | None:
    if 0.0 <= value <= 1.0:
        return value
    return value / 100.0 if 1.0 < value <= 100.0 else None


def _harmonic(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _f1(values: Mapping[str, float]) -> list[Finding]:
    if not {"precision", "recall", "f1_score"} <= values.keys():
        return []
    p, r, f1 = values["precision"], values["recall"], values["f1_score"]
    # Published figures are often rounded: allow half a unit in the last printed decimal of
    # the coarsest figure, and for the harmonic mean that rounding propagated through P and R.
    half_unit = 0.5 * 10.0 ** -min(decimals(p), decimals(r), decimals(f1), 12) + 1e-9
    findings = []
    if not (0 <= p <= 1 and 0 <= r <= 1) and abs(_harmonic(p, r) - f1) <= 5 * half_unit:
        findings.append(
            Finding(
                "error",
                "f1-mixed-units",
                f"f1_score = {f1!r} is the harmonic mean of precision = {p!r} and recall = {r!r} "
                "taken as printed, which mixes a percentage with a fraction",
                "f1_score",
            )
        )

    pf, rf = _as_fraction(p), _as_fraction(r)
    if pf is None or rf is None:
        return findings
    note = (
        ""
        if (pf, rf) == (p, r)
        else f" (with precision = {pf:.6g}, recall = {rf:.6g} as fractions)"
    )
    low, high = min(pf, rf), max(pf, rf)
    if not low - half_unit <= f1 <= high + half_unit:
        findings.append(
            Finding(
                "error",
                "f1-outside-range",
                f"f1_score = {f1!r} lies outside [min(P, R), max(P, R)] = [{low:.6g}, {high:.6g}]"
                f"{note}; the harmonic mean of two numbers lies between them",
                "f1_score",
            )
        )
    expected = _harmonic(pf, rf)
    if abs(expected - f1) > 5 * half_unit:
        findings.append(
            Finding(
                "error",
                "f1-not-harmonic-mean",
                f"f1_score = {f1!r} is not the harmonic mean 2PR/(P+R) = {expected:.6g} of the "
                f"published precision and recall{note}",
                "f1_score",
            )
        )
    return findings


def _sample(values: Mapping[str, float], n: int, printed: bool) -> list[Finding]:
    if n < 1 or n != int(n):
        return [
            Finding(
                "error",
                "bad-sample-count",
                f"n_samples = {n!r}; expected a whole number of at least 1",
            )
        ]
    findings = []
    supported = math.ceil(math.log10(n)) + 1
    for name, value in values.items():
        if name in RATIOS and 0 <= value <= 1:
            low, high = wilson(value * n, n)
            if (high - low) / 2 > WIDE_INTERVAL:
                findings.append(
                    Finding(
                        "warning",
                        "sample-too-small",
                        f"{name} = {value:.4g} rests on n = {n} samples: its 95 % interval "
                        f"[{low:.3f}, {high:.3f}] is too wide to support a conclusion",
                        name,
                    )
                )
        if printed and name in KNOWN and decimals(value) > supported + 1:
            findings.append(
                Finding(
                    "info",
                    "precision-not-supported",
                    f"{name} = {value!r} is printed with {decimals(value)} decimals, but n = {n} "
                    f"samples support about {supported}",
                    name,
                )
            )
    return findings + (_count_ratio(values, n) if printed else [])


def _count_ratio(values: Mapping[str, float], n: int) -> list[Finding]:
    """Accuracy is (correct samples) / n: flag a value that is no whole count over n."""
    acc = values.get("accuracy")
    if acc is None or not 0 <= acc <= 1 or decimals(acc) < math.log10(n) + 2:
        return []
    correct = acc * n
    if abs(correct - round(correct)) <= 1e-6 * n:
        return []
    return [
        Finding(
            "warning",
            "not-a-count-ratio",
            f"accuracy = {acc!r} times n = {n} gives {correct:.6g} correct samples, not "
            "a whole number: the figure and the sample count disagree",
            "accuracy",
        )
    ]


def _interval(name: str, value: float, interval: tuple[float, float]) -> list[Finding]:
    try:
        low, high = float(interval[0]), float(interval[1])
    except (TypeError, ValueError, IndexError):
        return [
            Finding(
                "error",
                "bad-interval",
                f"ci95 of {name} = {interval!r} is not a pair of numbers",
                name,
            )
        ]
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if low > high:
        return [
            Finding(
                "error",
                "bad-interval",
                f"ci95 of {name} = [{low:g}, {high:g}] has its lower bound above its upper bound",
                name,
            )
        ]
    slack = 1e-9 * max(1.0, abs(value))
    if not low - slack <= value <= high + slack:
        return [
            Finding(
                "error",
                "value-outside-interval",
                f"{name} = {value:g} lies outside its own 95 % interval [{low:g}, {high:g}]",
                name,
            )
        ]
    if name in RATIOS and (low < 0 or high > 1):
        return [
            Finding(
                "error",
                "interval-out-of-range",
                f"ci95 of {name} = [{low:g}, {high:g}] leaves [0, 1]",
                name,
            )
        ]
    return []


__all__ = ["KNOWN", "RATIOS", "check_consistency", "decimals"]
