"""422 answers that can always be serialized.

FastAPI's default handler echoes the offending input with ``json.dumps``
(``allow_nan=False``, UTF-8): a body holding ``NaN``, a lone surrogate
(``"\\ud800"``) or an int past 64 bits would turn a 422 into a 500. This
handler serializes with orjson and, failing that, sanitizes the details.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

_INT64 = 2**63


_MAX_DEPTH = 16


def _sanitize(value: Any, depth: int = 0) -> Any:
    """Plain JSON: valid UTF-8 strings, finite floats, 64-bit ints, at most 16 levels deep."""
    if depth > _MAX_DEPTH:
        return "..."
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_sanitize(str(k)): _sanitize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitize(v, depth + 1) for v in value]
    return _sanitize(str(value))


def validation_body(errors: Any) -> bytes:
    """``{"detail": errors}`` as JSON, whatever the echoed input holds."""
    try:
        return orjson.dumps({"detail": jsonable_encoder(errors)})
    except (TypeError, ValueError, orjson.JSONEncodeError):
        return orjson.dumps({"detail": _sanitize(errors)})


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else [str(exc)]
    return Response(validation_body(errors), status_code=422, media_type="application/json")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
