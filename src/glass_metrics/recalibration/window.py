"""The labelled window a recalibration is fitted and judged on, read in time order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glass_metrics.errors import ConfigError, DataError

_RANGE = re.compile(r"^(?P<prefix>.*?)(?P<first>\d+)\.\.(?P<last_prefix>[^\d]*?)(?P<last>\d+)$")


@dataclass(frozen=True)
class Window:
    """Model inputs and labels of consecutive splits, oldest row first.

    ``y`` holds defect rates ``(n, 6)`` for the LSTM, 0/1 anomaly labels ``(n,)`` for the GNN.
    """

    x: np.ndarray
    y: np.ndarray
    splits: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)


def expand_windows(specs: list[str]) -> list[str]:
    """Split names with ranges expanded: ``production/day_005..day_007`` gives three days.

    ``production/day_005..007`` is accepted too; the first number's zero padding is kept.
    """
    names: list[str] = []
    for spec in specs:
        match = _RANGE.match(spec)
        if not match:
            names.append(spec)
            continue
        first, last = int(match["first"]), int(match["last"])
        if last < first:
            raise ConfigError(f"window range {spec!r} ends before it starts")
        width = len(match["first"])
        names += [f"{match['prefix']}{day:0{width}d}" for day in range(first, last + 1)]
    return names


def latest_windows(data_dir: Path, days: int) -> list[str]:
    """The last ``days`` production days of ``data_dir`` as split names, oldest first."""
    files = sorted((Path(data_dir) / "production").glob("day_*.parquet"))
    if not files:
        raise DataError(f"{data_dir}/production holds no day_*.parquet to recalibrate on")
    return [f"production/{f.stem}" for f in files[-days:]]


def load_window(kind: str, data_dir: Path, splits: list[str], *, lstm_window: int | None) -> Window:
    """Read ``splits`` of ``data_dir`` into one :class:`Window`, ordered by their timestamps.

    Each split is turned into samples on its own, so no LSTM window straddles two files.
    """
    from glass_metrics.plant import datasets

    if not splits:
        raise ConfigError("a recalibration window needs at least one split, got none")
    manifest = datasets.load_manifest(Path(data_dir))
    frames = [(s, datasets.load_frame(datasets.split_path(data_dir, s), manifest)) for s in splits]
    frames.sort(key=lambda item: item[1]["timestamp"].iloc[0])

    xs, ys = [], []
    for _, frame in frames:
        if kind == "lstm":
            x, y = datasets.lstm_arrays(frame, manifest, window=lstm_window)
        else:
            arrays = datasets.gnn_arrays(frame, manifest)
            x, y = arrays.x, arrays.y.astype(bool)
        xs.append(x)
        ys.append(y)
    return Window(np.concatenate(xs), np.concatenate(ys), tuple(s for s, _ in frames))
