"""Notifications against real local servers: SMTP (aiosmtpd) and a Slack stand-in."""

from __future__ import annotations

import json
import logging
import time

import pytest

from glass_metrics.errors import ConfigError
from glass_metrics.monitoring.alerts import AlertTracker
from glass_metrics.monitoring.notify import (
    DeliveryError,
    EmailChannel,
    Notifier,
    Secret,
    SlackChannel,
    read_secret,
)
from glass_metrics.monitoring.rules import EmailConfig, load_rules, parse_rules

from .results import result
from .servers import SLACK_PATH, Credentials, SlackStandIn, free_port, self_signed, smtp_server

PASSWORD = "pw-Glass-7f3a9c"
RULES = {
    "rules": [
        {
            "name": "LstmMseHigh",
            "model": "lstm",
            "metric": "lstm_mse",
            "comparison": ">",
            "threshold": 0.3,
            "severity": "critical",
            "annotations": {"summary": "MSE {{ $value }} above 0.3"},
            "actions": ["email", "slack"],
        }
    ],
}


@pytest.fixture
def events(tmp_path):
    """A firing and a resolved event of the rule ``LstmMseHigh``."""
    tracker = AlertTracker(tmp_path / "alerts", parse_rules(RULES))
    (firing,) = tracker.observe(result("lstm", 1, mse=0.45))
    (resolved,) = tracker.observe(result("lstm", 2, mse=0.12))
    return firing, resolved


@pytest.fixture
def slack():
    server = SlackStandIn()
    yield server
    server.stop()


def _email_config(port: int, **changes) -> EmailConfig:
    options = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "sender": "glass@plant.test",
        "to": ("ops@plant.test", "qa@plant.test"),
        "timeout": 5.0,
    }
    options.update(changes)
    return EmailConfig(**options)


def _notifier(tmp_path, channels, **options) -> Notifier:
    return Notifier(tmp_path / "outbox", channels, backoff=0.01, max_backoff=0.05, **options)


def _outbox_text(tmp_path) -> str:
    return "".join(p.read_text() for p in (tmp_path / "outbox").rglob("*.json"))


def test_email_says_which_model_metric_value_threshold_and_since(tmp_path, events):
    controller, box = smtp_server()
    try:
        notifier = _notifier(tmp_path, {"email": EmailChannel(_email_config(controller.port))})
        notifier.send(events)
        report = notifier.flush()
    finally:
        controller.stop()

    assert report.delivered == 2 and report.pending == 0
    firing, resolved = box.messages
    assert firing["Subject"] == (
        "[CRITICAL] FIRING: LstmMseHigh on glass-defect-lstm (lstm_mse = 0.45)"
    )
    assert resolved["Subject"].strip().startswith("[CRITICAL] RESOLVED: LstmMseHigh")
    body = firing.get_content()
    assert "MSE 0.45 above 0.3" in body
    assert "glass-defect-lstm version 1" in body
    assert "lstm_mse = 0.45 (95% CI 0.44 to 0.46, n=2000)" in body
    assert "Condition:  lstm_mse > 0.3" in body
    assert f"Since:      {events[0].since}" in body
    assert box.envelopes[0] == ("glass@plant.test", ["ops@plant.test", "qa@plant.test"])


