"""Preflight: does the target apply the contract, not just answer it?

Before any load the run creates one account of its own and walks it through
every operation, reading back after each one. Status codes alone are not
enough: the real service answers 200 to a status change or a delete that
changed nothing, and a benchmark of such a target would measure work it never
did. Each check is one entry of :data:`CHECKS`; a failing one gives one line
naming the operation, what was sent, what came back and, for a pattern we
recognise, a hint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from client import (
    AccountAuthError,
    AccountClient,
    AccountNotFoundError,
    AccountProfile,
    AccountServiceError,
    AccountValidationError,
)
from drivers.phases import RunContext

#: how long search may take to find a freshly created account: a real service's
#: index can lag behind its writes, so search is polled rather than read once
SEARCH_GRACE_S = 5.0
SEARCH_POLL_S = 0.25
CREDENTIALS_HINT = "check --token, --token-file or ACCOUNT_SERVICE_TOKEN"
NO_OP = "the target answered 200 but nothing changed: it does not apply this operation"
UNREADABLE = (
    "ensure answered 200 but the account cannot be read back: "
    "the target keeps it under another id, or not at all"
)
NO_COMEBACK = "the target does not bring an inactive account back"
NO_ENDPOINT = "the target has no such endpoint: is --target the account service's root URL?"
_OTHER_VERSION = "it speaks a different version of the contract"


@dataclass(frozen=True, slots=True)
class Failure:
    operation: str
    sent: str
    came_back: str
    hint: str = ""

    def line(self) -> str:
        text = f"{self.operation}: sent {self.sent}; came back {self.came_back}"
        return f"{text} => {self.hint}" if self.hint else text


class PreflightFailed(RuntimeError):
    """The target does not apply the contract: the run stops before any load (exit 3)."""

    def __init__(self, failures: list[Failure], skipped: int = 0) -> None:
        self.failures = failures
        self.skipped = skipped
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"  {failure.line()}" for failure in self.failures]
        if self.skipped:
            lines.append(f"  ({self.skipped} checks on the account not run: ensure_account failed)")
        return "the target does not speak the contract:\n" + "\n".join(lines)


class CredentialsRefused(PreflightFailed):
    """401/403: every other check would fail the same way, so one line says it all."""

    def render(self) -> str:
        first = self.failures[0]
        return (
            f"the target refused the credentials ({first.came_back} to {first.operation}): "
            f"{CREDENTIALS_HINT}"
        )


class Mismatch(Exception):
    """The target answered, but not with the effect the contract promises."""

    def __init__(self, came_back: str, hint: str = "") -> None:
        super().__init__(came_back)
        self.came_back = came_back
        self.hint = hint


@dataclass
class Subject:
    """The preflight's own account and what the target should now say about it."""

    user_id: str
    email: str
    name: str
    prefix: str
    created: bool = False
    active: bool = False
    theme: str = "dark"
    search_grace_s: float = SEARCH_GRACE_S

    @property
    def renamed(self) -> str:
        return f"{self.name.removesuffix(' renamed')} renamed"


@dataclass(frozen=True, slots=True)
class Check:
    operation: str
    sent: Callable[[Subject], str]
    run: Callable[[AccountClient, Subject], Awaitable[None]]
    #: skipped when ensure failed: there is no account to check it on
    needs_account: bool = True


async def preflight(ctx: RunContext, *, search_grace_s: float = SEARCH_GRACE_S) -> None:
    """Every check of :data:`CHECKS` on an account the run creates; raise if any fails."""
    client = ctx.client
    assert client is not None
    subject = Subject(*ctx.data.new_identity(), ctx.data.prefix, search_grace_s=search_grace_s)
    failures: list[Failure] = []
    skipped = 0
    try:
        for check in CHECKS:
            if check.needs_account and not subject.created:
                skipped += 1
                continue
            sent = check.sent(subject)
            try:
                await check.run(client, subject)
            except Mismatch as mismatch:
                failures.append(Failure(check.operation, sent, mismatch.came_back, mismatch.hint))
            except AccountAuthError as error:
                raise CredentialsRefused([Failure(check.operation, sent, _answer(error))]) from None
            except AccountServiceError as error:
                failures.append(Failure(check.operation, sent, _answer(error), _hint(error, check)))
    finally:
        if subject.created:
            ctx.data.add(subject.user_id, subject.email, disposable=True).active = subject.active
    if failures:
        raise PreflightFailed(failures, skipped)


