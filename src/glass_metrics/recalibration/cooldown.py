"""The automatic ``recalibrate`` alert action, run at most once per cooldown per model.

State lives in ``<root>/recalibration/state.json`` (one entry per registered model: when the
last automatic run started, and how it ended). Checking and marking the start happen under a
lock, so two monitors firing together start one recalibration, not two. A run that fails
still counts (the cooldown stops a broken window from being retried on every alert), except
a window refused as too small: nothing was tried, and the next alert's window may be longer.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from glass_metrics.config import REGISTERED_NAMES
from glass_metrics.errors import ConfigError
from glass_metrics.fsutil import atomic_write_text, exclusive_lock
from glass_metrics.recalibration.fitting import WindowTooSmall
from glass_metrics.recalibration.run import RecalibrationReport, recalibrate
from glass_metrics.recalibration.window import latest_windows

log = logging.getLogger(__name__)

DEFAULT_COOLDOWN = timedelta(hours=6)
DEFAULT_DAYS = 3


def state_path(root: Path) -> Path:
    """Where the cooldown state of output folder ``root`` is kept."""
    return Path(root) / "recalibration" / "state.json"


def read_state(root: Path) -> dict[str, Any]:
    """The cooldown state; an unreadable file counts as empty (and is logged)."""
    path = state_path(root)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable recalibration state %s: %s", path, exc)
        return {}


def maybe_recalibrate(
    kind: str,
    data_dir: Path | str,
    *,
    root: Path | str,
    windows: list[str] | None = None,
    days: int = DEFAULT_DAYS,
    cooldown: timedelta = DEFAULT_COOLDOWN,
    now: datetime | None = None,
    **options: Any,
) -> RecalibrationReport | None:
    """Recalibrate the ``kind`` champion unless the last automatic run is within ``cooldown``.

    ``windows`` defaults to the last ``days`` production days of ``data_dir``. Returns
    ``None`` (and logs why) when skipped; other ``options`` go to :func:`recalibrate`.
    """
    if kind not in REGISTERED_NAMES:
        raise ConfigError(f"model kind must be one of {sorted(REGISTERED_NAMES)}, got {kind!r}")
    root, name = Path(root), REGISTERED_NAMES[kind]
    now = now or datetime.now(UTC)
    previous = read_state(root).get(name)
    if not _claim(root, name, now, cooldown):
        return None

    try:
        report = recalibrate(
            kind,
            options.pop("model_path", None),
            data_dir,
            windows=windows or latest_windows(Path(data_dir), days),
            root=root,
            **options,
        )
    except WindowTooSmall:
        _release(root, name, previous)
        raise
    except Exception as exc:
        _record(root, name, {"outcome": f"failed: {exc}"})
        raise
    _record(
        root,
        name,
        {
            "outcome": "promoted" if report.promoted else "kept as challenger",
            "version": report.version,
        },
    )
    return report


def _claim(root: Path, name: str, now: datetime, cooldown: timedelta) -> bool:
    with exclusive_lock(state_path(root).with_suffix(".lock")):
        state = read_state(root)
        last = state.get(name, {}).get("started")
        if last is not None and now - datetime.fromisoformat(last) < cooldown:
            log.info(
                "recalibration of %s skipped: the last one started at %s, within the "
                "cooldown of %s",
                name,
                last,
                cooldown,
            )
            return False
        state[name] = {"started": now.isoformat(), "outcome": "running"}
        atomic_write_text(state_path(root), json.dumps(state, indent=2))
    return True


def _release(root: Path, name: str, previous: dict[str, Any] | None) -> None:
    """Give the claim back: the entry is what it was before this attempt."""
    with exclusive_lock(state_path(root).with_suffix(".lock")):
        state = read_state(root)
        if previous is None:
            state.pop(name, None)
        else:
            state[name] = previous
        atomic_write_text(state_path(root), json.dumps(state, indent=2))


def _record(root: Path, name: str, values: dict[str, Any]) -> None:
    with exclusive_lock(state_path(root).with_suffix(".lock")):
        state = read_state(root)
        state.setdefault(name, {}).update(values)
        atomic_write_text(state_path(root), json.dumps(state, indent=2))
