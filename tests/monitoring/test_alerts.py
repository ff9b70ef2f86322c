"""Alert lifecycle: pending, firing, resolved, repeats, persistence and the alert log."""

from __future__ import annotations

import json
import math

import pytest

from glass_metrics.metrics.types import MetricValue
from glass_metrics.monitoring.alerts import AlertEvent, AlertTracker
from glass_metrics.monitoring.rules import parse_rules

from .results import figure, result

RULES = {
    "repeat_interval": "4h",
    "rules": [
        {
            "name": "MseHigh",
            "model": "lstm",
            "metric": "lstm_mse",
            "comparison": ">",
            "threshold": 0.3,
            "for": 3,
            "severity": "critical",
            "annotations": {"summary": "MSE {{ $value }} on {{ $labels.model }}"},
        },
        {
            "name": "F1Low",
            "model": "gnn",
            "metric": "gnn_f1_score",
            "comparison": "<",
            "threshold": 0.5,
        },
    ],
    "degradation": [
        {
            "name": "MseWorse",
            "model": "lstm",
            "metric": "lstm_mse",
            "alpha": 0.01,
            "min_effect": 0.02,
            "detector": False,
        },
    ],
}


@pytest.fixture
def tracker(tmp_path) -> AlertTracker:
    return AlertTracker(tmp_path / "alerts", parse_rules(RULES, source="test.yaml"))


def _feed(tracker, values, start=1, **extra):
    events = []
    for i, v in enumerate(values, start=start):
        events.append(tracker.observe(result("lstm", i, mse=v, **extra)))
    return events


def _statuses(events, rule="MseHigh"):
    return [[e.status for e in batch if e.rule == rule] for batch in events]


def test_pending_until_for_consecutive_breaches_then_firing(tracker):
    events = _feed(tracker, [0.4, 0.4, 0.4])

    assert _statuses(events) == [[], [], ["firing"]]
    event = events[2][0]
    assert event.since == "2026-12-01T01:00:00Z"
    assert event.summary == "MSE 0.4 on glass-defect-lstm"
    assert event.value == 0.4 and event.ci_low == pytest.approx(0.39) and event.n == 2000
    assert [a.labels for a in tracker.firing_alerts()] == [
        {"alertname": "MseHigh", "model": "glass-defect-lstm", "severity": "critical"}
    ]


def test_an_interrupted_breach_starts_counting_again(tracker):
    events = _feed(tracker, [0.4, 0.4, 0.2, 0.4, 0.4])

    assert _statuses(events) == [[], [], [], [], []]
    assert tracker.firing_alerts() == []


def test_resolved_when_the_condition_clears(tracker):
    events = _feed(tracker, [0.4, 0.4, 0.4, 0.25])

    assert _statuses(events)[3] == ["resolved"]
    assert events[3][0].since == events[2][0].since and events[3][0].value == 0.25
    assert tracker.firing_alerts() == []


def test_still_firing_is_announced_again_only_after_the_repeat_interval(tracker):
    events = _feed(tracker, [0.4] * 8)

    # Fires at hour 3; repeat interval 4 h: again at hour 8 (more than 4 h later), not
    # at 4 to 7.
    assert _statuses(events) == [[], [], ["firing"], [], [], [], [], ["firing"]]
    assert events[7][0].repeat and not events[2][0].repeat
    assert len({e.event_id for batch in events for e in batch}) == 2


def test_a_new_tracker_continues_where_the_last_one_stopped(tracker, tmp_path):
    _feed(tracker, [0.4, 0.4, 0.4])
    again = AlertTracker(tmp_path / "alerts", tracker.rules)

    assert [a.rule for a in again.firing_alerts()] == ["MseHigh"]
    assert _statuses([again.observe(result("lstm", 4, mse=0.5))]) == [[]]
    assert _statuses([again.observe(result("lstm", 5, mse=0.1))]) == [["resolved"]]


def test_observing_the_same_result_again_replays_its_events(tracker):
    _feed(tracker, [0.4, 0.4])
    third = result("lstm", 3, mse=0.4)
    first = tracker.observe(third)
    before = tracker.state_path.read_text()

    assert tracker.observe(third) == first and len(first) == 1
    assert tracker.state_path.read_text() == before


