"""Rendered Prometheus rules, their promtool tests and the Alertmanager config, checked by
the real promtool and amtool (Debian's prometheus and prometheus-alertmanager)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from glass_metrics.monitoring.render import (
    ALERTMANAGER_FILE,
    RULES_FILE,
    RULES_TEST_FILE,
    go_number,
    render_all,
)
from glass_metrics.monitoring.rules import load_rules, parse_rules

pytestmark = pytest.mark.service

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CUSTOM = {
    "evaluation_interval": "30m",
    "repeat_interval": "2h",
    "rules": [
        {
            "name": "MseAtLeast",
            "model": "lstm",
            "metric": "lstm_mse",
            "comparison": ">=",
            "threshold": 0.25,
            "for": 3,
            "severity": "warning",
            "labels": {"team": "hot-end"},
            "annotations": {"summary": "{{ $labels.model }} MSE {{ $value }}"},
            "actions": ["email"],
        },
        {
            "name": "RecallAtMost",
            "model": "gnn",
            "metric": "gnn_recall",
            "comparison": "<=",
            "threshold": 0.6,
            "for": 2,
            "severity": "critical",
            "actions": ["slack"],
        },
        {
            "name": "EceHigh",
            "model": "gnn",
            "metric": "gnn_ece",
            "comparison": ">",
            "threshold": 0.1,
            "severity": "info",
            "actions": ["recalibrate"],
        },
    ],
    "degradation": [{"name": "RecallDown", "model": "gnn", "metric": "gnn_recall"}],
    "notifications": {
        "email": {
            "host": "mail.plant.test",
            "port": 25,
            "starttls": False,
            "from": "glass@plant.test",
            "to": ["ops@plant.test"],
        },
        "slack": {"channel": "#line-2"},
    },
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run scripts/setup (it installs Debian's prometheus "
            "and prometheus-alertmanager packages)"
        )
    return path


def _run(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_deploy_files_match_the_default_rules(tmp_path):
    written = render_all(load_rules(None), tmp_path)

    for path in written:
        relative = path.relative_to(tmp_path)
        committed = DEPLOY / relative
        assert committed.exists(), f"{committed} is missing: render the default rules again"
        assert committed.read_text() == path.read_text(), (
            f"{committed} is out of date: run `glass-metrics alerts render` (or render_all) "
            "with the default rules into deploy/"
        )


@pytest.mark.parametrize("rules", ["default", "custom"])
def test_promtool_checks_and_runs_the_rule_tests(tmp_path, rules):
    promtool = _tool("promtool")
    ruleset = load_rules(None) if rules == "default" else parse_rules(CUSTOM, source="custom")
    render_all(ruleset, tmp_path)

    assert "SUCCESS" in _run(promtool, "check", "rules", tmp_path / RULES_FILE)
    assert "SUCCESS" in _run(promtool, "test", "rules", tmp_path / RULES_TEST_FILE)


def test_promtool_tests_catch_a_wrong_threshold(tmp_path):
    promtool = _tool("promtool")
    render_all(parse_rules(CUSTOM), tmp_path)
    changed = dict(CUSTOM, rules=[dict(CUSTOM["rules"][0], threshold=0.5), *CUSTOM["rules"][1:]])
    render_all(parse_rules(changed), tmp_path / "other")
    shutil.copy(tmp_path / "other" / RULES_FILE, tmp_path / RULES_FILE)

    done = subprocess.run(
        [promtool, "test", "rules", str(tmp_path / RULES_TEST_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "MseAtLeast" in done.stdout + done.stderr


@pytest.mark.parametrize("rules", ["default", "custom"])
def test_amtool_accepts_the_alertmanager_config(tmp_path, rules):
    amtool = _tool("amtool")
    ruleset = load_rules(None) if rules == "default" else parse_rules(CUSTOM, source="custom")
    render_all(ruleset, tmp_path)

    out = _run(amtool, "check-config", tmp_path / ALERTMANAGER_FILE)
    assert "SUCCESS" in out and "1 inhibit rules" in out


def test_rendered_rules_say_what_prometheus_needs(tmp_path):
    render_all(parse_rules(CUSTOM, source="custom"), tmp_path)
    text = (tmp_path / RULES_FILE).read_text()
    alerts = {r["alert"]: r for r in yaml.safe_load(text)["groups"][0]["rules"]}

    assert alerts["MseAtLeast"]["expr"] == "lstm_mse >= 0.25"
    assert alerts["MseAtLeast"]["for"] == "1h"  # 3 evaluations, 30 minutes apart
    assert alerts["MseAtLeast"]["labels"] == {
        "team": "hot-end",
        "severity": "warning",
        "kind": "lstm",
    }
    assert "for" not in alerts["EceHigh"]
    assert alerts["RecallDown"]["expr"] == 'glass_alert_firing{alertname="RecallDown"} > 0'
    assert "no equivalent" in text and "glass_alert_firing" in text.split("groups:")[0]


def test_alertmanager_routes_groups_inhibits_and_holds_no_secret(tmp_path):
    render_all(parse_rules(CUSTOM, source="custom"), tmp_path)
    config = yaml.safe_load((tmp_path / ALERTMANAGER_FILE).read_text())
    routes = {r["receiver"]: r["matchers"] for r in config["route"]["routes"]}

    assert config["route"]["group_by"] == ["alertname", "model"]
    assert config["route"]["repeat_interval"] == "2h"
    assert routes == {
        "glass-metrics-email": ['alertname=~"MseAtLeast"'],
        "glass-metrics-slack": ['alertname=~"RecallAtMost"'],
        "glass-metrics-email-slack": ['alertname=~"RecallDown"'],
    }
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["model"],
        }
    ]
    assert config["global"]["slack_api_url_file"].startswith("/etc/alertmanager/secrets/")
    assert not {"slack_api_url", "smtp_auth_password"} & set(config["global"])


def test_go_number_prints_like_prometheus():
    assert [go_number(x) for x in (0.45, -0.5, 1.0, 0.0, 1e-05)] == [
        "0.45",
        "-0.5",
        "1",
        "0",
        "1e-05",
    ]
