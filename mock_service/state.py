"""The mutable state of one mock instance, shared by the routes and the middleware."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from mock_service.connections import ConnectionTracker
from mock_service.faults import Injector
from mock_service.profile import Profile
from mock_service.seeding import seed_store
from mock_service.stats import Stats
from mock_service.store import AccountStore

BODY_LIMIT = 64 * 1024
DEFAULT_PORT = 8202


@dataclass(eq=False)
class MockState:
    profile: Profile
    accounts: int = 0
    seed: int = 42
    require_token: str | None = None
    body_limit: int = BODY_LIMIT
    fast_lane: bool = True  # answer hot reads in the middleware (see fast_lane.py)
    store: AccountStore = field(default_factory=AccountStore)
    stats: Stats = field(default_factory=Stats)
    connections: ConnectionTracker = field(default_factory=ConnectionTracker)

    def __post_init__(self) -> None:
        self.set_profile(self.profile)
        seed_store(self.store, self.accounts, self.seed)
        self.store.prepare_search()  # build the index now, not on the first search

    def set_profile(self, profile: Profile) -> None:
        """Replace the profile: fresh fault/latency streams and a new capacity semaphore."""
        self.profile = profile
        self.injector = Injector(profile)
        self.semaphore = asyncio.Semaphore(profile.capacity) if profile.capacity else None
        self.in_service = 0  # API requests between the start and the end of their service time

    def reset(self, *, reseed_store: bool = False) -> None:
        """Zero the stats, replay the random streams from the seed, optionally rebuild the store."""
        self.stats.reset()
        self.injector.reset()
        self.connections.clear()
        if reseed_store:
            self.store = AccountStore()
            seed_store(self.store, self.accounts, self.seed)
            self.store.prepare_search()
