"""The run's own accounts: created under a run-specific prefix, the only ones it mutates.

Against a real service the harness must never touch anyone else's data:
every update, status change and delete picks from the accounts this run
created. Reads may look at anything, but by default they too stay on the
run's accounts so results do not depend on the data already there.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(slots=True)
class OwnAccount:
    user_id: str
    email: str
    active: bool = True
    #: a flow is changing its status: no other flow may pick it until that answer is in
    busy: bool = False


def run_prefix() -> str:
    """``hx-20261126t0415-3f9a``: readable, unique, and easy to find and clean up."""
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M")
    return f"hx-{stamp}-{secrets.token_hex(2)}"


@dataclass
class RunData:
    """Accounts this run owns, split into stable (reads, updates) and disposable ones."""

    prefix: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    #: the emails' domain: operators tell the harness's accounts from real ones by it
    domain: str = "harness.example.com"
    stable: list[OwnAccount] = field(default_factory=list)
    disposable: list[OwnAccount] = field(default_factory=list)
    _serial: int = 0

    def new_identity(self) -> tuple[str, str, str]:
        """(user_id, email, name) for an account this run is about to create."""
        self._serial += 1
        n = self._serial
        return (
            f"{self.prefix}-{n:06d}",
            f"{self.prefix}-{n:06d}@{self.domain}",
            f"Harness User {n:06d}",
        )

    def owns(self, user_id: str) -> bool:
        return user_id.startswith(self.prefix + "-")

    def add(self, user_id: str, email: str, *, disposable: bool) -> OwnAccount:
        assert self.owns(user_id), "the run only ever records accounts it created"
        account = OwnAccount(user_id, email)
        (self.disposable if disposable else self.stable).append(account)
        return account

    def any_stable(self) -> OwnAccount:
        return self.stable[self.rng.randrange(len(self.stable))]

    @property
    def issued(self) -> int:
        """How many identities the run has handed out (the accounts it made or tried to)."""
        return self._serial

    def pick_disposable(self, *, active: bool) -> OwnAccount | None:
        """A disposable account in that state that no flow is changing right now."""
        candidates = [a for a in self.disposable if a.active == active and not a.busy]
        return self.rng.choice(candidates) if candidates else None
