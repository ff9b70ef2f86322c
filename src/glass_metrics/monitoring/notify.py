"""Notifications: a durable outbox in front of email (SMTP), Slack webhooks and the log.

:meth:`Notifier.send` writes one JSON file per (event, channel) into the outbox folder,
atomically, before anything is sent; :meth:`Notifier.flush` delivers what is due and moves
each delivered file to ``outbox/sent/``. A failed delivery stays in the outbox with its
attempt count and the time of its next attempt, which doubles each time (``backoff``,
``2 * backoff``, ... up to ``max_backoff`` seconds) or follows Slack's ``Retry-After``.
Nothing is dropped: an alert raised while a channel is down is delivered once the channel
is back, also by a new process after a restart. Event ids already in the outbox (pending
or sent) are not queued twice. Delivery is exactly once except when the process dies
between the server accepting a message and the file's move to ``sent/``, which repeats it.

Channels: ``email`` and ``slack`` when enabled in the rules file's ``notifications``
section and named in a rule's ``actions``; otherwise ``log``, which writes the message to
the log (WARNING for firing, INFO for resolved) and keeps its file in ``outbox/sent/``.
That is the default: the packaged rules enable no channel.

Secrets come from the environment, never from the rules file or the command line:
``GLASS_METRICS_SMTP_PASSWORD`` or a file named by ``GLASS_METRICS_SMTP_PASSWORD_FILE``;
``GLASS_METRICS_SLACK_WEBHOOK_URL`` or ``GLASS_METRICS_SLACK_WEBHOOK_URL_FILE``. They are
held in :class:`Secret`, whose ``repr`` hides them, and never written to logs, error
messages or outbox files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from glass_metrics.errors import ConfigError
from glass_metrics.fsutil import atomic_write_text, exclusive_lock
from glass_metrics.monitoring.alerts import AlertEvent
from glass_metrics.monitoring.rules import EmailConfig, RuleSet, SlackConfig

log = logging.getLogger(__name__)

ENV_SMTP_PASSWORD = "GLASS_METRICS_SMTP_PASSWORD"
ENV_SLACK_WEBHOOK_URL = "GLASS_METRICS_SLACK_WEBHOOK_URL"


class Secret:
    """A string that does not show itself: ``repr`` and ``str`` give ``'********'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


