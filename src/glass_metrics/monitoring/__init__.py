"""Monitoring: alert rules, degradation tests, alert lifecycle, notifications, rendering.

The monitor loop uses it like this::

    rules = load_rules(path_or_none)                     # None: the packaged defaults
    tracker = AlertTracker(out / "alerts", rules)
    notifier = Notifier.from_rules(rules, out / "alerts" / "outbox")
    events = tracker.observe(result, baseline=deployment_result)   # baseline optional
    notifier.send(events)                                # durable: written to the outbox
    notifier.flush()                                     # deliver what is due, with retries
    tracker.firing_alerts()                              # for glass_alert_firing and MLflow

and ``render_all(rules, Path("deploy"))`` writes the Prometheus and Alertmanager files.
:mod:`glass_metrics.monitoring.replay` runs a recorded history through rules (days to
detection, false alarms) without sending anything.
"""

from glass_metrics.monitoring.alerts import ActiveAlert, AlertEvent, AlertTracker
from glass_metrics.monitoring.notify import Notifier
from glass_metrics.monitoring.render import render_all
from glass_metrics.monitoring.rules import RuleSet, load_rules

__all__ = [
    "ActiveAlert",
    "AlertEvent",
    "AlertTracker",
    "Notifier",
    "RuleSet",
    "load_rules",
    "render_all",
]
