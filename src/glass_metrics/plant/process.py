"""The line's hidden process state and the defect rates it causes (pure numpy).

Latent signals are unit-variance, seeded AR(1) processes and first-order lags of each other:
the crown temperature follows firing and pull, the furnace bottom follows the crown slowly,
the refiner follows the crown with a delay, and so on. Defect probabilities are logistic
functions of these signals at lags of 10 minutes to 90 minutes (2 to 18 steps of 5 minutes),
partly non-linear, so the recent history matters and the last reading alone does not suffice.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

DRIVERS = ("pull", "cullet", "moisture", "fuel", "air_excess", "h2", "lehr", "speed_own")
PERSISTENCE = {
    "pull": 0.96,
    "cullet": 0.995,
    "moisture": 0.98,
    "fuel": 0.85,
    "air_excess": 0.85,
    "h2": 0.9,
    "lehr": 0.85,
    "speed_own": 0.97,
}
PIECES_PER_STEP = 1000


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """A stationary unit-variance AR(1) series of length ``n`` with coefficient ``phi``."""
    shocks = rng.standard_normal(n)
    series = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], shocks)
    return series


def first_order_lag(x: np.ndarray, alpha: float) -> np.ndarray:
    """Exponential smoothing: the response of a first-order process with gain ``alpha``."""
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[x[0] * (1.0 - alpha)])[0]


def delay(x: np.ndarray, steps: int) -> np.ndarray:
    """``x`` shifted ``steps`` later in time, the first value repeated at the start."""
    if steps == 0:
        return x.copy()
    return np.concatenate([np.full(steps, x[0]), x[:-steps]])


def standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance over the series."""
    return (x - x.mean()) / x.std()


def drivers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The independent disturbances of the line: pull, cullet, moisture, firing, ..."""
    return {name: ar1(rng, n, PERSISTENCE[name]) for name in DRIVERS}


def latent_signals(rng: np.random.Generator, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The unit-variance process signals the sensors read, built from the drivers ``d``."""
    n = len(d["pull"])
    own = {name: ar1(rng, n, 0.85) for name in ("crown", "refiner", "bath", "bath_o2", "bottom")}

    heat = 0.8 * d["fuel"] - 0.4 * d["pull"] + 0.25 * d["cullet"]
    crown = standardise(0.8 * standardise(first_order_lag(heat, 0.5)) + 0.6 * own["crown"])
    bottom = standardise(standardise(first_order_lag(crown, 0.12)) + 0.3 * own["bottom"])
    refiner = standardise(first_order_lag(delay(crown, 3), 0.4))
    refiner = standardise(0.7 * refiner + 0.7 * own["refiner"])
    bath = standardise(0.4 * delay(refiner, 2) + own["bath"])
    speed = standardise(d["speed_own"] + 0.4 * d["pull"])
    level = standardise(first_order_lag(d["pull"] - speed, 0.1))
    bath_o2 = standardise(-0.5 * d["h2"] + own["bath_o2"])

    return {
        "pull": d["pull"],
        "cullet": d["cullet"],
        "moisture": d["moisture"],
        "fuel": d["fuel"],
        "air_excess": d["air_excess"],
        "crown": crown,
        "bottom": bottom,
        "refiner": refiner,
        "bath": bath,
        "h2": d["h2"],
        "bath_o2": bath_o2,
        "lehr": d["lehr"],
        "speed": speed,
        "level": level,
    }


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def defect_logits(s: dict[str, np.ndarray], shift: dict[str, np.ndarray]) -> np.ndarray:
    """Logits of the six defect probabilities, shape ``(n, 6)``, in ``DEFECTS`` order.

    ``shift`` holds per-defect additive terms and the bubble sensitivity multiplier that the
    drift scenarios change (``bubbles_gain``, ``stones``, ``bubbles``); zeros when healthy.
    """
    lag = delay
    bubbles = (
        -2.4
        + shift["bubbles_gain"] * 0.9 * np.logaddexp(0.0, -1.6 * lag(s["refiner"], 8))
        + 0.45 * lag(s["moisture"], 16)
        - 0.35 * lag(s["air_excess"], 5)
    )
    stones = (
        -2.6 + 0.9 * _relu(lag(s["pull"], 18) - lag(s["crown"], 18)) - 0.3 * lag(s["cullet"], 12)
    )
    gradient = lag(s["crown"], 12) - lag(s["bottom"], 12)
    cords = -2.7 + 0.8 * gradient + 0.3 * gradient**2
    tin = -2.7 + 0.7 * lag(s["bath_o2"], 4) - 0.4 * lag(s["h2"], 7) + 0.4 * _relu(lag(s["bath"], 3))
    flatness = lag(s["bath"], 6) - 0.7 * lag(s["speed"], 6)
    distortion = -2.6 + 0.6 * flatness + 0.25 * flatness**2
    cooling = lag(s["lehr"], 2) - lag(s["lehr"], 10)
    cracks = -2.8 + 0.6 * cooling + 0.3 * _relu(cooling) + 0.3 * lag(s["speed"], 4) ** 2

    logits = np.stack(
        [bubbles + shift["bubbles"], stones + shift["stones"], cords, tin, distortion, cracks],
        axis=1,
    )
    return logits


def observed_rates(rng: np.random.Generator, logits: np.ndarray) -> np.ndarray:
    """Defect rates seen by the inspection system: binomial counts over the pieces per step."""
    probability = 1.0 / (1.0 + np.exp(-logits))
    counts = rng.binomial(PIECES_PER_STEP, probability)
    return counts / PIECES_PER_STEP