def read_secret(name: str, env: Mapping[str, str] | None = None) -> Secret | None:
    """The secret in environment variable ``name``, or in the file named by ``name_FILE``.

    Returns None when neither is set; a file that cannot be read is a ConfigError naming
    the variable and the path (never the content).
    """
    env = os.environ if env is None else env
    if env.get(name):
        return Secret(env[name])
    path = env.get(f"{name}_FILE")
    if not path:
        return None
    try:
        value = Path(path).read_text("utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise ConfigError(f"{name}_FILE: {path} is empty")
    return Secret(value)


class DeliveryError(Exception):
    """A channel could not deliver; ``retry_after`` is the server's requested wait, if any.

    The message never contains a secret.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Channel(Protocol):
    """Something that delivers one event or raises :class:`DeliveryError`."""

    name: str

    def deliver(self, event: AlertEvent) -> None: ...


class LogChannel:
    """Writes the notification to the log: WARNING when firing, INFO when resolved."""

    name = "log"

    def deliver(self, event: AlertEvent) -> None:
        level = logging.WARNING if event.status == "firing" else logging.INFO
        log.log(
            level, "notification %s | %s | since %s", event.headline(), event.condition, event.since
        )


class EmailChannel:
    """Sends a plain-text email over SMTP: STARTTLS (default), implicit TLS or plain, and
    an optional login."""

    name = "email"

    def __init__(
        self,
        config: EmailConfig,
        password: Secret | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if config.username and password is None:
            raise ConfigError(
                f"email: username {config.username!r} is set but no password: set "
                f"{ENV_SMTP_PASSWORD} or {ENV_SMTP_PASSWORD}_FILE"
            )
        self.config = config
        self._password = password
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        c = self.config
        return f"EmailChannel(host={c.host!r}, port={c.port}, to={list(c.to)!r})"

    def deliver(self, event: AlertEvent) -> None:
        """Send ``event`` to every recipient; SMTP and network failures are DeliveryError."""
        c = self.config
        context = self._ssl_context or ssl.create_default_context()
        try:
            with _connect(c, context) as smtp:
                if c.starttls and not c.ssl:
                    smtp.starttls(context=context)
                if c.username and self._password is not None:
                    smtp.login(c.username, self._password.reveal())
                smtp.send_message(email_message(event, c))
        except (smtplib.SMTPException, OSError) as exc:
            reason = _without(str(exc), self._password)
            raise DeliveryError(f"SMTP {c.host}:{c.port}: {type(exc).__name__}: {reason}") from None


def _connect(config: EmailConfig, context: ssl.SSLContext) -> smtplib.SMTP:
    if config.ssl:
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def email_message(event: AlertEvent, config: EmailConfig) -> EmailMessage:
    """The email for ``event``: subject with status, rule, model and figure; body in full."""
    msg = EmailMessage()
    msg["Subject"] = (
        f"[{event.severity.upper()}] {event.status.upper()}: {event.rule} on {event.model}"
        f" ({event.metric} = {_fmt(event.value)})"
    )
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg["X-Glass-Metrics-Event"] = event.event_id
    msg.set_content(event.body())
    return msg


class SlackChannel:
    """Posts to a Slack incoming webhook; honours 429 ``Retry-After``."""

    name = "slack"

    def __init__(self, url: Secret, config: SlackConfig | None = None) -> None:
        self._url = url
        self.config = config or SlackConfig()

    def __repr__(self) -> str:
        return f"SlackChannel(url=<redacted>, channel={self.config.channel!r})"

    def deliver(self, event: AlertEvent) -> None:
        """Post ``event``; anything but HTTP 200 is a DeliveryError (no URL in its message)."""
        body = json.dumps(slack_payload(event, self.config.channel)).encode("utf-8")
        request = urllib.request.Request(
            self._url.reveal(),
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"Slack webhook unreachable: {self._clean(str(reason))}") from None

    def _http_error(self, exc: urllib.error.HTTPError) -> DeliveryError:
        text = self._clean(exc.read(200).decode("utf-8", "replace").strip())
        retry_after = None
        if exc.code == 429:
            with contextlib.suppress(TypeError, ValueError):
                retry_after = float(exc.headers.get("Retry-After", "1"))
        return DeliveryError(f"Slack webhook answered HTTP {exc.code} {text!r}", retry_after)

    def _clean(self, text: str) -> str:
        url = self._url.reveal()
        text = text.replace(url, "<webhook>")
        path = url.split("/services/", 1)[-1]
        return text.replace(path, "<redacted>") if len(path) > 8 else text


def slack_payload(event: AlertEvent, channel: str | None = None) -> dict[str, Any]:
    """Slack message JSON: a fallback ``text`` and ``blocks`` with the figure and condition."""
    emoji = ":rotating_light:" if event.status == "firing" else ":white_check_mark:"
    fields = [
        ("Model", f"{event.model} v{event.model_version}"),
        ("Metric", f"{event.metric} = {event.figure}"),
        ("Severity", event.severity),
        ("Since", event.since),
    ]
    payload: dict[str, Any] = {
        "text": f"{event.headline()}: {event.condition}",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{emoji} *{event.headline()}*"},
            },
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": (event.summary or event.condition)[:2900]},
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Condition: {event.condition}"[:2900]}],
            },
        ],
    }
    if channel:
        payload["channel"] = channel
    return payload


@dataclass(frozen=True)
class FlushReport:
    """What one :meth:`Notifier.flush` did: files delivered, and files still waiting."""

    delivered: int
    pending: int


class Notifier:
    """Queues events in the outbox and delivers them through the channels, with retries.

    ``channels`` maps a channel name (``email``, ``slack``) to its channel; ``log`` is
    always available. ``backoff`` and ``max_backoff`` are seconds.
    """

    def __init__(
        self,
        outbox: Path,
        channels: Mapping[str, Channel] | None = None,
        *,
        backoff: float = 5.0,
        max_backoff: float = 900.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.outbox = Path(outbox)
        self.channels: dict[str, Channel] = {"log": LogChannel(), **(channels or {})}
        self.backoff, self.max_backoff = backoff, max_backoff
        self._clock, self._sleep = clock, sleep
        self._order = 0

    @classmethod
    def from_rules(
        cls, rules: RuleSet, outbox: Path, *, env: Mapping[str, str] | None = None, **options: Any
    ) -> Notifier:
        """Channels from the rules file's ``notifications`` section and the environment."""
        channels: dict[str, Channel] = {}
        if rules.email is not None and rules.email.enabled:
            channels["email"] = EmailChannel(rules.email, read_secret(ENV_SMTP_PASSWORD, env))
        if rules.slack is not None and rules.slack.enabled:
            url = read_secret(ENV_SLACK_WEBHOOK_URL, env)
            if url is None:
                raise ConfigError(
                    f"{rules.source}: notifications > slack is enabled but neither "
                    f"{ENV_SLACK_WEBHOOK_URL} nor {ENV_SLACK_WEBHOOK_URL}_FILE is set"
                )
            channels["slack"] = SlackChannel(url, rules.slack)
        return cls(outbox, channels, **options)

    @property
    def sent_dir(self) -> Path:
        return self.outbox / "sent"

    def routes(self, event: AlertEvent) -> list[str]:
        """The channels ``event`` goes to: its actions that are configured, else ``log``."""
        return [a for a in event.actions if a in self.channels and a != "log"] or ["log"]

    def send(self, events: Iterable[AlertEvent]) -> list[Path]:
        """Queue each event for each of its channels; return the new outbox files."""
        queued = []
        for event in events:
            for channel in self.routes(event):
                name = f"{event.event_id}.{channel}.json"
                if (self.outbox / name).exists() or (self.sent_dir / name).exists():
                    continue
                self._order = max(self._order + 1, time.time_ns())
                entry = {
                    "channel": channel,
                    "event": event.to_dict(),
                    "order": self._order,
                    "attempts": 0,
                    "next_attempt": self._clock(),
                    "queued_at": _now(),
                    "last_error": None,
                }
                atomic_write_text(self.outbox / name, json.dumps(entry, indent=1))
                queued.append(self.outbox / name)
        return queued

    def pending(self) -> list[Path]:
        """Outbox files not yet delivered, in the order they were queued."""
        return [path for path, _ in self._waiting()]

    def _waiting(self) -> list[tuple[Path, dict[str, Any]]]:
        if not self.outbox.is_dir():
            return []
        files = [p for p in self.outbox.glob("*.json") if not (self.sent_dir / p.name).exists()]
        entries = [(p, json.loads(p.read_text("utf-8"))) for p in files]
        return sorted(entries, key=lambda pe: (pe[1].get("order", 0), pe[0].name))

    def flush(self, *, max_wait: float = 0.0) -> FlushReport:
        """Deliver every due outbox file; keep retrying for up to ``max_wait`` seconds.

        Each channel delivers in queue order: while an earlier message waits for a retry,
        later ones on the same channel wait too, so "resolved" never overtakes "firing".
        """
        deadline = self._clock() + max_wait
        delivered = 0
        with exclusive_lock(self.outbox / ".outbox.lock"):
            while True:
                delivered += self._pass()
                left = self._waiting()
                if not left:
                    return FlushReport(delivered, 0)
                heads: dict[str, float] = {}
                for _, entry in left:
                    heads.setdefault(entry["channel"], entry["next_attempt"])
                wake = min(heads.values())
                if wake > deadline:
                    return FlushReport(delivered, len(left))
                self._sleep(max(0.0, wake - self._clock()))

    def _pass(self) -> int:
        """One pass over the outbox in queue order; returns how many were delivered."""
        delivered, blocked = 0, set()
        for path, entry in self._waiting():
            channel = entry["channel"]
            if channel in blocked:
                continue
            if entry["next_attempt"] > self._clock() or not self._attempt(path, entry):
                blocked.add(channel)
            else:
                delivered += 1
        return delivered

    def _attempt(self, path: Path, entry: dict[str, Any]) -> bool:
        event = AlertEvent.from_dict(entry["event"])
        channel = self.channels.get(entry["channel"])
        try:
            if channel is None:
                raise DeliveryError(f"channel {entry['channel']!r} is not configured now")
            channel.deliver(event)
        except DeliveryError as exc:
            self._reschedule(path, entry, exc)
            return False

        entry.update(delivered_at=_now(), attempts=entry["attempts"] + 1)
        atomic_write_text(self.sent_dir / path.name, json.dumps(entry, indent=1))
        path.unlink(missing_ok=True)
        log.info("delivered %s by %s", event.headline(), entry["channel"])
        return True

    def _reschedule(self, path: Path, entry: dict[str, Any], exc: DeliveryError) -> None:
        attempts = entry["attempts"] + 1
        delay = min(self.max_backoff, self.backoff * 2 ** (attempts - 1))
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        entry.update(attempts=attempts, next_attempt=self._clock() + delay, last_error=str(exc))
        atomic_write_text(path, json.dumps(entry, indent=1))
        log.warning(
            "%s delivery of %s failed (attempt %d): %s; next try in %.3g s",
            entry["channel"],
            entry["event"]["event_id"],
            attempts,
            exc,
            delay,
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else "n/a"


def _without(text: str, secret: Secret | None) -> str:
    return text.replace(secret.reveal(), "********") if secret and secret.reveal() else text
