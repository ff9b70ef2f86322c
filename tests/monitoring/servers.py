"""Real local servers for the notification tests: an SMTP server and a Slack stand-in."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SLACK_PATH = "/services/T0GLASS01/B0ALERTS1/s3cretWebhookToken42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@dataclass
class Credentials:
    """Accepts one username and password; records every attempt's result."""

    username: str
    password: str
    attempts: list[bool] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        self.attempts.append(ok)
        return AuthResult(success=ok, handled=False)


def smtp_server(
    *,
    credentials: Credentials | None = None,
    tls: ssl.SSLContext | None = None,
    port: int | None = None,
    implicit_tls: ssl.SSLContext | None = None,
) -> tuple[Controller, Mailbox]:
    """A started SMTP server on 127.0.0.1 (random port); stop it with ``.stop()``.

    ``tls`` offers STARTTLS (and requires it); ``implicit_tls`` speaks TLS from the start.
    """
    box = Mailbox()
    options: dict = {"ssl_context": implicit_tls} if implicit_tls is not None else {}
    if credentials is not None:
        # aiosmtpd's auth_require_tls means STARTTLS; an implicit-TLS session is refused.
        secure = tls is not None
        options.update(authenticator=credentials, auth_required=True, auth_require_tls=secure)
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    controller = Controller(box, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    return controller, box


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client
    context that trusts exactly that certificate."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


class SlackStandIn(ThreadingHTTPServer):
    """Answers like a Slack incoming webhook and checks what Slack checks.

    POST to the webhook's path with ``Content-Type: application/json`` and a JSON object
    with a non-empty ``text`` or ``blocks``: 200 ``ok``. An unknown service: 404
    ``no_service``; a known service with the wrong token: 403 ``invalid_token``; a bad
    body: 400 ``invalid_payload`` or ``no_text``. ``fail_next(k, status)`` makes the next
    ``k`` requests answer ``status`` (429 with ``Retry-After``, or 500).
    """

    def __init__(self, path: str = SLACK_PATH, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _SlackHandler)
        self.path = path
        self.accepted: list[dict] = []
        self.requests = 0
        self.failures: list[tuple[int, dict[str, str], str]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.path}"

    def fail_next(self, count: int, status: int, retry_after: int = 1) -> None:
        with self.lock:
            for _ in range(count):
                if status == 429:
                    self.failures.append((429, {"Retry-After": str(retry_after)}, "rate_limited"))
                else:
                    self.failures.append((status, {}, "rollup_error"))

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def answer(self, method: str, path: str, headers, body: bytes):
        with self.lock:
            self.requests += 1
            if self.failures:
                return self.failures.pop(0)
        if method != "POST":
            return 405, {}, "invalid_method"
        service, _, token = path.rpartition("/")
        if service != self.path.rpartition("/")[0]:
            return 404, {}, "no_service"
        if token != self.path.rpartition("/")[2]:
            return 403, {}, "invalid_token"
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 400, {}, "invalid_payload"
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {}, "invalid_payload"
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return 400, {}, "no_text"
        with self.lock:
            self.accepted.append(payload)
        return 200, {}, "ok"


class _SlackHandler(BaseHTTPRequestHandler):
    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, headers, text = self.server.answer(self.command, self.path, self.headers, body)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = _handle

    def log_message(self, format, *args) -> None:
        """Quiet: the tests read the server's records instead."""