# -- the checks ------------------------------------------------------------------


async def _health(client: AccountClient, s: Subject) -> None:
    answer = await client.health_check()
    if "status" not in answer:
        raise Mismatch(f"{_short(answer)}, without a 'status'")


async def _ensure(client: AccountClient, s: Subject) -> None:
    profile = await client.ensure_account(s.user_id, s.email, s.name)
    s.created = s.active = True
    _is_subject(profile, s)
    s.theme = "light" if profile.preferences.get("theme") == "dark" else "dark"


async def _profile(client: AccountClient, s: Subject) -> None:
    _is_subject(await client.get_account_profile(s.user_id), s)


async def _by_email(client: AccountClient, s: Subject) -> None:
    profile = await client.get_account_by_email(s.email)
    if profile is None:
        raise Mismatch("404", UNREADABLE)
    _is_subject(profile, s)


async def _rename(client: AccountClient, s: Subject) -> None:
    new_name = s.renamed
    answer = await client.update_account_profile(s.user_id, name=new_name)
    if answer.name != new_name:
        raise Mismatch(f"an account named {answer.name!r}")
    seen = await client.get_account_profile(s.user_id)
    if seen.name != new_name:
        raise Mismatch(f"200, but the next read shows name {seen.name!r}", NO_OP)
    s.name = new_name


async def _preferences(client: AccountClient, s: Subject) -> None:
    if not await client.update_account_preferences(s.user_id, theme=s.theme):
        raise Mismatch("an answer without the message 'Preferences updated successfully'")
    theme = (await client.get_account_profile(s.user_id)).preferences.get("theme")
    if theme != s.theme:
        raise Mismatch(f"200, but the next read shows theme {theme!r}", NO_OP)


async def _list(client: AccountClient, s: Subject) -> None:
    page = await client.list_accounts(page=1, page_size=5)
    rows, total = page["accounts"], page["total_count"]
    if len(rows) > 5 or not isinstance(total, int) or total < len(rows):
        raise Mismatch(f"{len(rows)} rows with total_count {total!r}")
    if s.created and not rows:
        raise Mismatch("an empty page although the target holds at least this run's account")


async def _search(client: AccountClient, s: Subject) -> None:
    """The account must turn up while active; an index may lag, so poll for a while."""
    deadline = time.monotonic() + s.search_grace_s
    while True:
        rows = await client.search_accounts(s.prefix, limit=10)
        query = s.prefix.lower()
        strays = [r.user_id for r in rows if query not in f"{r.name}\n{r.email}".lower()]
        if strays:
            raise Mismatch(f"rows that do not contain the query: {strays[:3]}")
        if any(row.user_id == s.user_id for row in rows):
            return
        if time.monotonic() >= deadline:
            raise Mismatch(
                f"{len(rows)} rows without {s.user_id!r} for {s.search_grace_s:g} s",
                "its search does not find an account created seconds ago "
                "(an index that lags, or no match on email)",
            )
        await asyncio.sleep(SEARCH_POLL_S)


async def _deactivate(client: AccountClient, s: Subject) -> None:
    if not await client.change_account_status(s.user_id, False, reason="harness preflight"):
        raise Mismatch("an answer without 'successfully' in its message")
    await _hidden(client, s)


async def _reactivate(client: AccountClient, s: Subject) -> None:
    if not await client.change_account_status(s.user_id, True, reason="harness preflight"):
        raise Mismatch("an answer without 'successfully' in its message")
    try:
        _is_subject(await client.get_account_profile(s.user_id), s)
    except AccountNotFoundError:
        raise Mismatch("200, but the profile still answers 404", NO_COMEBACK) from None
    if await client.get_account_by_email(s.email) is None:
        raise Mismatch("200, but by-email still answers 404", NO_COMEBACK)
    s.active = True


