"""Reading a simulated dataset folder and turning a frame into model inputs (numpy only).

Every array here depends on one frame and the manifest alone, so a single production day can
be evaluated on its own:

- :func:`lstm_arrays` gives one sample per row from row ``window - 1`` on (the first
  ``window - 1`` rows of a frame only feed the first windows);
- :func:`gnn_arrays` gives one sample per row from row ``gnn_warmup`` on (the manifest's
  ``gnn_warmup``, 5 by default): node features look back that many rows.

Node features per sensor (:data:`NODE_FEATURES`), computed from the raw readings:
``reading``; ``deviation`` = reading minus the mean of the previous ``gnn_warmup`` readings;
``step`` = reading minus the previous reading; ``step_spread`` = standard deviation of the
last ``gnn_warmup`` steps; ``flat_fraction`` = the
share of those steps with no change at all. The models normalise them inside their ONNX
graphs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from glass_metrics.errors import DataError

GNN_WARMUP = 5
NODE_FEATURES = ("reading", "deviation", "step", "step_spread", "flat_fraction")
SPLITS = ("train", "validation", "test")
_SENSOR_KEYS = ("name", "unit", "zone")
_MANIFEST_KEYS = ("sensors", "edges", "defects", "scenario", "seed", "lstm_window")


@dataclass(frozen=True)
class GnnArrays:
    """Inputs and labels of the anomaly model, one sample per row after the warm-up."""

    x: np.ndarray
    y: np.ndarray
    fault_sensor: np.ndarray
    anomaly_kind: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def load_manifest(data_dir: Path) -> dict:
    """The dataset's ``manifest.json``, checked; ``DataError`` naming the file otherwise."""
    path = Path(data_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no manifest; is it a folder written by simulate?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: unreadable manifest: {error}") from error
    _check_manifest(path, manifest)
    return manifest


def _check_manifest(path: Path, manifest) -> None:
    if not isinstance(manifest, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(manifest).__name__}")
    missing = [key for key in _MANIFEST_KEYS if key not in manifest]
    if missing:
        raise DataError(f"{path}: missing keys {missing}")
    sensors = manifest["sensors"]
    if not sensors or any(
        not isinstance(s, dict) or any(k not in s for k in _SENSOR_KEYS) for s in sensors
    ):
        raise DataError(f"{path}: 'sensors' must be a non-empty list of {{name, unit, zone}}")
    known = {sensor["name"] for sensor in sensors}
    for edge in manifest["edges"]:
        if not isinstance(edge, list) or len(edge) != 3:
            raise DataError(f"{path}: edge {edge!r} is not [sensor, sensor, kind]")
        unknown = [name for name in edge[:2] if name not in known]
        if unknown:
            raise DataError(f"{path}: graph edge {edge!r} names unknown sensors {unknown}")
        if edge[2] not in ("process", "neighbour"):
            raise DataError(
                f"{path}: edge {edge!r} has kind {edge[2]!r}; expected 'process' or 'neighbour'"
            )


def sensor_names(manifest: dict) -> list[str]:
    """Sensor names in the manifest's order (the models' input order)."""
    return [sensor["name"] for sensor in manifest["sensors"]]


def rate_columns(manifest: dict) -> list[str]:
    """The observed defect-rate columns, in the manifest's defect order."""
    return [f"rate_{defect}" for defect in manifest["defects"]]


def split_path(data_dir: Path, split: str) -> Path:
    """The Parquet file of ``split``: ``train``, ``production/day_003``, or a relative path."""
    data_dir = Path(data_dir)
    name = split if split.endswith(".parquet") else f"{split}.parquet"
    path = data_dir / name
    if not path.is_file():
        raise DataError(f"{path}: no such split file in {data_dir} (split {split!r})")
    return path


def load_frame(path: Path, manifest: dict) -> pd.DataFrame:
    """One Parquet file of the dataset, checked for the manifest's columns and NaN readings."""
    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{path}: not a readable Parquet file: {error}") from error

    needed = [
        "timestamp",
        *sensor_names(manifest),
        *rate_columns(manifest),
        "anomaly",
        "anomaly_kind",
        "fault_sensor",
    ]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    _check_finite(path, frame, [*sensor_names(manifest), *rate_columns(manifest)])
    return frame


def _check_finite(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    values = frame[columns].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DataError(
            f"{path}: {int(bad.sum())} NaN or infinite readings; first at row "
            f"{int(rows[0])}, column {columns[int(cols[0])]!r}"
        )


def gnn_warmup(manifest: dict) -> int:
    """Rows of history behind each GNN sample (the manifest's ``gnn_warmup``, default 5)."""
    return int(manifest.get("gnn_warmup", GNN_WARMUP))


def readings(frame: pd.DataFrame, manifest: dict) -> np.ndarray:
    """Sensor readings as float32 ``(n_rows, n_sensors)`` in the manifest's order."""
    return frame[sensor_names(manifest)].to_numpy(dtype=np.float32)


def lstm_arrays(
    frame: pd.DataFrame, manifest: dict, *, window: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of raw readings and the defect rates at each window's last row.

    Returns X float32 ``(n, window, n_sensors)`` and Y float32 ``(n, n_defects)`` with
    ``n = len(frame) - window + 1``; ``DataError`` if the frame is shorter than a window.
    """
    window = int(window or manifest["lstm_window"])
    values = readings(frame, manifest)
    if len(values) < window:
        raise DataError(f"{len(values)} rows are fewer than one LSTM window of {window}")
    x = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    x = np.ascontiguousarray(x.transpose(0, 2, 1))
    y = frame[rate_columns(manifest)].to_numpy(dtype=np.float32)[window - 1 :]
    return x, np.clip(y, 0.0, 1.0)


def node_features(values: np.ndarray, warmup: int) -> np.ndarray:
    """Node features ``(n - warmup, n_sensors, 5)`` from readings ``(n, n_sensors)``."""
    history = np.lib.stride_tricks.sliding_window_view(values, warmup, axis=0)[:-1]
    current = values[warmup:]
    steps = np.diff(values, axis=0)
    step_history = np.lib.stride_tricks.sliding_window_view(steps, warmup, axis=0)

    deviation = current - history.mean(axis=-1)
    step = steps[warmup - 1 :]
    spread = step_history.std(axis=-1)
    flat = (step_history == 0.0).mean(axis=-1)
    return np.stack([current, deviation, step, spread, flat], axis=-1).astype(np.float32)


def gnn_arrays(frame: pd.DataFrame, manifest: dict) -> GnnArrays:
    """Node features and anomaly labels for every row after the manifest's ``gnn_warmup``."""
    warmup = gnn_warmup(manifest)
    values = readings(frame, manifest).astype(np.float64)
    if len(values) <= warmup:
        raise DataError(f"{len(values)} rows are too few for the GNN warm-up of {warmup}")
    rest = slice(warmup, None)
    return GnnArrays(
        x=node_features(values, warmup),
        y=frame["anomaly"].to_numpy(dtype=np.int8)[rest],
        fault_sensor=frame["fault_sensor"].to_numpy(dtype=str)[rest],
        anomaly_kind=frame["anomaly_kind"].to_numpy(dtype=str)[rest],
    )
