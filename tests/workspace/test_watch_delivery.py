"""Delivery of alerts on loopback: a signed webhook (retry with backoff, timeout, failures recorded, never
blocking the scan) and e-mail through an SMTP sink (aiosmtpd); secrets never in logs, messages, JSON or audit."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from test_watch_ws import fake_alert

WEBHOOK_SECRET = "whsec-7f3a9c1e5b2d8f40"
SMTP_PASSWORD = "smtp-pw-4c8e1a9f2b"


class Receiver:
    """A loopback webhook receiver: answers the statuses queued (200 after), records what came."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.hold = threading.Event()
        self.hold.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hold.wait(10)
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/allychain"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def sink() -> Iterator[Any]:
    """An SMTP server on loopback that accepts mail after AUTH with the test password."""
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    got: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
            got.append(envelope)
            return "250 OK"

    def auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"watch" and data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)   # the server answers 535 itself on failure

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctrl = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False)
    ctrl.start()
    yield SimpleNamespace(port=port, messages=got)
    ctrl.stop()


def _cfg(**kw: Any) -> Any:
    from allychain.workspace.delivery import DeliveryConfig

    base = {"webhook_secret": WEBHOOK_SECRET, "timeout": 2.0, "retries": 3, "backoff": 0.01, "min_severity": "medium"}
    return DeliveryConfig(**{**base, **kw})


def _stored(store: Any, people: dict[str, Any], *alerts: dict[str, Any]) -> list[dict[str, Any]]:
    from allychain.workspace import watch

    return watch.store_alerts(store, people["p"]["analyst_samsung"], list(alerts))["changed"]


def test_webhook_signed_retried_with_backoff_and_recorded(store: Any, people: dict[str, Any],
                                                          receiver: Receiver) -> None:
    from allychain.workspace import watch
    from allychain.workspace.delivery import deliver

    alerts = _stored(store, people, fake_alert("h1"), fake_alert("h2"), fake_alert("l1", severity="low"))
    receiver.statuses = [503, 500, 200, 404]          # h1: two failures then delivered; h2: 404, not retried
    slept: list[float] = []
    out = deliver(store, _cfg(webhook_url=receiver.url, backoff=0.5), alerts, sleep=slept.append)
    assert [(r["alert_id"], r["status"], r["attempts"]) for r in out] == [("h1", "delivered", 3), ("h2", "failed", 1)]
    assert slept == [0.5, 1.0]                        # exponential backoff between the attempts
    host = receiver.url.split("/hooks")[0]
    target = f"{host}/… (sha256 {hashlib.sha256(receiver.url.encode()).hexdigest()[:8]})"
    assert out[1]["error"] == "HTTP 404 (not retried)" and out[0]["target"] == target   # no path: it may hold a token
    headers, body = receiver.got[2]
    want = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-allychain-signature"], want)        # the receiver can verify it
    doc = json.loads(body)
    assert doc["alert"]["alert_id"] == "h1" and doc["alert"]["members_exposed"] == ["KOR"]
    assert len(receiver.got) == 4                     # the low alert is below the floor: not sent
    got = watch.get_alert(store, people["p"]["observer_asml"], "h2")
    assert got["deliveries"] == [{"channel": "webhook", "target": target, "at": got["deliveries"][0]["at"],
                                  "attempts": 1, "status": "failed", "error": "HTTP 404 (not retried)"}]


def test_unreachable_and_slow_receivers_fail_recorded_and_never_block(tmp_path: Any, receiver: Receiver,
                                                                     ws_tools: Any) -> None:
    from allychain.store import open_store
    from allychain.workspace import watch
    from allychain.workspace.delivery import deliver, deliver_async

    store = open_store(f"sqlite:///{tmp_path / 'd.db'}", migrate=True)
    people = ws_tools.make_people(store)
    alerts = _stored(store, people, fake_alert("s1"))
    with socket.socket() as s:                        # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/x"
    out = deliver(store, _cfg(webhook_url=closed, retries=2), alerts)
    assert out[0]["status"] == "failed" and out[0]["attempts"] == 2 and "refused" in out[0]["error"].lower()

    receiver.hold.clear()                             # the receiver hangs: the caller goes on at once
    t0 = time.perf_counter()
    th = deliver_async(store, _cfg(webhook_url=receiver.url, timeout=0.3, retries=2), alerts)
    assert time.perf_counter() - t0 < 0.2 and th.is_alive()
    th.join(10)
    assert not th.is_alive()
    last = watch.get_alert(store, people["p"]["steward"], "s1")["deliveries"][-1]
    assert last["status"] == "failed" and last["attempts"] == 2 and "timed out" in last["error"]
    store.dispose()


