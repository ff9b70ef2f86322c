"""Reading a dataset folder: clear errors for bad input, arrays aligned with the frame."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from glass_metrics.errors import DataError
from glass_metrics.plant import datasets


@pytest.fixture
def damaged(tiny_plant, tmp_path):
    """A private copy of the tiny plant that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(tiny_plant, target)
    return target


def test_split_path_resolves_splits_and_production_days(tiny_plant):
    assert datasets.split_path(tiny_plant, "test") == tiny_plant / "test.parquet"
    day = datasets.split_path(tiny_plant, "production/day_002")
    assert day == tiny_plant / "production" / "day_002.parquet"
    with pytest.raises(DataError, match=r"day_009\.parquet.*no such split"):
        datasets.split_path(tiny_plant, "production/day_009")


def test_missing_or_corrupt_manifest(damaged):
    (damaged / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match=r"manifest\.json: unreadable manifest"):
        datasets.load_manifest(damaged)

    (damaged / "manifest.json").unlink()
    with pytest.raises(DataError, match=r"manifest\.json: no manifest"):
        datasets.load_manifest(damaged)


def test_graph_naming_an_unknown_sensor(damaged):
    manifest = json.loads((damaged / "manifest.json").read_text())
    manifest["edges"].append(["crown_temp_1", "crown_temp_9", "neighbour"])
    (damaged / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(
        DataError,
        match=r"manifest\.json: graph edge .* unknown sensors "
        r"\['crown_temp_9'\]",
    ):
        datasets.load_manifest(damaged)


def test_missing_and_corrupt_parquet(damaged):
    manifest = datasets.load_manifest(damaged)
    (damaged / "test.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match=r"test\.parquet: not a readable Parquet file"):
        datasets.load_frame(damaged / "test.parquet", manifest)

    with pytest.raises(DataError, match=r"gone\.parquet: file not found"):
        datasets.load_frame(damaged / "gone.parquet", manifest)


def test_missing_columns_are_named(damaged):
    manifest = datasets.load_manifest(damaged)
    path = damaged / "validation.parquet"
    frame = datasets.load_frame(path, manifest)
    frame.drop(columns=["bath_o2", "rate_cracks"]).to_parquet(path)

    with pytest.raises(
        DataError,
        match=r"validation\.parquet: missing columns "
        r"\['bath_o2', 'rate_cracks'\]",
    ):
        datasets.load_frame(path, manifest)


def test_nan_readings_are_counted_and_located(damaged):
    manifest = datasets.load_manifest(damaged)
    path = damaged / "train.parquet"
    frame = datasets.load_frame(path, manifest)
    frame.loc[[7, 11], "glass_level"] = np.nan
    frame.to_parquet(path)

    with pytest.raises(
        DataError,
        match=r"train\.parquet: 2 NaN or infinite readings; "
        r"first at row 7, column 'glass_level'",
    ):
        datasets.load_frame(path, manifest)


def test_lstm_windows_end_at_the_row_of_their_target(tiny_plant):
    manifest = datasets.load_manifest(tiny_plant)
    frame = datasets.load_frame(datasets.split_path(tiny_plant, "test"), manifest)
    window = manifest["lstm_window"]

    x, y = datasets.lstm_arrays(frame, manifest)

    names = datasets.sensor_names(manifest)
    assert x.shape == (len(frame) - window + 1, window, len(names)) and x.dtype == np.float32
    assert y.shape == (len(x), 6) and y.dtype == np.float32
    np.testing.assert_array_equal(x[5], frame[names].to_numpy(np.float32)[5 : 5 + window])
    np.testing.assert_allclose(y[5], frame[datasets.rate_columns(manifest)].iloc[5 + window - 1])


def test_gnn_features_depend_only_on_the_recent_rows(tiny_plant):
    manifest = datasets.load_manifest(tiny_plant)
    frame = datasets.load_frame(datasets.split_path(tiny_plant, "production/day_001"), manifest)
    warmup = datasets.gnn_warmup(manifest)

    arrays = datasets.gnn_arrays(frame, manifest)
    tail = datasets.gnn_arrays(frame.iloc[100:].reset_index(drop=True), manifest)

    names = datasets.sensor_names(manifest)
    assert arrays.x.shape == (len(frame) - warmup, len(names), len(datasets.NODE_FEATURES))
    np.testing.assert_allclose(arrays.x[100], tail.x[0], rtol=1e-6)
    row = frame[names].to_numpy(np.float64)
    t = 100 + warmup
    np.testing.assert_allclose(arrays.x[100, :, 0], row[t], rtol=1e-6)
    np.testing.assert_allclose(
        arrays.x[100, :, 1], row[t] - row[t - warmup : t].mean(axis=0), rtol=1e-4, atol=1e-3
    )
    np.testing.assert_array_equal(arrays.y, frame["anomaly"].to_numpy()[warmup:])
    assert arrays.fault_sensor.dtype.kind == "U" and arrays.anomaly_kind.dtype.kind == "U"


def test_too_short_frames_are_refused(tiny_plant):
    manifest = datasets.load_manifest(tiny_plant)
    frame = datasets.load_frame(datasets.split_path(tiny_plant, "test"), manifest).iloc[:4]

    with pytest.raises(DataError, match="fewer than one LSTM window"):
        datasets.lstm_arrays(frame, manifest)
    with pytest.raises(DataError, match="too few for the GNN warm-up"):
        datasets.gnn_arrays(frame, manifest)
