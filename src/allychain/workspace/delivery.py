"""Delivery of watch alerts: a signed webhook and e-mail through a configured SMTP server.

Configuration comes from the environment (never the command line, so secrets stay out of
shell history), read by :meth:`DeliveryConfig.from_env`:

==================================  ==========================================================
``ALLYCHAIN_WATCH_WEBHOOK_URL``     where alerts are POSTed (http or https)
``ALLYCHAIN_WATCH_WEBHOOK_SECRET``  HMAC-SHA256 key; the body's signature is sent as
                                    ``X-Allychain-Signature: sha256=<hex>``
``ALLYCHAIN_SMTP_HOST`` / ``_PORT``  the SMTP server (port 25 by default; 465 = implicit TLS)
``ALLYCHAIN_SMTP_USER`` / ``_PASSWORD``  login, when the server needs one
``ALLYCHAIN_SMTP_STARTTLS``         ``1`` to upgrade the connection with STARTTLS
``ALLYCHAIN_SMTP_FROM`` / ``_TO``   sender; recipients (comma-separated)
``ALLYCHAIN_WATCH_MIN_SEVERITY``    ``low``, ``medium`` (default) or ``high``
``ALLYCHAIN_WATCH_TIMEOUT``         seconds per attempt (default 10)
``ALLYCHAIN_WATCH_RETRIES``         attempts per alert and channel (default 3)
``ALLYCHAIN_WATCH_BACKOFF``         seconds before the 2nd attempt, doubled each time (default 1)
==================================  ==========================================================

:func:`deliver_async` runs in a background thread and returns at once, so a scan never
waits for a slow or unreachable receiver; each alert's outcome per channel (attempts,
``delivered`` or ``failed`` and the error) is stored in ``watch_deliveries``.  A webhook
answer of 2xx is delivered; 408, 429 and 5xx and network errors are retried with
exponential backoff; other 4xx fail at once.  The body is the alert's JSON as the REST API
gives it; no secret is in it, in the e-mail, in the log, in an error stored or in the
audit trail (secrets in error texts are replaced by ``***``; a webhook address is stored
and logged as its scheme, host and port with a fingerprint of the whole address, since
receivers often carry a token in the path).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allychain.errors import AllychainError
from allychain.store import Store
from allychain.store.models import WatchDelivery, utcnow

__all__ = ["DeliveryConfig", "deliver", "redeliver", "deliver_async", "sign", "webhook_body", "SEVERITY_ORDER"]

log = logging.getLogger(__name__)

SEVERITY_ORDER = ("low", "medium", "high")
SIGNATURE_HEADER = "X-Allychain-Signature"


@dataclass(frozen=True)
class DeliveryConfig:
    """Where and how alerts are delivered (secrets are kept out of ``repr``)."""

    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    smtp_from: str = "allychain@localhost"
    smtp_to: tuple[str, ...] = ()
    min_severity: str = "medium"
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliveryConfig:
        """The configuration from ``env`` (default ``os.environ``); bad values are a clear error."""
        e = os.environ if env is None else env

        def num(name: str, default: float, kind: Callable[[str], float]) -> Any:
            raw = e.get(name)
            try:
                v = kind(raw) if raw else default
            except ValueError:
                raise AllychainError(f"{name}={raw!r}: expected a number") from None
            if v < 0:
                raise AllychainError(f"{name}={raw!r}: expected a number >= 0")
            return v

        sev = e.get("ALLYCHAIN_WATCH_MIN_SEVERITY", "medium")
        if sev not in SEVERITY_ORDER:
            raise AllychainError(f"ALLYCHAIN_WATCH_MIN_SEVERITY={sev!r}: expected low, medium or high")
        url = e.get("ALLYCHAIN_WATCH_WEBHOOK_URL") or None
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise AllychainError(f"ALLYCHAIN_WATCH_WEBHOOK_URL: expected an http(s) address, got {_target(url)!r}")
        return cls(webhook_url=url, webhook_secret=e.get("ALLYCHAIN_WATCH_WEBHOOK_SECRET") or None,
                   smtp_host=e.get("ALLYCHAIN_SMTP_HOST") or None, smtp_port=int(num("ALLYCHAIN_SMTP_PORT", 25, int)),
                   smtp_user=e.get("ALLYCHAIN_SMTP_USER") or None, smtp_password=e.get("ALLYCHAIN_SMTP_PASSWORD") or None,
                   smtp_starttls=e.get("ALLYCHAIN_SMTP_STARTTLS", "") in ("1", "true", "yes"),
                   smtp_from=e.get("ALLYCHAIN_SMTP_FROM") or "allychain@localhost",
                   smtp_to=tuple(x.strip() for x in e.get("ALLYCHAIN_SMTP_TO", "").split(",") if x.strip()),
                   min_severity=sev, timeout=float(num("ALLYCHAIN_WATCH_TIMEOUT", 10.0, float)),
                   retries=max(1, int(num("ALLYCHAIN_WATCH_RETRIES", 3, int))),
                   backoff=float(num("ALLYCHAIN_WATCH_BACKOFF", 1.0, float)))

    @property
    def channels(self) -> list[str]:
        return (["webhook"] if self.webhook_url else []) + (["email"] if self.smtp_host and self.smtp_to else [])

    def secrets(self) -> list[str]:
        return [s for s in (self.webhook_secret, self.smtp_password) if s]


def _target(url: str) -> str:
    """A webhook address for records and messages: scheme, host and port, and a fingerprint of the whole address.

    The path and query are left out: many receivers put their own token there.
    """
    u = urlsplit(url)
    host = u.hostname or ""
    short = urlunsplit((u.scheme, f"{host}:{u.port}" if u.port else host, "", "", ""))
    return f"{short}/… (sha256 {hashlib.sha256(url.encode()).hexdigest()[:8]})"


def _scrub(text: str, cfg: DeliveryConfig) -> str:
    for s in cfg.secrets():
        text = text.replace(s, "***")
    if cfg.webhook_url:
        text = text.replace(cfg.webhook_url, _target(cfg.webhook_url))
    return text[:1000]


def webhook_body(alert: Mapping[str, Any]) -> bytes:
    """The POSTed body: the alert's JSON (sorted keys, UTF-8)."""
    return json.dumps({"type": "allychain.watch.alert", "alert": alert}, sort_keys=True, ensure_ascii=False,
                      default=str).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the body with the shared secret (the receiver recomputes it)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _Retry(Exception):
    """A failure worth another attempt."""


