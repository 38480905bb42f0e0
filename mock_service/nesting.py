"""How deeply a raw JSON body nests, measured before anything parses it.

A body like ``[[[[...]]]]`` a couple of thousand levels deep makes the JSON
parser or FastAPI's validation-error encoder recurse until RecursionError: a
400 on Python 3.11/3.12, a 500 and a reset connection on 3.13. The
contract's bodies nest about three levels, so anything past ``MAX_DEPTH`` is
refused up front, the same way on every Python.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32

# A JSON string, escapes included; brackets inside it are text, not nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when ``body`` opens more than ``limit`` arrays/objects inside one another.

    O(n) and nearly free for ordinary bodies: depth can't exceed the number
    of openers, which ``bytes.count`` gives at C speed; only bodies with more
    openers than ``limit`` are walked bracket by bracket.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False
