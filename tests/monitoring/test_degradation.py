"""Degradation: the window-vs-baseline test and the drift detectors, on seeded simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glass_metrics.metrics.types import MetricValue
from glass_metrics.monitoring.degradation import (
    Z95,
    between_window_variance,
    compare,
    cusum,
    page_hinkley,
    pool,
    standard_error,
)


def _mv(value: float, se: float, n: int = 1000) -> MetricValue:
    return MetricValue(value, n, value - Z95 * se, value + Z95 * se)


def _series(values, se: float) -> list[MetricValue]:
    return [_mv(float(v), se) for v in values]


def test_standard_error_from_interval():
    assert standard_error(_mv(0.2, 0.01)) == pytest.approx(0.01)
    assert math.isnan(standard_error(MetricValue(0.2, 10)))


def test_a_large_significant_worsening_is_degradation():
    result = compare(
        _mv(0.20, 0.01), _mv(0.10, 0.01), higher_is_worse=True, alpha=0.01, min_effect=0.05
    )

    assert result.degraded and result.z == pytest.approx(0.1 / math.hypot(0.01, 0.01))
    assert result.p_value < 1e-10 and result.change == pytest.approx(0.1)


def test_noise_and_improvement_are_not():
    noise = compare(_mv(0.11, 0.01), _mv(0.10, 0.01), higher_is_worse=True, alpha=0.01)
    better = compare(_mv(0.05, 0.01), _mv(0.10, 0.01), higher_is_worse=True, alpha=0.01)
    score_up = compare(_mv(0.9, 0.01), _mv(0.7, 0.01), higher_is_worse=False, alpha=0.01)

    assert not noise.degraded and 0.2 < noise.p_value < 0.3
    assert not better.degraded and better.p_value > 0.99
    assert not score_up.degraded


def test_significant_but_small_is_not_degradation():
    tiny = compare(
        _mv(0.102, 0.0001), _mv(0.100, 0.0001), higher_is_worse=True, alpha=0.01, min_effect=0.01
    )

    assert tiny.p_value < 1e-6 and not tiny.degraded


def test_two_proportion_test_matches_the_textbook_formula():
    window, base = MetricValue(0.80, 500), MetricValue(0.86, 600)
    result = compare(window, base, higher_is_worse=False, alpha=0.05, proportion=True)

    pooled = (0.80 * 500 + 0.86 * 600) / 1100
    z = 0.06 / math.sqrt(pooled * (1 - pooled) * (1 / 500 + 1 / 600))
    assert result.method == "two-proportion z-test"
    assert result.z == pytest.approx(z) and result.degraded


def test_without_intervals_nothing_is_claimed():
    result = compare(MetricValue(0.5, 10), MetricValue(0.1, 10), higher_is_worse=True, alpha=0.05)

    assert not result.degraded and math.isnan(result.p_value)


def test_false_alarm_rate_of_the_test_is_about_alpha():
    rng = np.random.default_rng(11)
    base = _mv(0.5, 0.01)
    draws = rng.normal(0.5, 0.01, size=4000)
    alarms = sum(
        compare(_mv(x, 0.01), base, higher_is_worse=True, alpha=0.05).degraded for x in draws
    )

    # One-sided alpha 0.05 on window-vs-fixed baseline with both SEs counted: about 1.4 %.
    assert alarms / len(draws) < 0.05


def test_pool_weights_by_n():
    pooled = pool([MetricValue(0.1, 100, 0.08, 0.12), MetricValue(0.4, 300, 0.38, 0.42)])

    assert pooled.value == pytest.approx(0.325) and pooled.n == 400
    assert standard_error(pooled) < standard_error(MetricValue(0.4, 300, 0.38, 0.42))


@pytest.mark.parametrize("detector", [cusum, page_hinkley])
def test_slow_drift_is_found_though_no_single_window_is_significant(detector):
    rng = np.random.default_rng(3)
    se = 0.01
    drift = np.r_[np.zeros(10), np.linspace(0.0, 0.02, 30)]
    series = _series(0.10 + drift + rng.normal(0, se, size=drift.size), se)
    deployment = _mv(0.10, se)

    single = [compare(m, deployment, higher_is_worse=True, alpha=0.001) for m in series]
    found = [
        i
        for i in range(len(series))
        if detector(series[: i + 1], higher_is_worse=True, warmup=10).alarm
    ]

    assert not any(c.degraded for c in single)
    assert found and 15 <= found[0] < 40


@pytest.mark.parametrize("detector", [cusum, page_hinkley])
def test_stationary_noise_raises_few_alarms(detector):
    runs = [
        _series(0.7 + np.random.default_rng(100 + seed).normal(0, 0.01, size=40), 0.01)
        for seed in range(40)
    ]
    alarms = sum(
        any(detector(s[: i + 1], higher_is_worse=False, warmup=10).alarm for i in range(len(s)))
        for s in runs
    )

    # Measured rate about 7 % (CUSUM) and 2 % (Page-Hinkley) per run of 30 windows.
    assert alarms <= 4


def test_detectors_look_only_in_the_bad_direction():
    rng = np.random.default_rng(5)
    values = np.r_[np.full(10, 0.7), np.full(15, 0.8)] + rng.normal(0, 0.005, 25)

    series = _series(values, 0.005)

    assert cusum(series, higher_is_worse=True).alarm
    assert not cusum(series, higher_is_worse=False).alarm
    assert not page_hinkley(series, higher_is_worse=False).alarm


def test_min_effect_silences_a_tiny_shift_and_warmup_says_nothing():
    rng = np.random.default_rng(8)
    values = np.r_[np.full(10, 0.1), np.full(20, 0.1005)] + rng.normal(0, 0.0001, 30)

    series = _series(values, 0.0001)

    assert cusum(series, higher_is_worse=True).alarm
    assert not cusum(series, higher_is_worse=True, min_effect=0.01).alarm
    assert cusum(series[:5], higher_is_worse=True).method == "cusum (warming up)"


def test_between_window_spread_beyond_sampling_noise():
    rng = np.random.default_rng(21)
    spread = _series(0.8 + rng.normal(0, 0.05, size=4000), 0.02)
    quiet = _series(0.8 + rng.normal(0, 0.02, size=400), 0.02)

    assert between_window_variance(spread) == pytest.approx(0.05**2 - 0.02**2, rel=0.1)
    assert between_window_variance(quiet) < 0.0002
    assert between_window_variance(spread[:2]) == 0.0


def test_between_window_variance_widens_the_test():
    window, base = _mv(0.70, 0.02), _mv(0.80, 0.01)
    narrow = compare(window, base, higher_is_worse=False, alpha=0.01)
    wide = compare(window, base, higher_is_worse=False, alpha=0.01, extra_variance=0.05**2)

    assert narrow.degraded and not wide.degraded
    assert wide.z == pytest.approx(0.1 / math.sqrt(0.02**2 + 0.01**2 + 0.05**2))
