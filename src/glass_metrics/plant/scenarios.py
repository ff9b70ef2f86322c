"""Drift scenarios: how the line changes after deployment, from the drift's first day on.

``days`` is, per row, the time in days since the drift started (0 before it). Every scenario
leaves the training, validation and test rows untouched, so a model trained on them meets the
change only in the production stream:

- ``none``: nothing changes;
- ``sensor_drift``: the crown, refiner and working-end thermocouples lose calibration and
  read low, each by 0.4 to 0.8 of its process swing per day: the readings move, the glass
  does not;
- ``refractory_wear``: the furnace bottom wears; stones and bubbles become more frequent
  (logit +0.35 and +0.15 per day), the bottom thermocouples read hotter and get noisier
  (noise +100 % per day);
- ``raw_material_change``: within a day the batch switches to a wetter, low-cullet recipe
  that refines worse (bubbles 2.5 times as sensitive to refiner temperature, stones logit
  +1).

A drift is not an anomaly: the labels (``anomaly``, ``anomaly_kind``) keep marking only the
injected faults and upsets, as a plant's maintenance log would, so an anomaly model that
starts flagging drifting or noisier instruments loses precision.
"""

from __future__ import annotations

import numpy as np

from glass_metrics.plant.catalogue import SENSORS

SCENARIOS = ("none", "sensor_drift", "refractory_wear", "raw_material_change")
DESCRIPTIONS = {
    "none": "no drift",
    "sensor_drift": "crown, refiner and working-end thermocouples drift low",
    "refractory_wear": "furnace bottom refractory wears: more stones and bubbles",
    "raw_material_change": "wetter, low-cullet batch that refines worse",
}
CALIBRATION_GROUPS = ("crown", "refiner")


def defect_shift(n: int) -> dict[str, np.ndarray]:
    """The healthy defect terms: no extra logit, unit bubble sensitivity."""
    return {"bubbles_gain": np.ones(n), "bubbles": np.zeros(n), "stones": np.zeros(n)}


def change_process(
    scenario: str, signals: dict[str, np.ndarray], shift: dict[str, np.ndarray], days: np.ndarray
) -> None:
    """Apply the scenario to the latent signals and the defect terms, in place."""
    if scenario == "refractory_wear":
        shift["stones"] += 0.35 * days
        shift["bubbles"] += 0.15 * days
        signals["bottom"] += 0.5 * days
    elif scenario == "raw_material_change":
        recipe = np.clip(days, 0.0, 1.0)
        signals["moisture"] += 1.5 * recipe
        signals["cullet"] -= 1.5 * recipe
        shift["bubbles_gain"] += 1.5 * recipe
        shift["stones"] += 1.0 * recipe


def noise_gain(scenario: str, days: np.ndarray) -> dict[str, np.ndarray]:
    """Per sensor group, the factor on the instruments' noise (1 where absent)."""
    if scenario == "refractory_wear":
        return {"bottom": 1.0 + days}
    return {}


def change_readings(scenario: str, readings: np.ndarray, days: np.ndarray) -> None:
    """Apply the scenario's effect on the instruments to the readings, in place."""
    if scenario != "sensor_drift":
        return
    drifting = [i for i, sensor in enumerate(SENSORS) if sensor.group in CALIBRATION_GROUPS]
    for rate, column in zip(np.linspace(0.4, 0.8, len(drifting)), drifting, strict=True):
        readings[:, column] -= rate * days * SENSORS[column].scale