def test_email_logs_in_over_starttls(tmp_path, events):
    server_tls, client_tls = self_signed(tmp_path)
    credentials = Credentials("glass", PASSWORD)
    controller, box = smtp_server(credentials=credentials, tls=server_tls)
    config = _email_config(controller.port, starttls=True, username="glass")
    try:
        channel = EmailChannel(config, Secret(PASSWORD), ssl_context=client_tls)
        channel.deliver(events[0])
    finally:
        controller.stop()

    assert credentials.attempts == [True] and len(box.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_over_implicit_tls(tmp_path, events):
    server_tls, client_tls = self_signed(tmp_path)
    credentials = Credentials("glass", PASSWORD)
    controller, box = smtp_server(credentials=credentials, implicit_tls=server_tls)
    config = _email_config(controller.port, ssl=True, username="glass")
    try:
        EmailChannel(config, Secret(PASSWORD), ssl_context=client_tls).deliver(events[1])
    finally:
        controller.stop()

    assert credentials.attempts == [True]
    assert box.messages[0]["Subject"].strip().startswith("[CRITICAL] RESOLVED")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_password_from_a_file_and_never_shown(tmp_path, events, caplog):
    caplog.set_level(logging.DEBUG)
    credentials = Credentials("glass", PASSWORD)
    controller, box = smtp_server(credentials=credentials)
    secret_file = tmp_path / "smtp_password"
    secret_file.write_text(PASSWORD + "\n")
    email = {
        "host": "127.0.0.1",
        "port": controller.port,
        "starttls": False,
        "username": "glass",
        "from": "glass@plant.test",
        "to": ["ops@plant.test"],
    }
    good = parse_rules({**RULES, "notifications": {"email": email}})
    wrong_env = {"GLASS_METRICS_SMTP_PASSWORD": "not-" + PASSWORD}
    try:
        bad = Notifier.from_rules(good, tmp_path / "outbox", env=wrong_env, backoff=0.01)
        bad.send(events[:1])
        assert bad.flush().pending == 1
        env = {"GLASS_METRICS_SMTP_PASSWORD_FILE": str(secret_file)}
        fixed = Notifier.from_rules(good, tmp_path / "outbox", env=env, backoff=0.01)
        assert fixed.flush(max_wait=2).delivered == 1
    finally:
        controller.stop()

    # smtplib tries each offered mechanism (PLAIN, LOGIN) before giving up.
    assert credentials.attempts[-1] and credentials.attempts.count(True) == 1
    assert len(box.messages) == 1
    assert "SMTPAuthenticationError" in caplog.text
    for text in (caplog.text, _outbox_text(tmp_path), repr(fixed.channels)):
        assert PASSWORD not in text


def test_login_without_a_password_is_a_config_error(tmp_path):
    email = {"host": "h", "username": "glass", "from": "a@b", "to": ["c@d"]}
    rules = parse_rules({**RULES, "notifications": {"email": email}})

    with pytest.raises(ConfigError, match="GLASS_METRICS_SMTP_PASSWORD or GLASS_METRICS_SMTP"):
        Notifier.from_rules(rules, tmp_path / "outbox", env={})


def test_slack_gets_text_and_blocks(tmp_path, events, slack):
    channel = SlackChannel(Secret(slack.url))
    notifier = _notifier(tmp_path, {"slack": channel})
    notifier.send(events)

    assert notifier.flush().delivered == 2
    firing = slack.accepted[0]
    assert firing["text"].startswith("[FIRING] LstmMseHigh glass-defect-lstm: lstm_mse = 0.45")
    fields = " ".join(f["text"] for f in firing["blocks"][1]["fields"])
    assert "0.45 (95% CI 0.44 to 0.46, n=2000)" in fields and events[0].since in fields
    assert slack.accepted[1]["text"].startswith("[RESOLVED]")


def test_slack_429_waits_for_retry_after(tmp_path, events, slack):
    slack.fail_next(1, 429, retry_after=1)
    notifier = _notifier(tmp_path, {"slack": SlackChannel(Secret(slack.url))})
    notifier.send(events[:1])
    started = time.monotonic()

    report = notifier.flush(max_wait=5)

    assert report.delivered == 1 and time.monotonic() - started >= 1.0
    assert slack.requests == 2 and len(slack.accepted) == 1


def test_slack_500_is_retried_with_backoff(tmp_path, events, slack, caplog):
    slack.fail_next(3, 500)
    notifier = _notifier(tmp_path, {"slack": SlackChannel(Secret(slack.url))})
    notifier.send(events[:1])

    assert notifier.flush(max_wait=5).delivered == 1
    (sent,) = (tmp_path / "outbox" / "sent").glob("*.json")
    assert json.loads(sent.read_text())["attempts"] == 4
    assert caplog.text.count("HTTP 500 'rollup_error'") == 3


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        (SLACK_PATH.rsplit("/", 1)[0] + "/wrongToken", "HTTP 403 'invalid_token'"),
        ("/services/T0OTHER/B0OTHER/s3cretWebhookToken42", "HTTP 404 'no_service'"),
    ],
)
def test_slack_rejections_never_show_the_url(tmp_path, events, slack, caplog, path, answer):
    url = slack.url.replace(SLACK_PATH, path)
    channel = SlackChannel(Secret(url))
    notifier = _notifier(tmp_path, {"slack": channel})
    notifier.send(events[:1])

    with pytest.raises(DeliveryError) as err:
        channel.deliver(events[0])
    assert notifier.flush().pending == 1

    assert answer in str(err.value)
    for text in (str(err.value), caplog.text, _outbox_text(tmp_path), repr(channel)):
        assert "s3cretWebhookToken42" not in text and "wrongToken" not in text


