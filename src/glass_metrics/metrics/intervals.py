"""95 % intervals: Wilson for proportions, normal approximations for the rest.

Every function returns ``(low, high)``; an interval that cannot be formed (too few
samples, an undefined value) is ``(nan, nan)``.
"""

from __future__ import annotations

import math

import numpy as np

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054

NAN_PAIR = (math.nan, math.nan)


def wilson(successes: float, trials: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / trials``."""
    if trials <= 0:
        return NAN_PAIR
    p = successes / trials
    z2 = Z95 * Z95
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def normal(
    value: float, se: float, low: float = -math.inf, high: float = math.inf
) -> tuple[float, float]:
    """Normal-approximation interval ``value ± z·se`` clipped to [low, high]."""
    if not (math.isfinite(value) and math.isfinite(se)):
        return NAN_PAIR
    return max(low, value - Z95 * se), min(high, value + Z95 * se)


def mean_se(total: float, total_sq: float, n: int) -> float:
    """Standard error of a sample mean from the sum and the sum of squares (n - 1 divisor)."""
    if n < 2:
        return math.nan
    mean = total / n
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    return math.sqrt(var / n)


def fisher_z(r: float, n: int) -> tuple[float, float]:
    """Interval of a correlation-like figure in [-1, 1] via Fisher's z transform."""
    if n <= 3 or not math.isfinite(r):
        return NAN_PAIR
    if abs(r) >= 1.0:
        return (r, r) if r > 0 else (-1.0, -1.0)
    z = math.atanh(r)
    half = Z95 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def hanley_mcneil(auc: float, n_pos: int, n_neg: int) -> tuple[float, float]:
    """Interval of a ROC AUC from Hanley and McNeil's (1982) variance."""
    if n_pos < 1 or n_neg < 1 or not math.isfinite(auc):
        return NAN_PAIR
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (
        n_pos * n_neg
    )
    return normal(auc, math.sqrt(max(var, 0.0)), 0.0, 1.0)


def logit(value: float, n: int) -> tuple[float, float]:
    """Logit-normal interval of a proportion-like figure resting on ``n`` samples.

    Used for average precision (Boyd, Eng and Page 2013): ``logit(v) ± z / sqrt(n v (1 - v))``.
    """
    if n < 1 or not math.isfinite(value):
        return NAN_PAIR
    if value <= 0.0 or value >= 1.0:
        return (value, value)
    centre = math.log(value / (1 - value))
    half = Z95 / math.sqrt(n * value * (1 - value))
    return 1 / (1 + math.exp(-(centre - half))), 1 / (1 + math.exp(-(centre + half)))


def delta_multinomial(gradient: np.ndarray, probs: np.ndarray, n: int) -> float:
    """Delta-method standard error of a function of multinomial cell proportions."""
    if n < 1:
        return math.nan
    cov = (np.diag(probs) - np.outer(probs, probs)) / n
    return math.sqrt(max(float(gradient @ cov @ gradient), 0.0))
