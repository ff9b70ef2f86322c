"""Labelled anomalies: sensor faults on single instruments and process upsets of the line.

Events never overlap; quiet gaps of 30 to 120 steps separate them, so about a third of the
rows are anomalous (enough events for the anomaly model to learn from). A sensor fault hits
one sensor that has neighbours reading the same quantity; it changes the reading only, never
the process or the defects:

- ``stuck``: the reading freezes at its value when the fault starts;
- ``drift``: an offset growing from 4 to 12 times the sensor's noise, small against the
  process swings, so it shows only against the neighbours;
- ``spike``: a burst of 8 to 14 noise-sigma excursions for a few steps;
- ``noise``: extra noise of 8 times the sensor's noise.

A process ``upset`` (fuel trip, charger blockage, air ingress into the tin bath, speed surge)
pushes a driver of the process for 15 to 40 steps; sensors and defects follow through the
process. Its label also covers the :data:`RECOVERY` steps after the push, while the line
settles. Its ``fault_sensor`` is ``""``: no instrument is at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glass_metrics.plant.catalogue import SENSOR_NAMES, SENSORS, redundant_sensors

KINDS = ("stuck", "drift", "spike", "noise", "upset")
KIND_WEIGHTS = (0.2, 0.25, 0.15, 0.2, 0.2)
DURATION = {
    "stuck": (30, 80),
    "drift": (40, 100),
    "spike": (3, 10),
    "noise": (20, 60),
    "upset": (15, 40),
}
GAP = (30, 120)
RECOVERY = 6
UPSETS = {"fuel": -4.0, "pull": -4.0, "h2": -4.0, "speed_own": 4.0}


@dataclass(frozen=True)
class Event:
    """One anomaly: its kind, the rows ``[start, stop)`` and the sensor or driver it hits."""

    kind: str
    start: int
    stop: int
    target: str


def schedule(rng: np.random.Generator, n: int, first: int) -> list[Event]:
    """Random, non-overlapping anomalies between row ``first`` and row ``n``."""
    events, t = [], first + int(rng.integers(*GAP))
    candidates = redundant_sensors()
    while t < n:
        kind = str(rng.choice(KINDS, p=KIND_WEIGHTS))
        stop = min(n, t + int(rng.integers(*DURATION[kind])))
        pool = list(UPSETS) if kind == "upset" else candidates
        events.append(Event(kind, t, stop, str(rng.choice(pool))))
        t = stop + RECOVERY + int(rng.integers(*GAP))
    return events


def apply_upsets(events: list[Event], drivers: dict[str, np.ndarray]) -> None:
    """Push the process drivers named by the upset events, in place."""
    for event in events:
        if event.kind == "upset":
            drivers[event.target][event.start : event.stop] += UPSETS[event.target]


def apply_sensor_faults(
    rng: np.random.Generator, events: list[Event], readings: np.ndarray
) -> None:
    """Corrupt the readings ``(n, n_sensors)`` as the sensor-fault events say, in place."""
    for event in events:
        if event.kind == "upset":
            continue
        column = SENSOR_NAMES.index(event.target)
        noise = SENSORS[column].noise
        rows = slice(event.start, event.stop)
        length = event.stop - event.start
        sign = rng.choice((-1.0, 1.0))
        if event.kind == "stuck":
            readings[rows, column] = readings[event.start, column]
        elif event.kind == "drift":
            readings[rows, column] += sign * noise * (4.0 + 8.0 * np.arange(length) / length)
        elif event.kind == "spike":
            readings[rows, column] += sign * noise * rng.uniform(8.0, 14.0, length)
        else:
            readings[rows, column] += noise * 8.0 * rng.standard_normal(length)


def labels(events: list[Event], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: ``anomaly`` (int8 0/1), ``anomaly_kind`` and ``fault_sensor`` (str)."""
    anomaly = np.zeros(n, dtype=np.int8)
    kind = np.full(n, "none", dtype=object)
    sensor = np.full(n, "", dtype=object)
    for event in events:
        stop = event.stop + RECOVERY if event.kind == "upset" else event.stop
        rows = slice(event.start, min(stop, n))
        anomaly[rows] = 1
        kind[rows] = event.kind
        sensor[rows] = "" if event.kind == "upset" else event.target
    return anomaly, kind, sensor
