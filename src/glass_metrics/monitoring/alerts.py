"""Alert lifecycle: each evaluation goes through the rules; transitions become events.

An alert is identified by (rule, model name) and is *pending* from its first breaching
evaluation, *firing* once ``for`` consecutive evaluations breached, and *resolved* at the
first evaluation that does not. A firing alert is announced again (``repeat=True``) at
the first evaluation more than ``repeat_interval`` after its last announcement (strictly
more, as Alertmanager counts). An undefined (NaN) or absent
figure leaves the alert as it was.

Times ("since", repeats) follow the alert clock: the end of the evaluated data
(``EvaluationResult.data_end``) when the result knows it, else the evaluation's timestamp,
so a replayed or simulated stream of days behaves as the live one would.

State lives in ``<state_dir>/state.json``, replaced atomically under a lock after every
evaluation, so a restarted monitor neither announces again nor forgets. Observing the same
result twice (same model, sequence and timestamp) returns the events of the first time
without changing anything, so that a crash between :meth:`AlertTracker.observe` and
handing the events to the notifier loses nothing (the outbox ignores event ids it already
holds). Every transition is also appended to ``<state_dir>/alerts.log``, one line each.

The tracker keeps, per model and metric of the degradation rules, the figures of the
current model version (at most :data:`MAX_SERIES` of them) for the change detectors, and
the baseline: the ``baseline`` result given to ``observe`` or, without one, the first
result observed for that model version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.fsutil import atomic_write_text, exclusive_lock
from glass_metrics.metrics.types import MetricValue
from glass_metrics.monitoring import degradation
from glass_metrics.monitoring.rules import (
    DegradationRule,
    Detector,
    Rule,
    RuleSet,
    ThresholdRule,
)

log = logging.getLogger(__name__)

MAX_SERIES = 1000
STATE_VERSION = 1
_TEMPLATE = re.compile(r"\{\{\s*\$(value|labels\.([A-Za-z_][A-Za-z0-9_]*))\s*\}\}")


@dataclass(frozen=True)
class AlertEvent:
    """A transition worth telling someone about: an alert firing (again) or resolved.

    ``value``/``ci_low``/``ci_high``/``n`` are the figure of the evaluation that caused the
    event; ``since`` is when the condition was first breached and ``at`` the time of this
    evaluation, both on the alert clock (the data's end time, else the evaluation's time);
    ``evaluated_at`` is when the evaluation ran. ISO 8601, UTC. ``condition`` says in
    words what was tested; ``detail`` carries a degradation rule's statistics.
    """

    event_id: str
    status: str
    rule: str
    kind: str
    model: str
    model_version: str
    metric: str
    severity: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    condition: str
    threshold: float | None
    since: str
    at: str
    summary: str
    description: str
    repeat: bool = False
    evaluated_at: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (NaN as null)."""
        data = asdict(self)
        data["labels"], data["actions"] = dict(self.labels), list(self.actions)
        data["detail"] = dict(self.detail)
        for key in ("value", "ci_low", "ci_high"):
            data[key] = _json_float(data[key])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertEvent:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        for key in ("value", "ci_low", "ci_high"):
            data[key] = math.nan if data[key] is None else float(data[key])
        data["actions"] = tuple(data["actions"])
        return cls(**data)

    @property
    def figure(self) -> str:
        """The value with its 95 % interval and sample count, for people."""
        interval = f"95% CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}"
        return f"{_fmt(self.value)} ({interval}, n={self.n})"

    def headline(self) -> str:
        """One line: status, rule, model and the figure."""
        state = self.status.upper() + (" (repeat)" if self.repeat else "")
        return f"[{state}] {self.rule} {self.model}: {self.metric} = {_fmt(self.value)}"

    def body(self) -> str:
        """Several lines saying which model, which metric, the value, the condition, since when."""
        lines = [
            self.summary or self.headline(),
            "",
            f"Status:     {self.status}" + (" (still firing)" if self.repeat else ""),
            f"Model:      {self.model} version {self.model_version} ({self.kind})",
            f"Metric:     {self.metric} = {self.figure}",
            f"Condition:  {self.condition}",
            f"Severity:   {self.severity}",
            f"Since:      {self.since}",
            f"Data up to: {self.at}",
            f"Evaluated:  {self.evaluated_at or self.at}",
        ]
        if self.description:
            lines += ["", self.description]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ActiveAlert:
    """A firing alert, for the ``glass_alert_firing`` gauge and the MLflow run's tags."""

    rule: str
    kind: str
    model: str
    severity: str
    since: str
    fired_at: str
    value: float

    @property
    def labels(self) -> dict[str, str]:
        """The gauge's labels: ``alertname``, ``model``, ``severity``."""
        return {"alertname": self.rule, "model": self.model, "severity": self.severity}


