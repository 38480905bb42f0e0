"""The test suite checked for two habits that make tests brittle or flaky on busy cores.

* Reading a private attribute (``obj._x``) ties a test to internals: test the
  behaviour through public API or its effect. ``self``/``cls``/``super()`` are
  a class's own business; anything else needs ``# private-ok: <reason>`` on its line.
* A fixed sleep right before a signal (``time.sleep(2)`` then ``proc.send_signal(...)``)
  guesses how long start-up takes: wait for a readiness line or event instead
  (``tests/_processes.py``).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ALLOW = "# private-ok:"
OWN = frozenset({"self", "cls"})
SLEEPERS = frozenset({"time", "asyncio", "gevent"})
SIGNALLERS = frozenset({"send_signal", "terminate"})
OS_SIGNALLERS = frozenset({"kill", "killpg"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _allowed(lines: list[str], node: ast.AST) -> bool:
    """A ``# private-ok: reason`` comment (with a reason) on one of the node's lines."""
    for line in lines[node.lineno - 1 : (node.end_lineno or node.lineno)]:
        _, marker, reason = line.partition(ALLOW)
        if marker and reason.strip():
            return True
    return False


def _own(base: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: a class reading its own attributes."""
    if isinstance(base, ast.Name):
        return base.id in OWN
    func = base.func if isinstance(base, ast.Call) else None
    return isinstance(func, ast.Name) and func.id == "super"


def _reaches_in(node: ast.AST) -> bool:
    """``obj._x``, ``getattr(obj, "_x")`` or ``from package import _x``."""
    if isinstance(node, ast.Attribute):
        return _private(node.attr) and not _own(node.value)
    if isinstance(node, ast.Call):
        func, args = node.func, node.args
        return (
            isinstance(func, ast.Name)
            and func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(args) > 1
            and isinstance(args[1], ast.Constant)
            and isinstance(args[1].value, str)
            and _private(args[1].value)
        )
    if isinstance(node, ast.ImportFrom):
        local = (node.module or "").startswith("tests")
        return not local and any(_private(alias.name) for alias in node.names)
    return False


def private_reads(source: str, filename: str) -> list[str]:
    """Every private attribute a test reaches into, as ``file:line: code``."""
    lines = source.splitlines()
    found = [
        node
        for node in ast.walk(ast.parse(source, filename))
        if _reaches_in(node) and not _allowed(lines, node)
    ]
    found.sort(key=lambda node: (node.lineno, node.col_offset, -(node.end_col_offset or 0)))
    return [f"{filename}:{node.lineno}: {ast.unparse(node)}" for node in found]


def _fixed_sleep(stmt: ast.stmt) -> bool:
    """``time.sleep(2)``, ``await asyncio.sleep(0.5)``, ``sleep(1)``: a constant wait."""
    if not isinstance(stmt, ast.Expr):
        return False
    call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(call, ast.Call) or len(call.args) != 1 or call.keywords:
        return False
    func = call.func
    named = (isinstance(func, ast.Name) and func.id == "sleep") or (
        isinstance(func, ast.Attribute)
        and func.attr == "sleep"
        and isinstance(func.value, ast.Name)
        and func.value.id in SLEEPERS
    )
    (arg,) = call.args
    return (
        named
        and isinstance(arg, ast.Constant)
        and isinstance(arg.value, int | float)
        and not isinstance(arg.value, bool)
        and arg.value > 0
    )


def _signals(stmt: ast.stmt) -> bool:
    """Whether the first simple statement ``stmt`` runs sends a signal."""
    while isinstance(stmt, ast.If | ast.With | ast.AsyncWith | ast.Try) and stmt.body:
        stmt = stmt.body[0]
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in SIGNALLERS:
                return True
            if func.attr in OS_SIGNALLERS and isinstance(func.value, ast.Name):
                return func.value.id == "os"
    return False


def _bodies(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body


def sleeps_before_signals(source: str, filename: str) -> list[str]:
    """Every constant sleep whose next statement signals a process, as ``file:line: code``."""
    tree = ast.parse(source, filename)
    return [
        f"{filename}:{first.lineno}: {ast.unparse(first)}"
        for body in _bodies(tree)
        for first, then in itertools.pairwise(body)
        if _fixed_sleep(first) and _signals(then)
    ]


def _suite() -> Iterator[tuple[str, str]]:
    for path in sorted(TESTS.rglob("*.py")):
        yield path.read_text(), str(path.relative_to(TESTS.parent))


def test_no_test_reads_a_private_attribute() -> None:
    found = [hit for source, name in _suite() for hit in private_reads(source, name)]
    assert found == [], "test through public API or the effect (or `# private-ok: why`):\n" + (
        "\n".join(found)
    )


def test_no_fixed_sleep_before_a_signal() -> None:
    found = [hit for source, name in _suite() for hit in sleeps_before_signals(source, name)]
    assert found == [], "wait for a readiness line or event (tests/_processes.py):\n" + (
        "\n".join(found)
    )


SAMPLE = """
import os, time
from client.pool import _Idle
from tests._live_server import free_port

class Helper:
    def __init__(self):
        self._seen = []

    def seen(self):
        return self._seen, cls._x, super()._y

def test(transport, proc, a):
    sock = transport._pool._idle[-1]
    getattr(transport, "_pool")
    ok = transport._pool  # private-ok: the only way to reach a socket to kill
    nope = transport._pool  # private-ok:
    dunder = transport.__class__
    time.sleep(2)
    proc.send_signal(15)
    time.sleep(0.5)
    if proc.poll() is None:
        os.kill(proc.pid, 9)
    time.sleep(1)
    log.info("sent")
    proc.terminate()
    time.sleep(0.1)  # a poll interval, then a check
    assert proc.poll() is None

async def later(proc):
    await asyncio.sleep(1)
    proc.terminate()
"""


def test_the_checks_catch_what_they_look_for() -> None:
    """The checks themselves: they must find these, and only these, in a sample."""
    assert private_reads(SAMPLE, "t.py") == [
        "t.py:3: from client.pool import _Idle",
        "t.py:14: transport._pool._idle",
        "t.py:14: transport._pool",
        "t.py:15: getattr(transport, '_pool')",
        "t.py:17: transport._pool",
    ]
    assert sleeps_before_signals(SAMPLE, "t.py") == [
        "t.py:19: time.sleep(2)",
        "t.py:21: time.sleep(0.5)",
        "t.py:31: await asyncio.sleep(1)",
    ]
