"""Alert rules as data: a YAML file, validated into a :class:`RuleSet`.

The packaged defaults (``default_rules.yaml`` next to this module) are the specification's
three thresholds (``lstm_mse > 0.3``, ``gnn_accuracy < 0.03``, ``gnn_f1_score < 0.5``),
``lstm_r2_score < 0`` and two degradation rules. A rules file has these top-level keys::

    evaluation_interval: 1h     # how often the monitor evaluates; turns `for` into a duration
    repeat_interval: 4h         # re-notify a still-firing alert this often (by evaluation time)
    rules:                      # threshold rules
      - name: lstm-mse-high     # unique; becomes the alert's `alertname`
        model: lstm             # lstm | gnn
        metric: lstm_mse        # the Prometheus gauge: "<model>_<metric>", e.g. gnn_f1_score
        comparison: ">"         # > | >= | < | <=   (fires while `value <comparison> threshold`)
        threshold: 0.3
        for: 2                  # consecutive breaching evaluations before firing (default 1)
        severity: critical      # critical | warning | info
        labels: {team: process} # extra alert labels (optional)
        annotations:            # {{ $value }} and {{ $labels.NAME }} are filled in
          summary: "..."
          description: "..."
        actions: [email, slack, recalibrate]   # any subset; default [email, slack]
    degradation:                # statistical rules, run by the monitor only
      - name: lstm-mse-degradation
        model: lstm
        metric: lstm_mse        # the bad direction follows from the metric: up for errors
        baseline: deployment    # deployment | reference (the first `reference_windows`)
        reference_windows: 5
        alpha: 0.01             # one-sided significance level of the window-vs-baseline test
        min_effect: 0.02        # smallest change, in the metric's units, worth an alert
        detector: {type: cusum, k: 0.5, h: 5.0, warmup: 5}   # or page_hinkley: delta, lambda
        for: 2                  # default 1, as for threshold rules
        severity / labels / annotations / actions as above
    notifications:              # where the monitor sends; secrets come from the environment
      email: {enabled: true, host: smtp.example, port: 587, starttls: true, ssl: false,
              username: glass, from: glass@example, to: [ops@example], timeout: 10}
      slack: {enabled: true, channel: "#alerts"}
    alertmanager:               # used only to render the Alertmanager config
      smtp_password_file: /etc/alertmanager/secrets/smtp_password
      slack_api_url_file: /etc/alertmanager/secrets/slack_webhook_url
      group_wait: 30s
      group_interval: 5m

Gauge names are ``<kind>_<metric>`` with the evaluation's metric names: for ``lstm`` ``mse``,
``mae``, ``rmse``, ``r2_score``, ``ece``; for ``gnn`` ``accuracy``, ``precision``,
``recall``, ``f1_score``, ``balanced_accuracy``, ``mcc``, ``roc_auc``, ``pr_auc``, ``ece``.
Every mistake is a :class:`~glass_metrics.errors.ConfigError` naming the file, the rule, the
key and the valid values. The SMTP password and the Slack webhook URL are never read from
this file (see :mod:`glass_metrics.monitoring.notify`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from glass_metrics.errors import ConfigError
from glass_metrics.metrics.binary import BINARY_METRICS
from glass_metrics.metrics.regression import REGRESSION_METRICS

MODEL_METRICS: dict[str, tuple[str, ...]] = {
    "lstm": (*REGRESSION_METRICS, "ece"),
    "gnn": (*BINARY_METRICS, "ece"),
}
HIGHER_IS_WORSE = frozenset({"mse", "mae", "rmse", "ece"})
COMPARISONS = (">", ">=", "<", "<=")
SEVERITIES = ("critical", "warning", "info")
ACTIONS = ("email", "slack", "recalibrate")
BASELINES = ("deployment", "reference")
DETECTORS = ("cusum", "page_hinkley")
DEFAULT_RULES = "default_rules.yaml"

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")
_TEMPLATE_OK = re.compile(r"^\s*\$(value|labels\.[A-Za-z_][A-Za-z0-9_]*)\s*$")
_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Detector:
    """A change detector's settings; thresholds are in units of the metric's noise (sigma)."""

    type: str = "cusum"
    k: float = 0.5
    h: float = 5.0
    delta: float = 0.25
    lambda_: float = 6.0
    warmup: int = 5


@dataclass(frozen=True)
class Rule:
    """What every rule has: a name, the model kind, the gauge, and what to do when it fires."""

    name: str
    model: str
    metric: str
    severity: str = "warning"
    for_: int = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    actions: tuple[str, ...] = ("email", "slack")

    @property
    def spec_metric(self) -> str:
        """The evaluation's name for the metric (``mse`` for ``lstm_mse``)."""
        return self.metric[len(self.model) + 1 :]

    @property
    def higher_is_worse(self) -> bool:
        """True for error metrics (MSE, MAE, RMSE, ECE), False for scores."""
        return self.spec_metric in HIGHER_IS_WORSE