def _post(cfg: DeliveryConfig, alert: Mapping[str, Any]) -> None:
    assert cfg.webhook_url
    body = webhook_body(alert)
    headers = {"Content-Type": "application/json", "User-Agent": "allychain-watch",
               "X-Allychain-Alert": str(alert.get("alert_id"))}
    if cfg.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(cfg.webhook_secret, body)
    req = urllib.request.Request(cfg.webhook_url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=cfg.timeout) as res:  # noqa: S310 - http(s) checked in from_env
            res.read(1024)
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 429) or exc.code >= 500:
            raise _Retry(f"HTTP {exc.code}") from None
        raise AllychainError(f"HTTP {exc.code} (not retried)") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Retry(f"{type(exc).__name__}: {reason}") from None


def email_message(cfg: DeliveryConfig, alert: Mapping[str, Any]) -> EmailMessage:
    """The e-mail of one alert: a short summary and the alert's JSON."""
    msg = EmailMessage()
    items = ", ".join(alert.get("item_ids") or []) or alert.get("hs_code") or "-"
    msg["Subject"] = (f"[allychain watch] {str(alert.get('severity', '')).upper()}: {alert.get('kind')} on "
                      f"{alert.get('indicator')} {alert.get('reporter')}/{alert.get('partner')} ({items})")
    msg["From"], msg["To"] = cfg.smtp_from, ", ".join(cfg.smtp_to)
    exposed = ", ".join(alert.get("members_exposed") or []) or "none assessed as exposed"
    msg.set_content(f"Alert {alert.get('alert_id')} ({alert.get('state', 'open')}), dated {alert.get('date')}, "
                    f"last seen {alert.get('last_detected')}.\nMembers exposed: {exposed}.\n"
                    + (f"Coverage: {alert['coverage']}.\n" if alert.get("coverage") else "") + "\n"
                    + json.dumps(alert, indent=2, sort_keys=True, ensure_ascii=False, default=str))
    return msg


