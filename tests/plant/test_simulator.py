"""The simulator: reproducible by seed, a valid manifest and graph, scenarios that matter."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from glass_metrics.errors import DataError
from glass_metrics.plant.simulator import simulate

from .conftest import TINY_ROWS

SPLIT_FILES = ("train.parquet", "validation.parquet", "test.parquet")


def _read(folder, name):
    return pd.read_parquet(folder / name)


def test_same_seed_gives_identical_files(tiny_plant, tmp_path):
    simulate(tmp_path, seed=3, scenario="sensor_drift", days=4, rows=TINY_ROWS)

    for name in (*SPLIT_FILES, "production/day_004.parquet"):
        pd.testing.assert_frame_equal(_read(tiny_plant, name), _read(tmp_path, name))
    assert json.loads((tmp_path / "manifest.json").read_text()) == json.loads(
        (tiny_plant / "manifest.json").read_text()
    )


def test_another_seed_gives_other_data(tiny_plant, tmp_path):
    simulate(tmp_path, seed=4, scenario="sensor_drift", days=1, rows=TINY_ROWS)

    assert not _read(tmp_path, "train.parquet").equals(_read(tiny_plant, "train.parquet"))


def test_manifest_describes_the_files(tiny_plant):
    manifest = json.loads((tiny_plant / "manifest.json").read_text())
    names = [sensor["name"] for sensor in manifest["sensors"]]

    assert len(names) >= 24 and len(set(names)) == len(names)
    assert {"unit", "zone", "description"} <= set(manifest["sensors"][0])
    assert len(manifest["defects"]) == 6
    assert (manifest["scenario"], manifest["seed"]) == ("sensor_drift", 3)
    assert manifest["sampling_interval_seconds"] == 300
    assert manifest["drift_start_day"] == 4
    for split, entry in manifest["splits"].items():
        assert len(_read(tiny_plant, entry["file"])) == entry["rows"] == TINY_ROWS[split]
    assert [day["file"] for day in manifest["production"]] == [
        f"production/day_{d:03d}.parquet" for d in range(1, 5)
    ]


def test_graph_joins_known_sensors_by_both_kinds_of_edge(tiny_plant):
    manifest = json.loads((tiny_plant / "manifest.json").read_text())
    names = {sensor["name"] for sensor in manifest["sensors"]}

    assert all(a in names and b in names and a != b for a, b, _ in manifest["edges"])
    assert {kind for _, _, kind in manifest["edges"]} == {"process", "neighbour"}
    connected = {name for a, b, _ in manifest["edges"] for name in (a, b)}
    assert connected == names


def test_columns_rates_and_labels_are_consistent(tiny_plant):
    manifest = json.loads((tiny_plant / "manifest.json").read_text())
    frame = _read(tiny_plant, "train.parquet")
    names = [sensor["name"] for sensor in manifest["sensors"]]
    rates = frame[[f"rate_{d}" for d in manifest["defects"]]].to_numpy()

    assert list(frame.columns[: 1 + len(names)]) == ["timestamp", *names]
    assert np.isfinite(frame[names].to_numpy()).all()
    assert ((rates >= 0) & (rates <= 1)).all() and rates.std(axis=0).min() > 0
    assert ((frame["anomaly"] == 1) == (frame["anomaly_kind"] != "none")).all()
    assert set(frame["anomaly_kind"]) <= set(manifest["anomaly_kinds"])
    faulty = frame["anomaly_kind"].isin(["stuck", "drift", "spike", "noise"])
    assert frame.loc[faulty, "fault_sensor"].isin(names).all()
    assert (frame.loc[~faulty, "fault_sensor"] == "").all()
    assert frame["anomaly"].mean() > 0.05


def test_scenario_changes_only_the_production_days_after_the_drift(tiny_plant, tmp_path):
    simulate(tmp_path, seed=3, scenario="none", days=4, rows=TINY_ROWS)

    for name in (*SPLIT_FILES, "production/day_003.parquet"):
        pd.testing.assert_frame_equal(_read(tiny_plant, name), _read(tmp_path, name))
    drifted, healthy = (
        _read(folder, "production/day_004.parquet") for folder in (tiny_plant, tmp_path)
    )
    shift = (healthy["crown_temp_1"] - drifted["crown_temp_1"]).iloc[-1]
    assert shift > 2.0
    assert (healthy["rate_bubbles"] == drifted["rate_bubbles"]).all()


@pytest.mark.parametrize("scenario", ["refractory_wear", "raw_material_change"])
def test_process_scenarios_change_the_defects(tmp_path, scenario):
    simulate(tmp_path / "none", seed=1, scenario="none", days=5, rows=TINY_ROWS)
    simulate(tmp_path / scenario, seed=1, scenario=scenario, days=5, rows=TINY_ROWS)

    before, after = (
        _read(tmp_path / name, "production/day_005.parquet") for name in ("none", scenario)
    )
    assert after["rate_stones"].mean() > before["rate_stones"].mean() + 0.02


def test_unknown_scenario_and_bad_sizes_are_refused(tmp_path):
    with pytest.raises(DataError, match="unknown scenario 'meteor'"):
        simulate(tmp_path, scenario="meteor")
    with pytest.raises(DataError, match="at least"):
        simulate(tmp_path, rows={"test": 5})
    assert not (tmp_path / "manifest.json").exists()