@dataclass(frozen=True)
class _Verdict:
    breached: bool
    figure: MetricValue
    condition: str
    threshold: float | None
    detail: Mapping[str, Any]


class AlertTracker:
    """Runs evaluations through the rules and remembers which alerts are pending or firing.

    ``state_dir`` holds ``state.json``, ``alerts.log`` and a lock file; it is typically
    ``<out>/alerts``.
    """

    def __init__(self, state_dir: Path, rules: RuleSet) -> None:
        self.state_dir = Path(state_dir)
        self.rules = rules

    @property
    def state_path(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "alerts.log"

    def observe(
        self, result: EvaluationResult, *, baseline: EvaluationResult | None = None
    ) -> list[AlertEvent]:
        """Run ``result`` through its model's rules; return the firing and resolved events.

        ``baseline`` is the model version's evaluation at deployment; it is remembered, so
        it need be given only once per version.
        """
        with exclusive_lock(self.state_dir / ".state.lock"):
            state = self._load()
            mark = f"{result.sequence}@{result.timestamp_iso}"
            last = state["last"].get(result.model_name)
            if last and last["mark"] == mark:
                return [AlertEvent.from_dict(e) for e in last["events"]]

            _remember(state, result, baseline, self.rules)
            events, lines = self._apply(state, result)
            state["last"][result.model_name] = {
                "mark": mark,
                "events": [e.to_dict() for e in events],
            }
            self._append_log(lines)
            atomic_write_text(self.state_path, json.dumps(state, indent=1, sort_keys=True))

        for event in events:
            log.info("alert %s", event.headline())
        return events

    def firing_alerts(self) -> list[ActiveAlert]:
        """Every alert firing now, ordered by rule and model."""
        alerts = self._load()["alerts"]
        return [
            ActiveAlert(
                rule=a["rule"],
                kind=a["kind"],
                model=a["model"],
                severity=a["severity"],
                since=a["since"],
                fired_at=a["fired_at"],
                value=_float(a["value"]),
            )
            for _, a in sorted(alerts.items())
            if a["state"] == "firing"
        ]

    def _load(self) -> dict[str, Any]:
        fresh = {"version": STATE_VERSION, "alerts": {}, "series": {}, "baselines": {}, "last": {}}
        if not self.state_path.exists():
            return fresh
        try:
            data = json.loads(self.state_path.read_text("utf-8"))
        except ValueError as exc:
            raise ValueError(
                f"{self.state_path}: alert state is not valid JSON ({exc}); move the file away "
                "to start afresh (alerts then fire again as if new)"
            ) from None
        version = data.get("version") if isinstance(data, dict) else None
        if version != STATE_VERSION:
            raise ValueError(
                f"{self.state_path}: alert state version {version!r}, "
                f"expected {STATE_VERSION}; move the file away to start afresh"
            )
        return data

    def _apply(
        self, state: dict[str, Any], result: EvaluationResult
    ) -> tuple[list[AlertEvent], list[str]]:
        events: list[AlertEvent] = []
        lines: list[str] = []
        for rule in self.rules.for_model(result.kind):
            verdict = _judge(rule, result, state)
            if verdict is None:
                continue
            key = f"{rule.name}|{result.model_name}"
            event, line = _step(state["alerts"], key, rule, result, verdict, self.rules)
            if event is not None:
                events.append(event)
            if line:
                lines.append(line)
        return events, lines

    def _append_log(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
            handle.flush()


def _step(
    alerts: dict[str, Any],
    key: str,
    rule: Rule,
    result: EvaluationResult,
    verdict: _Verdict,
    rules: RuleSet,
) -> tuple[AlertEvent | None, str]:
    """Advance one alert by one evaluation; return its event (if any) and its log line."""
    now, at = alert_clock(result)
    entry = alerts.get(key)
    if not verdict.breached:
        if entry is None:
            return None, ""
        del alerts[key]
        if entry["state"] != "firing":
            return None, _line(at, "CLEARED", rule, result, verdict, "pending alert cleared")
        event = _event("resolved", rule, result, verdict, entry["since"], False)
        return event, _line(at, "RESOLVED", rule, result, verdict, f"since {entry['since']}")

    if entry is None:
        entry = alerts[key] = {
            "rule": rule.name,
            "kind": rule.model,
            "model": result.model_name,
            "severity": rule.severity,
            "state": "pending",
            "breaches": 0,
            "since": at,
            "fired_at": None,
            "notified_at": None,
        }
    entry["breaches"] += 1
    entry["value"] = _json_float(verdict.figure.value)

    if entry["state"] == "pending":
        if entry["breaches"] < rule.for_:
            note = f"{entry['breaches']}/{rule.for_} breaching evaluations"
            return None, _line(at, "PENDING", rule, result, verdict, note)
        entry.update(state="firing", fired_at=at, notified_at=at)
        event = _event("firing", rule, result, verdict, entry["since"], False)
        return event, _line(at, "FIRING", rule, result, verdict, f"since {entry['since']}")

    due = _parse(entry["notified_at"]) + timedelta(seconds=rules.repeat_interval)
    if now <= due:
        return None, ""
    entry["notified_at"] = at
    event = _event("firing", rule, result, verdict, entry["since"], True)
    return event, _line(at, "REPEAT", rule, result, verdict, f"firing since {entry['since']}")


def _event(
    status: str, rule: Rule, result: EvaluationResult, verdict: _Verdict, since: str, repeat: bool
) -> AlertEvent:
    labels = {
        **rule.labels,
        "alertname": rule.name,
        "model": result.model_name,
        "kind": rule.model,
        "severity": rule.severity,
        "split": result.split,
    }
    figure = verdict.figure
    seed = f"{rule.name}|{result.model_name}|{status}|{result.sequence}|{result.timestamp_iso}"
    return AlertEvent(
        event_id=f"{rule.name}-{hashlib.sha256(seed.encode()).hexdigest()[:16]}",
        status=status,
        rule=rule.name,
        kind=rule.model,
        model=result.model_name,
        model_version=result.model_version,
        metric=rule.metric,
        severity=rule.severity,
        value=figure.value,
        ci_low=figure.ci_low,
        ci_high=figure.ci_high,
        n=figure.n,
        condition=verdict.condition,
        threshold=verdict.threshold,
        since=since,
        at=alert_clock(result)[1],
        evaluated_at=result.timestamp_iso,
        summary=fill_template(rule.annotations.get("summary", ""), figure.value, labels),
        description=fill_template(rule.annotations.get("description", ""), figure.value, labels),
        repeat=repeat,
        labels=labels,
        actions=rule.actions,
        detail=dict(verdict.detail),
    )


def fill_template(
    text: str,
    value: float,
    labels: Mapping[str, str],
    *,
    number: Callable[[float], str] | None = None,
) -> str:
    """Fill ``{{ $value }}`` and ``{{ $labels.NAME }}`` as Prometheus would, for people.

    ``number`` formats the value (default: four significant digits).
    """
    show = number or _fmt

    def sub(match: re.Match[str]) -> str:
        return show(value) if match.group(2) is None else labels.get(match.group(2), "")

    return _TEMPLATE.sub(sub, text)


def _judge(rule: Rule, result: EvaluationResult, state: dict[str, Any]) -> _Verdict | None:
    """Whether ``result`` breaches ``rule``; None when the figure is absent or undefined."""
    figure = result.metrics.get(rule.spec_metric)
    if figure is None or not math.isfinite(figure.value):
        return None
    if isinstance(rule, DegradationRule):
        return _judge_degradation(rule, result, figure, state)
    if not isinstance(rule, ThresholdRule):
        raise TypeError(f"unknown rule type {type(rule).__name__}")
    condition = f"{rule.metric} {rule.comparison} {_fmt(rule.threshold)}"
    return _Verdict(rule.breached(figure.value), figure, condition, rule.threshold, {})


def _judge_degradation(
    rule: DegradationRule, result: EvaluationResult, figure: MetricValue, state: dict[str, Any]
) -> _Verdict:
    series = [
        MetricValue.from_dict(p)
        for p in state["series"][result.model_name][rule.spec_metric]["points"]
    ]
    base = _baseline_figure(rule, result, series, state)
    detail: dict[str, Any] = {}
    parts: list[str] = []
    degraded = False

    if base is not None and math.isfinite(base.value):
        warmup = (rule.detector or Detector()).warmup
        spread = degradation.between_window_variance(series[:-1][:warmup])
        test = degradation.compare(
            figure,
            base,
            higher_is_worse=rule.higher_is_worse,
            alpha=rule.alpha,
            min_effect=rule.min_effect,
            proportion=rule.spec_metric in degradation.PROPORTIONS,
            extra_variance=spread,
        )
        detail.update(
            baseline=_json_float(base.value),
            change=_json_float(test.change),
            p_value=_json_float(test.p_value),
            test=test.method,
        )
        parts.append(
            f"{rule.metric} {_fmt(figure.value)} vs {rule.baseline} baseline {_fmt(base.value)}"
            f": change {test.change:+.4g}, p={_fmt(test.p_value)} (alpha {rule.alpha},"
            f" minimum effect {_fmt(rule.min_effect)}, {test.method})"
        )
        degraded = test.degraded

    if rule.detector is not None:
        drift = _drift(rule, series)
        detail.update(detector=drift.method, statistic=drift.statistic, shift=drift.shift)
        parts.append(_drift_words(drift, rule, len(series)))
        degraded = degraded or drift.alarm
    return _Verdict(degraded, figure, "; ".join(parts), None, detail)


def _drift_words(drift: degradation.Drift, rule: DegradationRule, seen: int) -> str:
    if "warming up" in drift.method:
        needed = (rule.detector or Detector()).warmup + 1
        return f"{drift.method}: {seen} of {needed} windows of this model version"
    return (
        f"{drift.method} statistic {drift.statistic:.3g} vs threshold {drift.threshold:.3g}"
        f", shift {drift.shift:+.4g}"
    )


def _drift(rule: DegradationRule, series: list[MetricValue]) -> degradation.Drift:
    d = rule.detector or Detector()
    worse, effect = rule.higher_is_worse, rule.min_effect
    if d.type == "cusum":
        return degradation.cusum(
            series, higher_is_worse=worse, k=d.k, h=d.h, warmup=d.warmup, min_effect=effect
        )
    return degradation.page_hinkley(
        series,
        higher_is_worse=worse,
        delta=d.delta,
        lambda_=d.lambda_,
        warmup=d.warmup,
        min_effect=effect,
    )


def _baseline_figure(
    rule: DegradationRule,
    result: EvaluationResult,
    series: list[MetricValue],
    state: dict[str, Any],
) -> MetricValue | None:
    if rule.baseline == "reference":
        if len(series) <= rule.reference_windows:
            return None
        return degradation.pool(series[: rule.reference_windows])
    stored = state["baselines"].get(result.model_name, {}).get("metrics", {})
    raw = stored.get(rule.spec_metric)
    return MetricValue.from_dict(raw) if raw else None


def _remember(
    state: dict[str, Any],
    result: EvaluationResult,
    baseline: EvaluationResult | None,
    rules: RuleSet,
) -> None:
    """Update the stored baseline and the degradation rules' series with ``result``."""
    model, version = result.model_name, result.model_version
    known = state["baselines"].get(model)
    if baseline is not None or known is None or known["version"] != version:
        source = baseline or result
        state["baselines"][model] = {
            "version": version,
            "metrics": {k: v.to_dict() for k, v in source.metrics.items()},
            "from": f"{source.split} evaluation at {source.timestamp_iso}",
        }

    metrics = {r.spec_metric for r in rules.degradations if r.model == result.kind}
    by_metric = state["series"].setdefault(model, {})
    for name in metrics:
        series = by_metric.get(name)
        if series is None or series["version"] != version:
            series = by_metric[name] = {"version": version, "points": []}
        figure = result.metrics.get(name)
        if figure is not None and math.isfinite(figure.value):
            series["points"] = [*series["points"], figure.to_dict()][-MAX_SERIES:]


def _line(
    at: str, what: str, rule: Rule, result: EvaluationResult, verdict: _Verdict, note: str
) -> str:
    f = verdict.figure
    return (
        f"{at} {what:<8} {rule.name} model={result.model_name} version={result.model_version}"
        f" severity={rule.severity} {rule.metric}={_fmt(f.value)}"
        f" [{_fmt(f.ci_low)}, {_fmt(f.ci_high)}] n={f.n} | {verdict.condition} | {note}"
    )


def alert_clock(result: EvaluationResult) -> tuple[datetime, str]:
    """The time an alert sees for ``result``: its data's end, else its evaluation time."""
    when = result.timestamp
    if result.data_end:
        try:
            when = _parse(result.data_end)
        except ValueError:
            log.warning(
                "data_end %r is not an ISO 8601 time; using the evaluation time", result.data_end
            )
    return when, when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(iso: str) -> datetime:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def _float(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _json_float(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
