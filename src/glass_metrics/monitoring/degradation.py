"""Has a model got worse? Pure functions over published figures, no state and no I/O.

Two complementary checks, both one-sided (only a change in the bad direction counts):

* :func:`compare`, a significance test of one window's figure against a baseline figure.
  For a proportion (accuracy, precision, recall) it is the two-proportion z-test on the
  values and their sample counts, pooled under the null hypothesis of no change. For every
  other metric the standard errors come from the published 95 % intervals,
  ``se = (ci_high - ci_low) / (2 * 1.96)``, and ``z = change / sqrt(se_w**2 + se_b**2)``
  (a normal approximation; asymmetric intervals such as R2's are treated by their width).
  Production windows also differ from one another by more than their sampling noise; the
  monitor estimates that spread from the model version's reference windows
  (:func:`between_window_variance`) and adds it to the variance of the change. It reports
  degradation only when ``p < alpha`` *and* the change is at least ``min_effect`` in the
  metric's units: big samples make tiny changes significant, and a tiny change is not
  worth waking anyone.
* :func:`cusum` and :func:`page_hinkley`, change detectors over the history of one model
  version's figures. Each figure is standardised against the first ``warmup`` figures
  (their mean, and as noise the larger of their standard deviation and their median
  standard error, widened by ``sqrt(1 + 1/warmup)`` for the error of the estimated mean),
  so the thresholds are in units of that noise. They catch a slow drift or a small
  sustained shift that no single window's test shows. They too require the estimated shift
  to reach ``min_effect``. Measured on Gaussian noise, warmup windows then 30 more (200
  stationary runs; 50 runs with a one-sigma step or a ramp to two sigma): CUSUM
  (``k=0.5, h=5``) with ``warmup=5`` alarms in 9.5 % of stationary runs and finds the step
  after a median 12 windows (misses 14 of 50 within 30) and the ramp after 22; with
  ``warmup=10``, 7 %, 16 windows (misses 7) and 22. Page-Hinkley (``delta=0.25,
  lambda=6``, ``warmup=5``) alarms in 2 % and finds the ramp after 25 windows but few
  steps. A short warmup is the price of a drift that may begin early.

Limitations: windows are treated as independent samples; the significance test is repeated
on every window without a multiple-testing correction (keep ``alpha`` small and use ``for``);
the detectors need ``warmup`` windows of the current model version before they say anything.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from glass_metrics.metrics.types import MetricValue

Z95 = 1.959963984540054
PROPORTIONS = frozenset({"accuracy", "precision", "recall"})


@dataclass(frozen=True)
class Comparison:
    """A window's figure against its baseline.

    ``change`` is window minus baseline in the metric's units; ``p_value`` is one-sided in
    the bad direction (NaN when the figures carry no interval to test with).
    """

    change: float
    z: float
    p_value: float
    method: str
    degraded: bool


@dataclass(frozen=True)
class Drift:
    """A change detector's verdict after the latest figure.

    ``statistic`` is compared with ``threshold`` (both in noise units); ``shift`` is the
    estimated change of the mean since the detector's excursion began, in metric units.
    """

    statistic: float
    threshold: float
    shift: float
    alarm: bool
    method: str


def standard_error(m: MetricValue) -> float:
    """The standard error implied by a 95 % interval's width (NaN without an interval)."""
    width = m.ci_high - m.ci_low
    return width / (2 * Z95) if math.isfinite(width) and width >= 0 else math.nan