def test_email_through_smtp_sink_and_no_secret_anywhere(store: Any, people: dict[str, Any], receiver: Receiver,
                                                        sink: Any, caplog: pytest.LogCaptureFixture) -> None:
    from allychain.workspace import audit, watch
    from allychain.workspace.delivery import DeliveryConfig, deliver

    caplog.set_level(logging.DEBUG)
    alerts = _stored(store, people, fake_alert("m1"))
    env = {"ALLYCHAIN_SMTP_HOST": "127.0.0.1", "ALLYCHAIN_SMTP_PORT": str(sink.port), "ALLYCHAIN_SMTP_USER": "watch",
           "ALLYCHAIN_SMTP_PASSWORD": SMTP_PASSWORD, "ALLYCHAIN_SMTP_FROM": "watch@alliance.example",
           "ALLYCHAIN_SMTP_TO": "desk@kor.example, desk@nld.example", "ALLYCHAIN_WATCH_WEBHOOK_URL": receiver.url,
           "ALLYCHAIN_WATCH_WEBHOOK_SECRET": WEBHOOK_SECRET, "ALLYCHAIN_WATCH_BACKOFF": "0.01"}
    cfg = DeliveryConfig.from_env(env)
    receiver.statuses = [500, 500, 500]               # the webhook fails three times: recorded
    out = deliver(store, cfg, alerts)
    assert [(r["channel"], r["status"]) for r in out] == [("webhook", "failed"), ("email", "delivered")]
    (mail,) = sink.messages
    assert mail.mail_from == "watch@alliance.example" and mail.rcpt_tos == ["desk@kor.example", "desk@nld.example"]
    text = mail.content.decode()
    assert "[allychain watch] HIGH: level_shift" in text and "hydrogen-fluoride" in text and "KOR" in text
    assert "Coverage: a bilateral series" in text      # what the alert does not assess is said in the mail
    bad = deliver(store, DeliveryConfig.from_env({**env, "ALLYCHAIN_SMTP_PASSWORD": SMTP_PASSWORD + "-wrong",
                                                   "ALLYCHAIN_WATCH_WEBHOOK_URL": ""}), alerts)
    assert bad[0]["status"] == "failed" and bad[0]["attempts"] == 1 and "login refused" in bad[0]["error"]

    seen = [caplog.text, repr(cfg), text, json.dumps(out + bad)]
    seen += [body.decode() for _, body in receiver.got] + [json.dumps(h) for h, _ in receiver.got]
    seen += [json.dumps(list(audit.export(store)))]
    seen += [json.dumps(watch.get_alert(store, people["p"]["steward"], "m1"))]
    seen += [json.dumps(watch.feed(store, people["p"]["steward"]))]
    for secret in (WEBHOOK_SECRET, SMTP_PASSWORD):
        assert not [s for s in seen if secret in s]
    assert not [s for s in seen[:1] + seen[3:4] + seen[-3:] if "/hooks/allychain" in s]   # nor the receiver's path
    assert "not delivered by webhook" in caplog.text      # the failure is logged, without the secret


def test_bad_configuration_is_a_clear_error() -> None:
    from allychain.errors import AllychainError
    from allychain.workspace.delivery import DeliveryConfig

    with pytest.raises(AllychainError, match="ALLYCHAIN_WATCH_MIN_SEVERITY='urgent'"):
        DeliveryConfig.from_env({"ALLYCHAIN_WATCH_MIN_SEVERITY": "urgent"})
    with pytest.raises(AllychainError, match="expected an http"):
        DeliveryConfig.from_env({"ALLYCHAIN_WATCH_WEBHOOK_URL": "file:///etc/passwd"})
    with pytest.raises(AllychainError, match="ALLYCHAIN_SMTP_PORT"):
        DeliveryConfig.from_env({"ALLYCHAIN_SMTP_PORT": "twenty-five"})
    assert DeliveryConfig.from_env({}).channels == []


def test_failed_deliveries_sent_again_by_the_cli(tmp_path: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], ws_tools: Any) -> None:
    import sys

    from allychain.cli.main import main
    from allychain.store import open_store
    from allychain.workspace import watch
    from allychain.workspace.delivery import deliver

    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = open_store(url, migrate=True)
    people = ws_tools.make_people(store)
    alerts = _stored(store, people, fake_alert("r1"), fake_alert("r2"))
    receiver.statuses = [200, 500, 500]               # r1 delivered; r2 fails twice
    deliver(store, _cfg(webhook_url=receiver.url, retries=2), alerts)
    failed = watch.failed_deliveries(store, people["p"]["steward"])
    assert [a["alert_id"] for a in failed["webhook"]] == ["r2"]
    for k, v in {"ALLYCHAIN_TOKEN": people["tokens"]["steward"], "ALLYCHAIN_WATCH_WEBHOOK_URL": receiver.url,
                 "ALLYCHAIN_WATCH_WEBHOOK_SECRET": WEBHOOK_SECRET, "ALLYCHAIN_WATCH_BACKOFF": "0"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("ALLYCHAIN_SMTP_HOST", raising=False)

    def run() -> tuple[int, list[dict[str, Any]], str]:
        monkeypatch.setattr(sys, "argv", ["allychain", "watch", "deliver", "--db", url])
        with pytest.raises(SystemExit) as exc:
            main()
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), json.loads(out), err

    rc, out, err = run()
    assert rc == 0 and [(r["alert_id"], r["status"]) for r in out] == [("r2", "delivered")], err
    assert [json.loads(b)["alert"]["alert_id"] for _, b in receiver.got] == ["r1", "r2", "r2", "r2"]
    rc, out, _ = run()                                # nothing failed any more: nothing sent
    assert rc == 0 and out == [] and len(receiver.got) == 4
    store.dispose()