def _mail(cfg: DeliveryConfig, alert: Mapping[str, Any]) -> None:
    assert cfg.smtp_host
    try:
        cls = smtplib.SMTP_SSL if cfg.smtp_port == 465 else smtplib.SMTP
        with cls(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout) as smtp:
            if cfg.smtp_starttls and cls is smtplib.SMTP:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.smtp_user and cfg.smtp_password:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
            smtp.send_message(email_message(cfg, alert))
    except smtplib.SMTPAuthenticationError as exc:
        raise AllychainError(f"SMTP login refused ({exc.smtp_code}; not retried)") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _Retry(f"{type(exc).__name__}: {exc}") from None


_SENDERS: dict[str, Callable[[DeliveryConfig, Mapping[str, Any]], None]] = {"webhook": _post, "email": _mail}


def _attempts(cfg: DeliveryConfig, channel: str, alert: Mapping[str, Any],
              sleep: Callable[[float], None]) -> tuple[str, int, str]:
    """(status, attempts, error) of one alert on one channel, retrying with exponential backoff."""
    error = ""
    for attempt in range(1, cfg.retries + 1):
        try:
            _SENDERS[channel](cfg, alert)
            return "delivered", attempt, ""
        except _Retry as exc:
            error = _scrub(str(exc), cfg)
            if attempt < cfg.retries:
                sleep(cfg.backoff * 2 ** (attempt - 1))
        except AllychainError as exc:
            return "failed", attempt, _scrub(str(exc), cfg)
    return "failed", cfg.retries, error


def deliver(store: Store, cfg: DeliveryConfig, alerts: Sequence[Mapping[str, Any]],
            sleep: Callable[[float], None] = time.sleep) -> list[dict[str, Any]]:
    """Deliver each alert at or above ``cfg.min_severity`` on every configured channel; record each outcome.

    Returns the records stored (alert id, channel, target, attempts, status, error).
    Never raises for a receiver's failure: that is recorded.
    """
    floor = SEVERITY_ORDER.index(cfg.min_severity)
    out = []
    for alert in alerts:
        if SEVERITY_ORDER.index(str(alert.get("severity", "low"))) < floor:
            continue
        for channel in cfg.channels:
            status, attempts, error = _attempts(cfg, channel, alert, sleep)
            target = _target(cfg.webhook_url or "") if channel == "webhook" else ", ".join(cfg.smtp_to)
            rec = {"alert_id": str(alert["alert_id"]), "channel": channel, "target": target[:300],
                   "attempts": attempts, "status": status, "error": error}
            if status == "failed":
                log.warning("alert %s not delivered by %s to %s after %d attempt(s): %s", rec["alert_id"], channel,
                            rec["target"], attempts, error)
            try:
                with store.transaction() as repo:
                    repo.add(WatchDelivery(at=utcnow(), **rec))
            except Exception:  # noqa: BLE001 - a failed record must not stop the other deliveries
                log.exception("could not record the delivery of alert %s", rec["alert_id"])
            out.append(rec)
    return out


def redeliver(store: Store, cfg: DeliveryConfig, failed: Mapping[str, Sequence[Mapping[str, Any]]],
              sleep: Callable[[float], None] = time.sleep) -> list[dict[str, Any]]:
    """Send again, on each channel, the alerts whose last delivery on it failed (``failed``: channel → alerts).

    Only the failed channel is tried for each alert (an e-mail already sent is not sent twice);
    a channel no longer configured is skipped.
    """
    from dataclasses import replace

    only = {"webhook": replace(cfg, smtp_host=None), "email": replace(cfg, webhook_url=None)}
    out: list[dict[str, Any]] = []
    for channel, alerts in failed.items():
        if channel in cfg.channels:
            out += deliver(store, only[channel], alerts, sleep)
    return out


def deliver_async(store: Store, cfg: DeliveryConfig, alerts: Sequence[Mapping[str, Any]]) -> threading.Thread:
    """:func:`deliver` in a background thread (started and returned at once; ``join`` it to wait)."""
    alerts = [dict(a) for a in alerts]

    def run() -> None:
        try:
            deliver(store, cfg, alerts)
        except Exception:  # noqa: BLE001 - delivery never takes the caller down
            log.exception("alert delivery stopped")

    t = threading.Thread(target=run, name="allychain-watch-delivery", daemon=True)
    t.start()
    return t
