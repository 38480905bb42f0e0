"""What the mock itself counted: the ground truth tests compare the harness against."""

from __future__ import annotations

import httpx


def api_requests(url: str) -> int:
    """How many ``/api/v1/`` calls the mock at ``url`` has answered (or is answering) so far."""
    stats = httpx.get(f"{url}/_mock/stats", timeout=5).json()
    return sum(e["requests"] for key, e in stats["endpoints"].items() if "/api/v1/" in key)
