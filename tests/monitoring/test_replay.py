"""Replays: a history through fresh rules, and a history read back from a JSON summary."""

from __future__ import annotations

import dataclasses

import pytest

from glass_metrics.monitoring.replay import Detection, detections, replay, results_from_summary
from glass_metrics.monitoring.rules import parse_rules
from glass_metrics.sinks.summary_json import append_summary

from .results import figure, result

RULES = parse_rules(
    {
        "repeat_interval": "30m",
        "rules": [
            {
                "name": "MseHigh",
                "model": "lstm",
                "metric": "lstm_mse",
                "comparison": ">",
                "threshold": 0.3,
                "for": 2,
            },
            {
                "name": "MaeHigh",
                "model": "lstm",
                "metric": "lstm_mae",
                "comparison": ">",
                "threshold": 0.9,
            },
        ],
    }
)


def _history():
    values = [0.1, 0.4, 0.1, 0.4, 0.4, 0.4, 0.1, 0.4, 0.4]
    return [result("lstm", i, mse=v, mae=figure(0.2)) for i, v in enumerate(values, start=1)]


def test_replay_reports_first_window_and_firings_without_repeats():
    events = replay(_history(), RULES)

    assert [(w, e.status, e.repeat) for w, e in events] == [
        (5, "firing", False),
        (6, "firing", True),
        (7, "resolved", False),
        (9, "firing", False),
    ]
    assert detections(events, RULES) == [Detection("MseHigh", 5, 2), Detection("MaeHigh", None, 0)]


def test_a_summary_read_back_replays_like_the_results(tmp_path):
    history = _history()
    for r in history:
        append_summary(dataclasses.replace(r, split="production/day"), tmp_path)

    back = results_from_summary(tmp_path / "LSTM_ONNX_Evaluation_summary.json", "lstm")

    assert [r.metrics["mse"].value for r in back] == [r.metrics["mse"].value for r in history]
    assert back[1].metrics["mse"].ci_low == pytest.approx(0.39)
    assert [(w, e.status) for w, e in replay(back, RULES)] == [
        (w, e.status) for w, e in replay(history, RULES)
    ]