@dataclass(frozen=True)
class ThresholdRule(Rule):
    """Fires while ``value <comparison> threshold`` for ``for_`` consecutive evaluations."""

    comparison: str = ">"
    threshold: float = 0.0

    def breached(self, value: float) -> bool:
        """Whether ``value`` is on the alerting side; an undefined (NaN) value never is."""
        if not math.isfinite(value):
            return False
        return {
            ">": value > self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            "<=": value <= self.threshold,
        }[self.comparison]

    @property
    def expr(self) -> str:
        """The PromQL condition, e.g. ``lstm_mse > 0.3``."""
        return f"{self.metric} {self.comparison} {_num(self.threshold)}"


@dataclass(frozen=True)
class DegradationRule(Rule):
    """Fires on a significant, large enough worsening against a baseline, or on slow drift."""

    baseline: str = "deployment"
    reference_windows: int = 5
    alpha: float = 0.01
    min_effect: float = 0.0
    detector: Detector | None = field(default_factory=Detector)


@dataclass(frozen=True)
class EmailConfig:
    """SMTP settings; the password comes from the environment (see notify).

    ``ssl`` connects with implicit TLS (SMTPS, usually port 465) and then ignores
    ``starttls``; otherwise ``starttls`` upgrades a plain connection (usually port 587).
    """

    host: str
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    sender: str = "glass-metrics@localhost"
    to: tuple[str, ...] = ()
    timeout: float = 10.0
    enabled: bool = True


@dataclass(frozen=True)
class SlackConfig:
    """Slack webhook settings; the webhook URL comes from the environment (see notify)."""

    channel: str | None = None
    timeout: float = 10.0
    enabled: bool = True


@dataclass(frozen=True)
class AlertmanagerConfig:
    """Settings used only when rendering the Alertmanager configuration."""

    smtp_password_file: str = "/etc/alertmanager/secrets/smtp_password"
    slack_api_url_file: str = "/etc/alertmanager/secrets/slack_webhook_url"
    group_wait: str = "30s"
    group_interval: str = "5m"