def one_sided_p(z: float) -> float:
    """P(Z >= z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def compare(
    window: MetricValue,
    baseline: MetricValue,
    *,
    higher_is_worse: bool,
    alpha: float,
    min_effect: float = 0.0,
    proportion: bool = False,
    extra_variance: float = 0.0,
) -> Comparison:
    """Test whether ``window`` is significantly worse than ``baseline``.

    ``proportion`` selects the two-proportion z-test (values in [0, 1] with their ``n``).
    ``extra_variance`` is added to the variance of the change: the windows' own spread
    beyond sampling noise (see :func:`between_window_variance`). A NaN figure, or missing
    intervals for the interval test, gives ``degraded=False`` and a NaN p-value.
    """
    change = window.value - baseline.value
    sign = 1.0 if higher_is_worse else -1.0
    if proportion and window.n > 0 and baseline.n > 0:
        se, method = _proportion_se(window, baseline), "two-proportion z-test"
    else:
        se = math.hypot(standard_error(window), standard_error(baseline))
        method = "z-test on 95% interval widths"
    if extra_variance > 0:
        se = math.sqrt(se**2 + extra_variance)
        method += " + between-window variance"

    if not math.isfinite(change) or not math.isfinite(se):
        return Comparison(change, math.nan, math.nan, method, False)
    z = sign * change / se if se > 0 else math.copysign(math.inf, sign * change or -1.0)
    p = one_sided_p(z)
    degraded = p < alpha and sign * change >= min_effect
    return Comparison(change, z, p, method, degraded)


def _proportion_se(a: MetricValue, b: MetricValue) -> float:
    pooled = (a.value * a.n + b.value * b.n) / (a.n + b.n)
    return math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))


def between_window_variance(series: Sequence[MetricValue]) -> float:
    """How much the windows' true figures vary beyond their sampling noise.

    The method-of-moments estimate ``max(0, var(values) - mean(se**2))``: production windows
    differ (shifts, product changes, upsets) by more than their intervals say, and a test
    that ignores this cries wolf on ordinary days. 0.0 with fewer than three usable figures.
    """
    usable = [v for v in series if math.isfinite(v.value) and math.isfinite(standard_error(v))]
    if len(usable) < 3:
        return 0.0
    spread = statistics.variance([v.value for v in usable])
    noise = statistics.fmean([standard_error(v) ** 2 for v in usable])
    return max(0.0, spread - noise)


def pool(values: Sequence[MetricValue]) -> MetricValue:
    """Several windows' figures as one reference figure: ``n``-weighted mean and interval.

    The pooled standard error treats the windows as independent:
    ``se = sqrt(sum((n_i * se_i)**2)) / sum(n_i)``.
    """
    usable = [v for v in values if math.isfinite(v.value) and v.n > 0]
    if not usable:
        return MetricValue(math.nan, 0)
    total = sum(v.n for v in usable)
    value = sum(v.value * v.n for v in usable) / total
    se = math.sqrt(sum((v.n * standard_error(v)) ** 2 for v in usable)) / total
    return MetricValue(value, total, value - Z95 * se, value + Z95 * se, "pooled windows")


def _standardise(
    series: Sequence[MetricValue], warmup: int, higher_is_worse: bool
) -> tuple[list[float], float, float] | None:
    """Signed noise-unit scores of every figure (positive = worse), the mean and the noise."""
    values = [v.value for v in series]
    if len(values) <= warmup or not all(math.isfinite(x) for x in values):
        return None
    head = values[:warmup]
    ses = [standard_error(v) for v in series[:warmup]]
    ses = [s for s in ses if math.isfinite(s)]
    noise = max(statistics.stdev(head), statistics.median(ses) if ses else 0.0)
    # The in-control mean is itself estimated from `warmup` figures; counting its error in
    # the noise keeps the false-alarm rate near the textbook one for short warmups.
    sigma = noise * math.sqrt(1 + 1 / warmup)
    if not sigma > 0:
        return None
    mu, sign = statistics.fmean(head), (1.0 if higher_is_worse else -1.0)
    return [sign * (x - mu) / sigma for x in values], mu, sigma


def cusum(
    series: Sequence[MetricValue],
    *,
    higher_is_worse: bool,
    k: float = 0.5,
    h: float = 5.0,
    warmup: int = 5,
    min_effect: float = 0.0,
) -> Drift:
    """One-sided tabular CUSUM: ``S_t = max(0, S_{t-1} + z_t - k)``, alarm while ``S_t > h``.

    ``z_t`` is the figure in noise units (positive = worse) after the ``warmup`` figures
    that define the in-control mean. With ``k=0.5, h=5`` and a known mean, a one-sigma
    sustained shift is found after about ten windows and a false alarm comes about once in
    900 windows (an estimated mean does worse; see the module's measurements). The
    statistic is not reset after an alarm, so the alarm holds while the shift lasts and
    clears once the figures return.
    """
    scored = _standardise(series, warmup, higher_is_worse)
    if scored is None:
        return Drift(0.0, h, 0.0, False, "cusum (warming up)")
    z, mu, sigma = scored

    stat, start = 0.0, warmup
    for i in range(warmup, len(z)):
        stat = max(0.0, stat + z[i] - k)
        if stat == 0.0:
            start = i + 1
    shift = statistics.fmean(z[start:]) * sigma if start < len(z) else 0.0
    alarm = stat > h and shift >= min_effect
    return Drift(stat, h, shift, alarm, "cusum")


def page_hinkley(
    series: Sequence[MetricValue],
    *,
    higher_is_worse: bool,
    delta: float = 0.25,
    lambda_: float = 6.0,
    warmup: int = 5,
    min_effect: float = 0.0,
) -> Drift:
    """Page-Hinkley test: ``m_T = sum(z_t - mean(z_1..T) - delta)``, alarm while
    ``m_T - min(m_t) > lambda_``.

    Scores are in noise units, positive = worse, standardised as for :func:`cusum`. Unlike
    CUSUM the reference mean is the running mean, so a shift that has lasted long enough
    to dominate that mean stops counting (the alarm fades by itself).
    """
    scored = _standardise(series, warmup, higher_is_worse)
    if scored is None:
        return Drift(0.0, lambda_, 0.0, False, "page-hinkley (warming up)")
    z, _, sigma = scored

    m, low, low_at, total = 0.0, 0.0, 0, 0.0
    for i, zi in enumerate(z):
        total += zi
        m += zi - total / (i + 1) - delta
        if m < low:
            low, low_at = m, i + 1
    stat = m - low
    shift = statistics.fmean(z[low_at:]) * sigma if low_at < len(z) else 0.0
    alarm = stat > lambda_ and shift >= min_effect
    return Drift(stat, lambda_, shift, alarm, "page-hinkley")