def test_an_undefined_figure_leaves_the_alert_as_it_was(tracker):
    _feed(tracker, [0.4, 0.4, 0.4])
    events = tracker.observe(result("lstm", 4, mse=MetricValue(math.nan, 0)))

    assert events == [] and [a.rule for a in tracker.firing_alerts()] == ["MseHigh"]


def test_alerts_are_per_model_and_rule(tracker):
    lstm = _feed(tracker, [0.4, 0.4, 0.4])
    gnn = tracker.observe(result("gnn", 1, f1_score=0.3))

    assert [e.rule for e in gnn] == ["F1Low"] and gnn[0].model == "glass-anomaly-gnn"
    assert {a.rule for a in tracker.firing_alerts()} == {"MseHigh", "F1Low"}
    assert lstm[2][0].event_id != gnn[0].event_id


def test_the_alert_log_is_readable_lines(tracker):
    _feed(tracker, [0.4, 0.4, 0.4, 0.1])
    lines = tracker.log_path.read_text().splitlines()

    assert [line.split()[1] for line in lines] == ["PENDING", "PENDING", "FIRING", "RESOLVED"]
    assert "MseHigh model=glass-defect-lstm version=1 severity=critical" in lines[2]
    assert "lstm_mse=0.4 [0.39, 0.41] n=2000 | lstm_mse > 0.3 | since " in lines[2]
    assert "1/3 breaching evaluations" in lines[0]


def test_degradation_against_the_deployment_baseline(tracker):
    deployed = result("lstm", 0, mse=figure(0.10, half=0.005))
    quiet = tracker.observe(result("lstm", 1, mse=0.11), baseline=deployed)
    worse = tracker.observe(result("lstm", 2, mse=0.16))

    assert _statuses([quiet], "MseWorse") == [[]]
    (event,) = [e for e in worse if e.rule == "MseWorse"]
    assert event.status == "firing" and event.detail["baseline"] == 0.10
    assert event.detail["p_value"] < 0.01 and event.detail["change"] == pytest.approx(0.06)
    assert "vs deployment baseline 0.1: change +0.06" in event.condition


def test_a_new_model_version_restarts_the_baseline(tracker):
    tracker.observe(result("lstm", 1, mse=0.10))
    tracker.observe(result("lstm", 2, mse=0.16))
    events = tracker.observe(result("lstm", 3, version="2", mse=0.16))

    assert _statuses([events], "MseWorse") == [["resolved"]]
    state = json.loads(tracker.state_path.read_text())
    assert state["baselines"]["glass-defect-lstm"]["version"] == "2"
    assert len(state["series"]["glass-defect-lstm"]["mse"]["points"]) == 1


def test_events_round_trip_through_json(tracker):
    (event,) = _feed(tracker, [0.4, 0.4, 0.4])[2]

    assert AlertEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event
    body = event.body()
    assert "Model:      glass-defect-lstm version 1 (lstm)" in body
    assert "lstm_mse = 0.4 (95% CI 0.39 to 0.41, n=2000)" in body
    assert "Condition:  lstm_mse > 0.3" in body and f"Since:      {event.since}" in body


def test_the_alert_clock_is_the_data_time_when_known(tracker):
    days = [
        result("lstm", i, hours=0.001 * i, mse=0.4, data_end=f"2026-11-{10 + i:02d}T23:59:59")
        for i in range(1, 6)
    ]
    events = [tracker.observe(r) for r in days]

    # Evaluated seconds apart, but a day of data apart: fires on day 3, repeats on day 4.
    assert _statuses(events) == [[], [], ["firing"], ["firing"], ["firing"]]
    assert events[2][0].since == "2026-11-11T23:59:59Z" and events[3][0].repeat
    assert events[2][0].at == "2026-11-13T23:59:59Z"
    assert events[2][0].evaluated_at == days[2].timestamp_iso


def test_a_damaged_state_file_is_a_clear_error(tracker):
    _feed(tracker, [0.4])
    tracker.state_path.write_text("{not json")

    with pytest.raises(ValueError, match="state.json: alert state is not valid JSON"):
        tracker.firing_alerts()
