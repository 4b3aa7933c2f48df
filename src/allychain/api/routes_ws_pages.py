"""The workspace's dashboard pages under ``/ws/``: login, submissions, audit view.

Server-rendered HTML (Jinja2, autoescaped) over the same service functions — and so
the same permission checks — as the REST API.  The session is a random secret in a
cookie (HttpOnly, SameSite=Strict, Secure over HTTPS; stored hashed, 12-hour
expiry, revoked at logout).  Every state-changing form carries a CSRF token: an
HMAC of the session secret (and, for the login form, a double-submit cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from allychain.api.routes_ws import _read_capped, _source, store_of
from allychain.errors import AuthenticationError, DataError, PermissionDenied, TooManyAttempts, WorkspaceError
from allychain.workspace import accounts, submissions, trail
from allychain.workspace.authz import Action, Principal, Scope, scope_of
from allychain.workspace.validation import KINDS, MAX_BYTES

__all__ = ["install", "SESSION_COOKIE"]

pages = APIRouter(prefix="/ws", include_in_schema=False)
SESSION_COOKIE = "allychain_session"
LOGIN_CSRF_COOKIE = "allychain_login_csrf"
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
           "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
                                      "form-action 'self'"}


def install(app: FastAPI) -> None:
    app.include_router(pages)


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from allychain import web

    return Environment(loader=FileSystemLoader(str(web.templates_dir())), autoescape=select_autoescape(["html"]))


def _render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = _env().get_template(name).render(**ctx)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _csrf_for(secret: str) -> str:
    return hmac.new(secret.encode(), b"allychain-csrf", hashlib.sha256).hexdigest()


def _session(request: Request) -> tuple[Principal, str]:
    secret = request.cookies.get(SESSION_COOKIE)
    p = accounts.authenticate_session(store_of(request), secret, source=_source(request))
    assert secret is not None
    return p, _csrf_for(secret)


def _check_csrf(expected: str, given: Any) -> None:
    if not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise PermissionDenied("the form has expired or did not come from this site (CSRF check); reload the page")


def _ctx(p: Principal, csrf: str) -> dict[str, Any]:
    return {"me": p, "csrf": csrf, "can_audit": scope_of(p.roles, Action.AUDIT_READ) > Scope.NONE}


async def _checked_form(request: Request, csrf: str, max_files: int) -> Any:
    """The posted form of a logged-in page, size-capped and CSRF-checked (PermissionDenied otherwise)."""
    await _read_capped(request)
    form = await request.form(max_files=max_files, max_fields=5)
    _check_csrf(csrf, form.get("csrf"))
    return form


def _to_login() -> RedirectResponse:
    return RedirectResponse("/ws/login", status_code=303)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@pages.get("/login")
def login_form(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    resp = _render("ws_login.html", title="Log in", csrf=token, max_failed=accounts.MAX_FAILED_LOGINS,
                   lockout=accounts.LOCKOUT_MINUTES)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                    path="/ws", max_age=3600)
    return resp


@pages.post("/login")
async def login(request: Request) -> Response:
    await _read_capped(request)
    form = await request.form(max_files=0, max_fields=5)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    given = form.get("csrf")
    if not cookie or not isinstance(given, str) or not hmac.compare_digest(cookie, given):
        return _render("ws_login.html", 403, title="Log in", csrf=cookie, error="The form has expired; try again.",
                       max_failed=accounts.MAX_FAILED_LOGINS, lockout=accounts.LOCKOUT_MINUTES)
    from starlette.concurrency import run_in_threadpool

    try:
        _, secret = await run_in_threadpool(accounts.login, store_of(request), str(form.get("username", "")),
                                            str(form.get("password", "")), _source(request))
    except (AuthenticationError, TooManyAttempts) as exc:
        return _render("ws_login.html", exc.status, title="Log in", csrf=cookie, error=str(exc),
                       max_failed=accounts.MAX_FAILED_LOGINS, lockout=accounts.LOCKOUT_MINUTES)
    resp = RedirectResponse("/ws/", status_code=303, headers={"Cache-Control": "no-store"})
    resp.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="strict", secure=_secure(request), path="/",
                    max_age=accounts.SESSION_HOURS * 3600)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/ws")
    return resp


@pages.post("/logout")
async def logout(request: Request) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    await _checked_form(request, csrf, max_files=0)
    accounts.logout(store_of(request), p)
    resp = _to_login()
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@pages.get("/")
def home(request: Request, error: str | None = None, problems: list[str] | None = None, status: int = 200) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    store = store_of(request)
    scope = scope_of(p.roles, Action.SUBMISSION_LIST)
    rows = submissions.list_submissions(store, p) if scope > Scope.NONE else []
    return _render("ws_submissions.html", status, title="Submissions", rows=rows, kinds=KINDS,
                   scope_any=scope is Scope.ANY, max_kib=MAX_BYTES // 1024, error=error, problems=problems,
                   can_submit=scope_of(p.roles, Action.SUBMISSION_CREATE) > Scope.NONE,
                   can_withdraw=scope_of(p.roles, Action.SUBMISSION_WITHDRAW) > Scope.NONE, **_ctx(p, csrf))


@pages.post("/upload")
async def upload(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        form = await _checked_form(request, csrf, max_files=1)
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise WorkspaceError("choose a CSV file to upload")
        data, name = await part.read(), (part.filename or "upload.csv")
        correct = str(form.get("correct") or "")
        if correct:
            sub_id, _, version = correct.partition("|")
            await run_in_threadpool(submissions.correct, store_of(request), p, sub_id, data, name,
                                    int(version) if version.isdigit() else None)
        else:
            await run_in_threadpool(submissions.submit, store_of(request), p, str(form.get("kind", "")), data, name)
    except DataError as exc:
        return home(request, error=f"{len(exc.problems)} problem(s) in the file", problems=[str(x) for x in
                                                                                          exc.problems], status=422)
    except WorkspaceError as exc:
        return home(request, error=str(exc), status=exc.status)
    return RedirectResponse("/ws/", status_code=303)


@pages.get("/submissions/{sub_id}")
def submission(request: Request, sub_id: str, version: int | None = None) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        sub = submissions.get_submission(store_of(request), p, sub_id, version)
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Submission", error=str(exc), **_ctx(p, csrf))
    import csv
    import io

    rows = list(csv.reader(io.StringIO(sub["data"]["csv"])))
    return _render("ws_submission.html", title=f"Submission {sub_id}", sub=sub, header=rows[0] if rows else [],
                   body=rows[1:], **_ctx(p, csrf))


@pages.post("/submissions/{sub_id}/withdraw")
async def withdraw(request: Request, sub_id: str) -> Response:
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    try:
        await _checked_form(request, csrf, max_files=0)
        submissions.withdraw(store_of(request), p, sub_id)
    except WorkspaceError as exc:
        return home(request, error=str(exc), status=exc.status)
    return RedirectResponse("/ws/", status_code=303)


@pages.get("/audit")
def audit_view(request: Request, after: int = 0, verify: bool = False) -> Response:
    """A page of the trail; with ``verify=1`` the whole chain is checked too (recorded as audit:verify)."""
    try:
        p, csrf = _session(request)
    except AuthenticationError:
        return _to_login()
    page = 100
    try:
        events = trail.read_events(store_of(request), p, after=max(after, 0), limit=page)
        verification = trail.verify_chain(store_of(request), p) if verify else None
    except WorkspaceError as exc:
        return _render("ws_base.html", exc.status, title="Audit trail", error=str(exc), **_ctx(p, csrf))
    return _render("ws_audit.html", title="Audit trail", events=events, verification=verification, after=after,
                   page=page, **_ctx(p, csrf))


# the instruments' pages (agreements, incidents, dialogues) and the Watch page live in their own modules; importing it registers them
from allychain.api import routes_ws_pages_registry, routes_ws_pages_watch  # noqa: E402,F401
