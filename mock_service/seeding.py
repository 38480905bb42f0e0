"""Deterministic synthetic accounts for a seed.

Same seed and count give the same ids, names, emails, plans, active flags and
creation offsets; only the anchor ``now`` moves the timestamps. Ids are
``seed_user_000000`` .. so drivers can address accounts without a listing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from mock_service.store import AccountStore, utcnow

_FIRST = """
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa
Anthony Betty Mark Margaret Donald Sandra Steven Ashley Paul Kimberly Andrew Emily
Joshua Donna Kenneth Michelle Kevin Carol Brian Amanda George Melissa Timothy Deborah
Ronald Stephanie Wei Fatima Aarav Sofia Mateo Yuki Olga Kwame Ines Lars Priya Omar Chloe
Diego Hana Ivan
"""
_LAST = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott
Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter
Roberts Chen Kowalski Okafor Yamamoto Novak Dubois Rossi Schmidt Larsen Patel Haddad
Silva Ivanova Murphy
"""
FIRST_NAMES = tuple(_FIRST.split())
LAST_NAMES = tuple(_LAST.split())
DOMAINS = ("example.com", "mail.test", "corp.example", "inbox.test", "users.example.org")
PLAN_WEIGHTS = {"free": 50, "basic": 20, "premium": 15, "pro": 7, "enterprise": 5, "active": 3}
INACTIVE_RATE = 0.07
SPREAD_DAYS = 90


def seed_user_id(i: int) -> str:
    """Id of the i-th seeded account (0-based)."""
    return f"seed_user_{i:06d}"


def seed_store(
    store: AccountStore, count: int, seed: int = 42, *, now: datetime | None = None
) -> None:
    """Append ``count`` synthetic accounts, oldest first, created over the past 90 days."""
    if count <= 0:
        return
    rng = random.Random(seed)
    now = now or utcnow()
    start = now - timedelta(days=SPREAD_DAYS)
    span = SPREAD_DAYS * 86400.0
    offsets = sorted(rng.random() * span for _ in range(count))
    plans = rng.choices(list(PLAN_WEIGHTS), weights=list(PLAN_WEIGHTS.values()), k=count)
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}"
        store.create(
            seed_user_id(i),
            email,
            f"{first} {last}",
            plans[i],
            auth0_id=seed_user_id(i),
            is_active=rng.random() >= INACTIVE_RATE,
            created_at=start + timedelta(seconds=offsets[i]),
            preferences={"timezone": "UTC", "language": "en", "theme": "light"},
        )
