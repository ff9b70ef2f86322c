"""Simulate the float-glass line into a dataset folder of Parquet files and a JSON manifest.

Folder layout written by :func:`simulate`::

    manifest.json            sensors, graph edges, defects, scenario, seed, splits, ...
    train.parquet            contiguous periods of one continuous simulated timeline,
    validation.parquet       in this order, all healthy (no drift)
    test.parquet
    production/day_001.parquet, day_002.parquet, ...   the stream after deployment

Columns of every Parquet file:

- ``timestamp``: UTC, one row every ``sampling_interval_seconds`` (300 s);
- one float64 column per sensor, named as in the manifest, in the manifest's order;
- ``rate_<defect>`` for the six defects: the observed fraction of inspected pieces with
  that defect in the interval ending at the row, in [0, 1];
- ``anomaly`` (int8, 1 during a labelled anomaly), ``anomaly_kind`` (``"none"``, ``"stuck"``,
  ``"drift"``, ``"spike"``, ``"noise"`` or ``"upset"``) and ``fault_sensor`` (the faulty
  sensor's name, ``""`` when there is none or for a process upset).

The timeline is generated in one pass from ``seed``, so the same seed gives the same files,
and the scenario changes only the production days from ``drift_start_day`` on: the training
data of every scenario are identical.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from glass_metrics.errors import DataError
from glass_metrics.fsutil import atomic_write_bytes, atomic_write_text
from glass_metrics.plant import faults, process, scenarios
from glass_metrics.plant.catalogue import DEFECTS, SENSOR_NAMES, SENSORS, graph_edges
from glass_metrics.plant.datasets import GNN_WARMUP

log = logging.getLogger(__name__)

SAMPLING_SECONDS = 300
STEPS_PER_DAY = 24 * 3600 // SAMPLING_SECONDS
LSTM_WINDOW = 24
DEFAULT_ROWS = {"train": 9000, "validation": 4000, "test": 4000}
DEFAULT_DAYS = 8
DRIFT_START_DAY = 4
BURN_IN = 300
START = pd.Timestamp("2026-01-05T00:00:00Z")
RATE_COLUMNS = tuple(f"rate_{defect}" for defect in DEFECTS)
LABEL_COLUMNS = ("anomaly", "anomaly_kind", "fault_sensor")


def simulate(
    out_dir: Path,
    *,
    seed: int = 0,
    scenario: str = "none",
    days: int | None = None,
    rows: dict[str, int] | None = None,
) -> dict:
    """Simulate the line and write the dataset folder ``out_dir``; returns the manifest.

    ``days`` is the length of the production stream (default 8; drift, if any, starts on
    day 4). ``rows`` overrides the row counts of the ``train``, ``validation`` and ``test``
    splits (defaults 9000, 4000, 4000 rows of 5 minutes). Raises ``DataError`` for an unknown
    scenario or sizes too small to hold one LSTM window per split and one production day.
    """
    days = DEFAULT_DAYS if days is None else days
    sizes = {**DEFAULT_ROWS, **(rows or {})}
    _check_arguments(scenario, days, sizes)

    frame = _timeline(seed, scenario, sum(sizes.values()), days, sizes)
    manifest = _manifest(seed, scenario, days, sizes)
    _write(Path(out_dir), frame, manifest, sizes, days)
    log.info(
        "simulated %s rows (scenario %s, seed %s) into %s", len(frame), scenario, seed, out_dir
    )
    return manifest


def _check_arguments(scenario: str, days: int, sizes: dict[str, int]) -> None:
    if scenario not in scenarios.SCENARIOS:
        raise DataError(f"unknown scenario {scenario!r}; expected one of {scenarios.SCENARIOS}")
    if days < 1:
        raise DataError(f"days must be at least 1, got {days}")
    small = {split: n for split, n in sizes.items() if n < 2 * LSTM_WINDOW}
    if small:
        raise DataError(f"splits need at least {2 * LSTM_WINDOW} rows, got {small}")


def _drift_days(n_rows: int, sizes: dict[str, int], scenario: str) -> np.ndarray:
    """Per row, days since the drift began (0 before it, and everywhere under ``none``)."""
    if scenario == "none":
        return np.zeros(n_rows)
    start = BURN_IN + sum(sizes.values()) + (DRIFT_START_DAY - 1) * STEPS_PER_DAY
    return np.maximum(np.arange(n_rows) - start, 0) / STEPS_PER_DAY


def _timeline(
    seed: int, scenario: str, n_before: int, days: int, sizes: dict[str, int]
) -> pd.DataFrame:
    """One continuous run of the line: healthy splits, then the production days."""
    # One independent stream per part, so a scenario that changes, say, the defect rates of
    # the last days cannot shift the random numbers drawn for anything else.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    n = BURN_IN + n_before + days * STEPS_PER_DAY
    drift = _drift_days(n, sizes, scenario)

    drivers = process.drivers(streams[0], n)
    events = faults.schedule(streams[1], n, first=BURN_IN)
    faults.apply_upsets(events, drivers)
    signals = process.latent_signals(streams[2], drivers)
    shift = scenarios.defect_shift(n)
    scenarios.change_process(scenario, signals, shift, drift)
    rates = process.observed_rates(streams[3], process.defect_logits(signals, shift))

    readings = _readings(streams[4], signals, scenarios.noise_gain(scenario, drift))
    faults.apply_sensor_faults(streams[5], events, readings)
    scenarios.change_readings(scenario, readings, drift)
    anomaly, kind, sensor = faults.labels(events, n)
    return _frame(readings, rates, anomaly, kind, sensor).iloc[BURN_IN:].reset_index(drop=True)


def _readings(
    rng: np.random.Generator, signals: dict[str, np.ndarray], noise_gain: dict[str, np.ndarray]
) -> np.ndarray:
    n = len(signals["pull"])
    columns = [
        s.base
        + s.scale * signals[s.signal]
        + s.noise * noise_gain.get(s.group, 1.0) * rng.standard_normal(n)
        for s in SENSORS
    ]
    return np.stack(columns, axis=1)


def _frame(readings, rates, anomaly, kind, sensor) -> pd.DataFrame:
    n = len(readings)
    stamps = pd.date_range(
        START - pd.Timedelta(seconds=BURN_IN * SAMPLING_SECONDS),
        periods=n,
        freq=f"{SAMPLING_SECONDS}s",
    )
    data = {"timestamp": stamps}
    data.update({name: readings[:, i] for i, name in enumerate(SENSOR_NAMES)})
    data.update({name: rates[:, i] for i, name in enumerate(RATE_COLUMNS)})
    data.update(
        {"anomaly": anomaly, "anomaly_kind": kind.astype(str), "fault_sensor": sensor.astype(str)}
    )
    return pd.DataFrame(data)


def _manifest(seed: int, scenario: str, days: int, sizes: dict[str, int]) -> dict:
    splits = {split: {"file": f"{split}.parquet", "rows": n} for split, n in sizes.items()}
    production = [
        {"file": f"production/day_{day:03d}.parquet", "day": day, "rows": STEPS_PER_DAY}
        for day in range(1, days + 1)
    ]
    drift_day = None if scenario == "none" or days < DRIFT_START_DAY else DRIFT_START_DAY
    return {
        "format_version": 1,
        "plant": "simulated float-glass line",
        "scenario": scenario,
        "scenario_description": scenarios.DESCRIPTIONS[scenario],
        "seed": seed,
        "sampling_interval_seconds": SAMPLING_SECONDS,
        "steps_per_day": STEPS_PER_DAY,
        "lstm_window": LSTM_WINDOW,
        "gnn_warmup": GNN_WARMUP,
        "sensors": [sensor.manifest_entry() for sensor in SENSORS],
        "edges": graph_edges(),
        "defects": list(DEFECTS),
        "rate_columns": list(RATE_COLUMNS),
        "label_columns": list(LABEL_COLUMNS),
        "anomaly_kinds": ["none", *faults.KINDS],
        "splits": splits,
        "production": production,
        "drift_start_day": drift_day,
    }


def _write(
    out: Path, frame: pd.DataFrame, manifest: dict, sizes: dict[str, int], days: int
) -> None:
    start = 0
    for split, n in sizes.items():
        _write_parquet(out / f"{split}.parquet", frame.iloc[start : start + n])
        start += n
    for day in range(days):
        rows = frame.iloc[start + day * STEPS_PER_DAY : start + (day + 1) * STEPS_PER_DAY]
        _write_parquet(out / "production" / f"day_{day + 1:03d}.parquet", rows)
    for stale in sorted((out / "production").glob("day_*.parquet"))[days:]:
        stale.unlink()  # left by an earlier, longer simulation into the same folder

    # The manifest goes last: a folder with a manifest is a complete dataset.
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue())