@dataclass(frozen=True)
class RuleSet:
    """Every rule of one file plus its notification and rendering settings."""

    thresholds: tuple[ThresholdRule, ...]
    degradations: tuple[DegradationRule, ...] = ()
    evaluation_interval: int = 3600
    repeat_interval: int = 4 * 3600
    email: EmailConfig | None = None
    slack: SlackConfig | None = None
    alertmanager: AlertmanagerConfig = field(default_factory=AlertmanagerConfig)
    source: str = "<memory>"

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Threshold rules first, then degradation rules."""
        return (*self.thresholds, *self.degradations)

    def for_model(self, kind: str) -> tuple[Rule, ...]:
        """The rules that watch models of ``kind``."""
        return tuple(r for r in self.rules if r.model == kind)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Read and validate a rules file; ``None`` loads the packaged defaults."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_RULES).read_text("utf-8")
        return parse_rules(yaml.safe_load(text), source=f"<packaged {DEFAULT_RULES}>")

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the rules file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rules(data, source=str(path))


def parse_rules(data: Any, *, source: str = "<memory>") -> RuleSet:
    """Validate the parsed YAML of a rules file into a :class:`RuleSet`."""
    top = _Section(source, "the file", data)
    top.allow(
        "evaluation_interval",
        "repeat_interval",
        "rules",
        "degradation",
        "notifications",
        "alertmanager",
    )
    thresholds = tuple(_threshold(s) for s in top.items("rules", source))
    degradations = tuple(_degradation(s) for s in top.items("degradation", source))
    _check_unique(source, (*thresholds, *degradations))

    notifications = top.sub("notifications")
    email = notifications.sub("email") if notifications.has("email") else None
    slack = notifications.sub("slack") if notifications.has("slack") else None
    notifications.allow("email", "slack")
    return RuleSet(
        thresholds=thresholds,
        degradations=degradations,
        evaluation_interval=top.duration("evaluation_interval", "1h"),
        repeat_interval=top.duration("repeat_interval", "4h"),
        email=_email(email) if email is not None else None,
        slack=_slack(slack) if slack is not None else None,
        alertmanager=_alertmanager(top.sub("alertmanager")),
        source=source,
    )


def parse_duration(text: str) -> int:
    """Seconds in a Prometheus-style duration with one unit (``90s``, ``5m``, ``1h``, ``1d``)."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"expected a duration like 30s, 5m, 1h or 1d, got {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The shortest single-unit duration string for ``seconds`` (``7200`` -> ``2h``)."""
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


class _Section:
    """One mapping of the YAML file, with typed getters whose errors name where they failed."""

    def __init__(self, source: str, where: str, data: Any) -> None:
        self.source, self.where = source, where
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.fail(None, f"expected a mapping, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def fail(self, key: str | None, message: str) -> None:
        at = f", key {key!r}" if key else ""
        raise ConfigError(f"{self.source}: {self.where}{at}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def allow(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                self.fail(key, f"unknown key; valid keys: {', '.join(keys)}{_close(key, keys)}")

    def get(self, key: str, default: Any = ..., types: tuple[type, ...] = (str,)) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                self.fail(key, "is required")
            return default
        value = self.data[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            self.fail(key, f"expected {names}, got {value!r}")
        return value

    def choice(self, key: str, valid: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, default)
        if value not in valid:
            self.fail(key, f"got {value!r}; valid values: {', '.join(valid)}{_close(value, valid)}")
        return value

    def number(self, key: str, default: Any = ..., *, low: float = -math.inf) -> float:
        value = float(self.get(key, default, (int, float)))
        if not math.isfinite(value) or value < low:
            self.fail(key, f"expected a finite number >= {low}, got {value!r}")
        return value

    def count(self, key: str, default: Any = ..., *, low: int = 1) -> int:
        value = self.get(key, default, (int,))
        if value < low:
            self.fail(key, f"expected an integer >= {low}, got {value!r}")
        return value

    def duration(self, key: str, default: str) -> int:
        try:
            seconds = parse_duration(self.get(key, default, (str,)))
        except ValueError as exc:
            self.fail(key, str(exc))
        if seconds <= 0:
            self.fail(key, "must be longer than zero")
        return seconds

    def sub(self, key: str) -> _Section:
        return _Section(self.source, f"{self.where} > {key}", self.data.get(key))

    def items(self, key: str, source: str) -> list[_Section]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            self.fail(key, f"expected a list of rules, got {type(value).__name__}")
        return [_Section(source, _rule_where(key, i, v), v) for i, v in enumerate(value)]


def _rule_where(key: str, index: int, value: Any) -> str:
    name = value.get("name") if isinstance(value, dict) else None
    return f"{key}[{index}]" + (f" ({name!r})" if name else "")


def _close(value: Any, valid: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(str(value), valid, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _num(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


_COMMON = ("name", "model", "metric", "severity", "for", "labels", "annotations", "actions")


def _common(s: _Section) -> dict[str, Any]:
    model = s.choice("model", tuple(MODEL_METRICS))
    valid = tuple(f"{model}_{m}" for m in MODEL_METRICS[model])
    return {
        "name": s.get("name"),
        "model": model,
        "metric": s.choice("metric", valid),
        "severity": s.choice("severity", SEVERITIES, "warning"),
        "for_": s.count("for", 1),
        "labels": _strings(s, "labels"),
        "annotations": _annotations(s),
        "actions": _actions(s),
    }


def _threshold(s: _Section) -> ThresholdRule:
    s.allow(*_COMMON, "comparison", "threshold")
    comparison = s.choice("comparison", COMPARISONS)
    return ThresholdRule(**_common(s), comparison=comparison, threshold=s.number("threshold"))


def _degradation(s: _Section) -> DegradationRule:
    s.allow(*_COMMON, "baseline", "reference_windows", "alpha", "min_effect", "detector")
    alpha = s.number("alpha", 0.01, low=0.0)
    if not 0 < alpha < 1:
        s.fail("alpha", f"expected a significance level between 0 and 1, got {alpha!r}")
    detector = None if s.data.get("detector", {}) is False else _detector(s.sub("detector"))
    return DegradationRule(
        **_common(s),
        baseline=s.choice("baseline", BASELINES, "deployment"),
        reference_windows=s.count("reference_windows", 5),
        alpha=alpha,
        min_effect=s.number("min_effect", 0.0, low=0.0),
        detector=detector,
    )


def _detector(s: _Section) -> Detector:
    kind = s.choice("type", DETECTORS, "cusum")
    if kind == "cusum":
        s.allow("type", "k", "h", "warmup")
        return Detector(
            type=kind,
            k=s.number("k", 0.5, low=0),
            h=s.number("h", 5.0, low=0),
            warmup=s.count("warmup", 5, low=2),
        )
    s.allow("type", "delta", "lambda", "warmup")
    return Detector(
        type=kind,
        delta=s.number("delta", 0.25, low=0),
        lambda_=s.number("lambda", 6.0, low=0),
        warmup=s.count("warmup", 5, low=2),
    )


def _strings(s: _Section, key: str) -> dict[str, str]:
    raw = s.get(key, {}, (dict,))
    bad = [k for k, v in raw.items() if not isinstance(v, str | int | float) or isinstance(v, bool)]
    if bad:
        s.fail(key, f"values must be strings, got {bad[0]!r}: {raw[bad[0]]!r}")
    return {str(k): str(v) for k, v in raw.items()}


def _annotations(s: _Section) -> dict[str, str]:
    notes = _strings(s, "annotations")
    for key, text in notes.items():
        for expr in _TEMPLATE.findall(text):
            if not _TEMPLATE_OK.match(expr):
                s.fail(
                    "annotations",
                    f"{key}: unsupported template {{{{{expr}}}}}; "
                    "valid: {{ $value }}, {{ $labels.NAME }}",
                )
    return notes


def _actions(s: _Section) -> tuple[str, ...]:
    actions = s.get("actions", ["email", "slack"], (list,))
    for action in actions:
        if action not in ACTIONS:
            s.fail("actions", f"got {action!r}; valid values: {', '.join(ACTIONS)}")
    return tuple(actions)


def _check_unique(source: str, rules: tuple[Rule, ...]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise ConfigError(f"{source}: rule name {rule.name!r} is used twice; names are unique")
        seen.add(rule.name)


def _email(s: _Section) -> EmailConfig:
    s.allow("enabled", "host", "port", "starttls", "ssl", "username", "from", "to", "timeout")
    to = s.get("to", None, (list, str))
    to = [to] if isinstance(to, str) else to
    if not to:
        s.fail("to", "needs at least one recipient address")
    return EmailConfig(
        host=s.get("host"),
        port=s.count("port", 587),
        starttls=s.get("starttls", True, (bool,)),
        ssl=s.get("ssl", False, (bool,)),
        username=s.get("username", None),
        sender=s.get("from"),
        to=tuple(str(a) for a in to),
        timeout=s.number("timeout", 10.0, low=0.1),
        enabled=s.get("enabled", True, (bool,)),
    )


def _slack(s: _Section) -> SlackConfig:
    s.allow("enabled", "channel", "timeout")
    return SlackConfig(
        channel=s.get("channel", None),
        timeout=s.number("timeout", 10.0, low=0.1),
        enabled=s.get("enabled", True, (bool,)),
    )


def _alertmanager(s: _Section) -> AlertmanagerConfig:
    s.allow("smtp_password_file", "slack_api_url_file", "group_wait", "group_interval")
    base = AlertmanagerConfig()
    for key in ("group_wait", "group_interval"):
        s.duration(key, getattr(base, key))
    return AlertmanagerConfig(
        smtp_password_file=s.get("smtp_password_file", base.smtp_password_file),
        slack_api_url_file=s.get("slack_api_url_file", base.slack_api_url_file),
        group_wait=s.get("group_wait", base.group_wait),
        group_interval=s.get("group_interval", base.group_interval),
    )