async def _delete(client: AccountClient, s: Subject) -> None:
    if not await client.delete_account(s.user_id, reason="harness preflight"):
        raise Mismatch("an answer without the message 'Account deleted successfully'")
    await _hidden(client, s)


async def _stats(client: AccountClient, s: Subject) -> None:
    total = (await client.get_service_stats()).get("total_accounts")
    if isinstance(total, bool) or not isinstance(total, int | float) or total < int(s.created):
        raise Mismatch(f"total_accounts {total!r}")


async def _hidden(client: AccountClient, s: Subject) -> None:
    """After a deactivation or delete the contract hides the account from profile and by-email."""
    try:
        seen: AccountProfile | None = await client.get_account_profile(s.user_id)
    except AccountNotFoundError:
        seen = None
    if seen is not None and seen.is_active:
        raise Mismatch("200, but the profile still reads as active", NO_OP)
    if seen is not None:
        raise Mismatch("200, but the profile is still served (is_active false), not 404")
    if await client.get_account_by_email(s.email) is not None:
        raise Mismatch("200 and the profile answers 404, but by-email still finds the account")
    s.active = False


CHECKS: tuple[Check, ...] = (
    Check("health_check", lambda s: "GET /health", _health, needs_account=False),
    Check(
        "ensure_account",
        lambda s: f"user_id and auth0_id {s.user_id!r} with email and name",
        _ensure,
        needs_account=False,
    ),
    Check("get_account_profile", lambda s: repr(s.user_id), _profile),
    Check("get_account_by_email", lambda s: repr(s.email), _by_email),
    Check("update_account_profile", lambda s: f"name={s.renamed!r}", _rename),
    Check("update_account_preferences", lambda s: f"theme={s.theme!r}", _preferences),
    Check("list_accounts", lambda s: "page=1, page_size=5", _list, needs_account=False),
    Check("search_accounts", lambda s: f"query={s.prefix!r}", _search),
    Check("change_account_status", lambda s: "is_active=false", _deactivate),
    Check("change_account_status", lambda s: "is_active=true", _reactivate),
    Check("delete_account", lambda s: repr(s.user_id), _delete),
    Check("get_service_stats", lambda s: "GET /stats", _stats, needs_account=False),
)


# -- reading failures ------------------------------------------------------------


def _is_subject(profile: AccountProfile, s: Subject) -> None:
    """The answer is the subject account: same id, email and (latest) name."""
    expected = {"user_id": s.user_id, "email": s.email, "name": s.name}
    got = {"user_id": profile.user_id, "email": profile.email, "name": profile.name}
    wrong = [f"{key} {got[key]!r}" for key in expected if got[key] != expected[key]]
    if wrong:
        raise Mismatch("an account with " + ", ".join(wrong))


def _answer(error: AccountServiceError) -> str:
    """What came back, without the operation the failure line already names."""
    text = str(error).removeprefix(f"{error.operation}: ")
    return text if error.status is not None else f"{type(error).__name__}: {text}"


def _hint(error: AccountServiceError, check: Check) -> str:
    if isinstance(error, AccountValidationError):
        return _field_hint(error.detail)
    if isinstance(error, AccountNotFoundError):
        # the account checks run on an account ensure created; the others never answer 404
        return UNREADABLE if check.needs_account else NO_ENDPOINT
    return ""


def _field_hint(detail: Any) -> str:
    """From FastAPI's 422 list: the fields the target requires or rejects."""
    problems = [p for p in detail if isinstance(p, dict)] if isinstance(detail, list) else []
    missing: list[str] = []
    rejected: list[str] = []
    for problem in problems:
        loc = [str(part) for part in problem.get("loc", ())]
        if len(loc) < 2:
            continue
        where = {"body": "the body", "query": "the query", "path": "the path"}.get(loc[0], loc[0])
        named = f"{loc[-1]!r} in {where}"
        kind = str(problem.get("type", ""))
        (missing if kind.endswith("missing") else rejected).append(named)
    if missing:
        return f"the target requires field {', '.join(missing)}: {_OTHER_VERSION}"
    if rejected:
        return f"the target rejects field {', '.join(rejected)}: {_OTHER_VERSION}"
    return ""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
