"""Rules files: the packaged defaults, and errors that say where and what is valid."""

from __future__ import annotations

import pytest
import yaml

from glass_metrics.errors import ConfigError
from glass_metrics.monitoring.rules import (
    DegradationRule,
    ThresholdRule,
    format_duration,
    load_rules,
    parse_duration,
)


def _rule(**changes):
    rule = {"name": "r", "model": "lstm", "metric": "lstm_mse", "comparison": ">", "threshold": 0.3}
    rule.update(changes)
    return {k: v for k, v in rule.items() if v is not None}


def _load(tmp_path, data):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_rules(path)


def test_defaults_hold_the_specification_thresholds():
    rules = load_rules(None)
    exprs = {r.expr for r in rules.thresholds}

    assert exprs == {
        "lstm_mse > 0.3",
        "gnn_accuracy < 0.03",
        "gnn_f1_score < 0.5",
        "lstm_r2_score < 0",
    }
    assert {(r.metric, r.higher_is_worse) for r in rules.degradations} == {
        ("lstm_mse", True),
        ("gnn_f1_score", False),
    }
    assert rules.evaluation_interval == 3600 and rules.repeat_interval == 4 * 3600
    assert rules.email is not None and not rules.email.enabled


def test_a_full_rule_is_read(tmp_path):
    rules = _load(
        tmp_path,
        {
            "evaluation_interval": "30m",
            "rules": [
                _rule(
                    **{
                        "for": 3,
                        "severity": "critical",
                        "labels": {"team": "hot-end"},
                        "annotations": {"summary": "{{ $value }} on {{ $labels.model }}"},
                        "actions": ["slack"],
                    }
                )
            ],
            "degradation": [
                {
                    "name": "d",
                    "model": "gnn",
                    "metric": "gnn_recall",
                    "baseline": "reference",
                    "alpha": 0.05,
                    "min_effect": 0.1,
                    "detector": {"type": "page_hinkley", "lambda": 6, "warmup": 4},
                }
            ],
        },
    )
    (rule,), (deg,) = rules.thresholds, rules.degradations

    assert isinstance(rule, ThresholdRule) and rule.for_ == 3 and rule.actions == ("slack",)
    assert rule.labels == {"team": "hot-end"} and rule.breached(0.31) and not rule.breached(0.3)
    assert isinstance(deg, DegradationRule) and deg.spec_metric == "recall"
    assert deg.detector.type == "page_hinkley" and deg.detector.lambda_ == 6
    assert rules.evaluation_interval == 1800


def test_a_misspelt_metric_names_the_file_rule_key_and_valid_metrics(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, {"rules": [_rule(metric="lstm_mes")]})

    message = str(err.value)
    assert str(tmp_path / "rules.yaml") in message
    assert "rules[0] ('r')" in message and "key 'metric'" in message
    assert "lstm_mse, lstm_mae, lstm_rmse, lstm_r2_score, lstm_ece" in message
    assert "did you mean 'lstm_mse'" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model": "cnn"}, "key 'model': got 'cnn'; valid values: lstm, gnn"),
        ({"metric": "gnn_accuracy"}, "valid values: lstm_mse"),
        ({"comparison": "=>"}, "key 'comparison': got '=>'; valid values: >, >=, <, <="),
        ({"severity": "page"}, "valid values: critical, warning, info"),
        ({"for": 0}, "key 'for': expected an integer >= 1, got 0"),
        ({"threshold": "high"}, "key 'threshold': expected int or float, got 'high'"),
        ({"threshold": None}, "key 'threshold': is required"),
        ({"actions": ["pager"]}, "valid values: email, slack, recalibrate"),
        ({"treshold": 1}, "key 'treshold': unknown key; valid keys:"),
        ({"annotations": {"summary": "{{ .Value }}"}}, "unsupported template"),
    ],
)
def test_each_mistake_is_named(tmp_path, change, expected):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, {"rules": [_rule(**change)]})

    assert expected in str(err.value)


def test_degradation_and_notification_mistakes(tmp_path):
    deg = {"name": "d", "model": "lstm", "metric": "lstm_mse"}
    cases = [
        ({"degradation": [{**deg, "alpha": 1.5}]}, "key 'alpha': expected a significance level"),
        (
            {"degradation": [{**deg, "baseline": "yesterday"}]},
            "valid values: deployment, reference",
        ),
        ({"degradation": [{**deg, "detector": {"type": "adwin"}}]}, "valid values: cusum, page_h"),
        ({"rules": [_rule(), _rule()]}, "rule name 'r' is used twice"),
        ({"notifications": {"email": {"host": "h", "from": "a@b"}}}, "key 'to': needs at least"),
        ({"notifications": {"slack": {"url": "https://x"}}}, "key 'url': unknown key"),
        ({"evaluation_interval": "hourly"}, "expected a duration like 30s"),
        ({"rule": []}, "key 'rule': unknown key; valid keys: evaluation_interval"),
    ]
    for data, expected in cases:
        with pytest.raises(ConfigError) as err:
            _load(tmp_path, data)
        assert expected in str(err.value), str(err.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the rules file"):
        load_rules(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("rules: [\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_rules(tmp_path / "bad.yaml")


def test_durations_round_trip():
    assert [parse_duration(t) for t in ("90s", "5m", "1h", "2d")] == [90, 300, 3600, 172800]
    assert [format_duration(s) for s in (90, 300, 7200, 0)] == ["90s", "5m", "2h", "0s"]
