"""Stock Locust users reading profiles, the yardsticks of ``benchmarks/locust_speed.py``.

``FastProfileUser`` (``FastHttpUser``) and ``PlainProfileUser`` (``HttpUser``) send
the same request as the reference-client user's profile read. Their
response times also go into a :class:`~client.histogram.LatencyHistogram`
(written to ``$BASELINE_HISTOGRAM`` at quit, with the generator-health
figures), so all rows of the benchmark are read from the same kind of data.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import FastHttpUser, HttpUser, events, task

from client.histogram import LatencyHistogram
from locustfiles.health import HealthSampler, HealthSeries
from locustfiles.pacing import Pacer

PROFILE = "/api/v1/accounts/profile/seed_user_{:06d}"
ACCOUNTS = int(os.environ.get("BASELINE_ACCOUNTS", "900"))
#: tasks per second per user, paced like the reference user's ``--account-rate``; 0: back to back
RATE = float(os.environ.get("BASELINE_RATE", "0"))
_histogram = LatencyHistogram()
_health = HealthSampler()


class _Paced:
    """Back to back, or paced at ``RATE`` as the reference user is (``Pacer``)."""

    def on_start(self) -> None:
        self.pacer = Pacer(RATE) if RATE else None
        if self.pacer is not None:
            self.pacer.start()

    def wait_time(self) -> float:
        return self.pacer.wait() if self.pacer is not None else 0.0


class FastProfileUser(_Paced, FastHttpUser):
    @task
    def get_account_profile(self) -> None:
        self.client.get(PROFILE.format(random.randrange(ACCOUNTS)), name="get_account_profile")


class PlainProfileUser(_Paced, HttpUser):
    @task
    def get_account_profile(self) -> None:
        self.client.get(PROFILE.format(random.randrange(ACCOUNTS)), name="get_account_profile")


@events.request.add_listener
def _record(response_time: float, **_: Any) -> None:
    _histogram.record(int(response_time * 1e6))


@events.test_start.add_listener
def _start_health(**_: Any) -> None:
    _health.start()


@events.quit.add_listener
def _write(**_: Any) -> None:
    """The histogram, and the same generator-health figures the harness's users get."""
    target = os.environ.get("BASELINE_HISTOGRAM")
    if not target:
        return
    series = HealthSeries()
    series.add(_health.drain())
    with open(target, "w", encoding="utf-8") as f:
        json.dump({**_histogram.to_dict(), "health": series.window(0, 2**62)}, f)
