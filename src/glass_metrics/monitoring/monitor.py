"""The monitor: evaluate each new labelled window in order, publish it, run the alert rules.

Windows are the simulator's day-by-day production stream (``<data>/production/day_*.parquet``)
or Parquet files arriving in a watched folder. Each window is evaluated once: a ledger in
``<out>/monitor/<kind>_windows.json`` remembers what was processed, so a restarted monitor
picks up where it stopped. A window's result goes to every sink like any evaluation, then
through the alert rules; firing and resolved alerts are queued in the durable outbox and
delivered, and a firing rule with the ``recalibrate`` action triggers a recalibration (at
most once per cooldown). Firing alerts are written as ``glass_alert_firing`` gauges to
``<out>/alerts.prom`` and tagged on the window's MLflow run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from glass_metrics import api
from glass_metrics.errors import DataError, GlassMetricsError
from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.fsutil import atomic_write_text, exclusive_lock
from glass_metrics.monitoring.alerts import ActiveAlert, AlertEvent, AlertTracker
from glass_metrics.monitoring.notify import Notifier
from glass_metrics.monitoring.rules import RuleSet, load_rules

if TYPE_CHECKING:
    from glass_metrics.recalibration import RecalibrationReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowOutcome:
    """What the monitor did with one window."""

    window: str
    result: EvaluationResult
    events: tuple[AlertEvent, ...]
    recalibration: RecalibrationReport | None = None


class Monitor:
    """Watches one model (``kind``) over the labelled windows of a dataset.

    ``model`` is an ONNX path, or ``None`` for the registry's ``champion`` (looked up again
    before every window, so a promoted recalibration takes over at once). ``watch`` is a
    folder of arriving Parquet files; without it the dataset's production stream is used.
    ``notifier`` defaults to the channels of ``rules`` with the outbox in ``<out>/alerts``.
    """

    def __init__(
        self,
        kind: str,
        data_dir: Path | str,
        out: Path | str,
        *,
        model: Path | str | None = None,
        rules: RuleSet | None = None,
        watch: Path | str | None = None,
        mlflow_uri: str | None = None,
        recalibrate: bool = True,
        recalibration_cooldown: timedelta = timedelta(days=1),
        notifier: Notifier | None = None,
    ) -> None:
        self.kind, self.data_dir, self.out = kind, Path(data_dir), Path(out)
        self.model = None if model is None else Path(model)
        self.rules = rules if rules is not None else load_rules()
        self.watch = None if watch is None else Path(watch)
        self.mlflow_uri = mlflow_uri
        self.recalibrate = recalibrate
        self.recalibration_cooldown = recalibration_cooldown
        self.tracker = AlertTracker(self.out / "alerts", self.rules)
        self.notifier = notifier or Notifier.from_rules(self.rules, self.out / "alerts" / "outbox")
        self._baselines: dict[Path, EvaluationResult] = {}
        #: Windows the last :meth:`run_once` skipped for invalid data, with the error.
        self.rejected: list[tuple[str, str]] = []

    @property
    def ledger_path(self) -> Path:
        return self.out / "monitor" / f"{self.kind}_windows.json"

    def pending_windows(self) -> list[str]:
        """Windows not yet processed, oldest first (as split names or file paths)."""
        done = self._ledger()
        return [w for w in self._windows() if w not in done]

    def run_once(self, *, limit: int | None = None) -> list[WindowOutcome]:
        """Process every pending window (at most ``limit``), in order.

        A window whose data is invalid (a :class:`DataError`: missing columns, NaN readings,
        an unreadable file) is logged, recorded in the ledger with its error so that it is
        not retried, listed in :attr:`rejected`, and skipped; the windows after it are still
        processed. A broken model stops the run.
        """
        outcomes = []
        self.rejected = []
        for window in self.pending_windows()[:limit]:
            try:
                outcomes.append(self.process(window))
            except DataError as exc:
                log.error("window %s rejected: %s", window, exc)
                self.rejected.append((window, str(exc)))
                self._record(window, None, error=str(exc))
        self.notifier.flush()
        return outcomes

    def run_forever(self, *, interval: float = 60.0, stop: Callable[[], bool] = lambda: False):
        """Poll for new windows every ``interval`` seconds until ``stop()`` is true.

        A poll that fails (the MLflow server down, a disk full, a broken model) is logged and
        retried at the next poll: its window was not recorded, so nothing is skipped.
        """
        while not stop():
            try:
                self.run_once()
            except Exception:
                log.exception("monitoring %s failed; retrying in %.0f s", self.kind, interval)
            time.sleep(interval)

    def process(self, window: str) -> WindowOutcome:
        """Evaluate, publish and judge one window, then record it as processed."""
        model_path = self._model_path()
        baseline = self._baseline(model_path)
        result = api.evaluate(
            self.kind,
            model_path,
            self.data_dir,
            split=window,
            out=self.out,
            mlflow_uri=self.mlflow_uri,
        )
        events = self.tracker.observe(result, baseline=baseline)
        self.notifier.send(events)
        self.notifier.flush()
        firing = self.tracker.firing_alerts()
        self._publish_alerts(result, firing)

        recalibration = None
        if self.recalibrate and any(
            e.status == "firing" and "recalibrate" in e.actions for e in events
        ):
            recalibration = self._recalibrate(window, result)
        self._record(window, result)
        return WindowOutcome(window, result, tuple(events), recalibration)

    def _model_path(self) -> Path:
        if self.model is not None:
            return self.model
        return api.champion_path(self.kind, self.out, self.mlflow_uri)

    def _baseline(self, model_path: Path) -> EvaluationResult:
        """The model's evaluation on the dataset's test split: its figures at deployment."""
        if model_path not in self._baselines:
            self._baselines[model_path] = api.evaluate(
                self.kind, model_path, self.data_dir, split="test", sinks=()
            )
        return self._baselines[model_path]

    def _recalibrate(self, window: str, result: EvaluationResult) -> RecalibrationReport | None:
        """Run the ``recalibrate`` action on the recent windows, at most once per cooldown.

        The cooldown is counted in the data's own time (the window's last timestamp), so a
        replayed or simulated stream behaves as the live one would.
        """
        from glass_metrics.recalibration import maybe_recalibrate

        now = datetime.fromisoformat(result.data_end) if result.data_end else None
        try:
            report = maybe_recalibrate(
                self.kind,
                self.data_dir,
                root=self.out,
                windows=self._recent_splits(window),
                uri=self.mlflow_uri,
                now=now,
                cooldown=self.recalibration_cooldown,
            )
        except GlassMetricsError as exc:
            log.warning("automatic recalibration of %s failed: %s", self.kind, exc)
            return None
        if report is not None:
            log.info("recalibration of %s: %s", self.kind, report.reason)
        return report

    def _recent_splits(self, window: str, days: int = 3) -> list[str]:
        """The window just evaluated and the ones before it, oldest first."""
        windows = self._windows()
        end = windows.index(window) + 1
        return windows[max(0, end - days) : end]

    def _publish_alerts(self, result: EvaluationResult, firing: list[ActiveAlert]) -> None:
        atomic_write_text(self.out / "alerts.prom", alerts_textfile(firing))
        run_id = result.published.get("mlflow")
        if run_id:
            from glass_metrics.mlflow_store import client_for

            names = ",".join(sorted(f"{a.rule}:{a.model}" for a in firing)) or "none"
            client_for(self.out, self.mlflow_uri).set_tag(run_id, "firing_alerts", names)

    def _windows(self) -> list[str]:
        if self.watch is not None:
            return [str(p.resolve()) for p in sorted(Path(self.watch).glob("*.parquet"))]
        days = sorted((self.data_dir / "production").glob("day_*.parquet"))
        return [f"production/{p.stem}" for p in days]

    def _ledger(self) -> dict:
        if not self.ledger_path.exists():
            return {}
        return json.loads(self.ledger_path.read_text())

    def _record(
        self, window: str, result: EvaluationResult | None, *, error: str | None = None
    ) -> None:
        entry: dict[str, object] = {"processed_at": datetime.now(UTC).isoformat()}
        if result is not None:
            entry.update(sequence=result.sequence, dataset_sha256=result.dataset_sha256)
        if error is not None:
            entry["error"] = error
        with exclusive_lock(self.ledger_path.with_suffix(".lock")):
            ledger = self._ledger()
            ledger[window] = entry
            atomic_write_text(self.ledger_path, json.dumps(ledger, indent=1, sort_keys=True))


def alerts_textfile(firing: list[ActiveAlert]) -> str:
    """The firing alerts as a Prometheus textfile: one ``glass_alert_firing`` gauge each."""
    lines = [
        "# HELP glass_alert_firing Alerts firing in the glass-metrics monitor (1 = firing).",
        "# TYPE glass_alert_firing gauge",
    ]
    for alert in firing:
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(alert.labels.items()))
        lines.append(f"glass_alert_firing{{{labels}}} 1")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