def test_exactly_once_when_slack_comes_back_after_a_restart(tmp_path, events):
    port = free_port()
    url = f"http://127.0.0.1:{port}{SLACK_PATH}"
    env = {"GLASS_METRICS_SLACK_WEBHOOK_URL": url}
    rules = parse_rules({**RULES, "notifications": {"slack": {"channel": "#glass"}}})
    down = Notifier.from_rules(rules, tmp_path / "outbox", env=env, backoff=0.01)
    down.send(events)

    assert down.flush(max_wait=0.1) == down.flush() and len(down.pending()) == 2

    server = SlackStandIn(port=port)
    try:
        restarted = Notifier.from_rules(rules, tmp_path / "outbox", env=env, backoff=0.01)
        restarted.send(events)  # the monitor re-sends after its restart: not queued twice
        assert restarted.flush(max_wait=2).delivered == 2
        assert restarted.flush().delivered == 0 and restarted.send(events) == []
    finally:
        server.stop()

    assert [p["text"].split("]")[0] for p in server.accepted] == ["[FIRING", "[RESOLVED"]
    assert all(p["channel"] == "#glass" for p in server.accepted)


def test_exactly_once_when_smtp_comes_back(tmp_path, events):
    port = free_port()
    config = _email_config(port)
    _notifier(tmp_path, {"email": EmailChannel(config)}).send(events[:1])
    assert _notifier(tmp_path, {"email": EmailChannel(config)}).flush().pending == 1

    controller, box = smtp_server(port=port)
    try:
        again = _notifier(tmp_path, {"email": EmailChannel(config)})
        assert again.flush(max_wait=2).delivered == 1 and again.flush().delivered == 0
    finally:
        controller.stop()

    assert len(box.messages) == 1


def test_without_channels_notifications_go_to_outbox_and_log(tmp_path, events, caplog):
    caplog.set_level(logging.INFO)
    notifier = Notifier.from_rules(load_rules(None), tmp_path / "outbox", env={})
    notifier.send(events)

    assert notifier.flush().delivered == 2
    assert len(list((tmp_path / "outbox" / "sent").glob("*.log.json"))) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("notification [FIRING] LstmMseHigh" in w for w in warnings)


def test_slack_enabled_without_a_url_says_which_variables(tmp_path):
    rules = parse_rules({**RULES, "notifications": {"slack": {}}})

    with pytest.raises(ConfigError, match="GLASS_METRICS_SLACK_WEBHOOK_URL nor GLASS_METR"):
        Notifier.from_rules(rules, tmp_path / "outbox", env={})


def test_secrets_come_from_env_or_file_and_hide_themselves(tmp_path):
    (tmp_path / "url").write_text("https://hooks.example/services/x\n")

    assert read_secret("S", {"S": "v"}).reveal() == "v"
    assert read_secret("S", {"S_FILE": str(tmp_path / "url")}).reveal().endswith("/x")
    assert read_secret("S", {}) is None
    assert repr(Secret("v")) == "Secret('********')" and str(Secret("v")) == repr(Secret("v"))
    with pytest.raises(ConfigError, match="S_FILE: cannot read"):
        read_secret("S", {"S_FILE": str(tmp_path / "missing")})


class _Flaky:
    """A channel that fails its first ``failures`` deliveries, then records the rest."""

    name = "slack"

    def __init__(self, failures: int) -> None:
        self.failures, self.delivered = failures, []

    def deliver(self, event) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("down for a moment")
        self.delivered.append(event.status)


def test_resolved_never_overtakes_firing_on_a_channel(tmp_path, events):
    channel = _Flaky(failures=2)
    notifier = _notifier(tmp_path, {"slack": channel})
    notifier.send(events)

    assert notifier.flush(max_wait=2).delivered == 2
    assert channel.delivered == ["firing", "resolved"]
