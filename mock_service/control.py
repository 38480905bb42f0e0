"""Run-time control under ``/_mock/`` (kept out of the contract's OpenAPI schema).

``/_mock/`` is never behind ``--require-token`` and never gets injected
latency or faults: a harness must always be able to read and reset the mock.
``POST /_mock/reset`` zeroes stats and replays the random streams from the
profile's seed; with ``?reseed_store=true`` it also rebuilds the store from
the startup ``accounts``/``seed`` (dropping accounts created since).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from mock_service.profile import Profile
from mock_service.state import MockState


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def control_router(state: MockState) -> APIRouter:
    router = APIRouter(prefix="/_mock", include_in_schema=False)

    @router.get("/profile")
    async def get_profile() -> Response:
        return _json(state.profile.to_dict())

    @router.put("/profile")
    async def put_profile(profile: Profile) -> Response:
        state.set_profile(profile)
        return _json(state.profile.to_dict())

    @router.post("/reset")
    async def reset(reseed_store: bool = False) -> Response:
        state.reset(reseed_store=reseed_store)
        return _json({"reset": True, "reseed_store": reseed_store, "accounts": len(state.store)})

    @router.get("/stats")
    async def stats() -> Response:
        return _json(state.stats.report())

    return router
