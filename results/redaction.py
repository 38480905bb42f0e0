"""Keeping secrets out of everything the harness writes or prints.

Run folders are attached to reviews and tickets, so a token, a password in a
URL or a client-key path must never reach one. Three tools, one rule each:

- :func:`redact_url` masks a URL's userinfo (``https://user:pw@host`` ->
  ``https://***@host``), keeping host, port and path readable;
- :func:`redact_argv` masks the values of secret flags in a command line;
- :func:`register_secret` adds a value to a process-wide registry and
  :func:`scrub` replaces every registered value in a text with ``***``: the
  last line of defence at the writers (``results.run_folder``) and in printed
  error messages, for whatever the first two did not know about.

Register a secret as soon as it is parsed. Scrubbing is literal: a very short
secret (``pw``) is also masked where it occurs inside unrelated words; a
harmless price for a guarantee.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

MASK = "***"

#: flags whose value is a secret (the client key is a path, but it points at a private key)
SECRET_FLAGS = ("--token", "--client-key")
#: ``key=value`` settings whose value is a secret (e.g. inside ``--pool client_key=...``)
SECRET_KEYS = ("token", "client_key")

# userinfo never holds these; excluding quotes keeps ``"http://h","x@y"`` (compact JSON) intact
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s\"'<>\\]+)@")
_SECRET_SETTING = re.compile(rf"(?P<key>\b(?:{'|'.join(SECRET_KEYS)})=)(?P<value>[^,\s]+)")

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: tuple[str, ...] = ()  # every registered value in every spelling, longest first


def redact_url(url: str) -> str:
    """``https://user:pass@host:8443/x`` -> ``https://***@host:8443/x``; other text unchanged.

    Works on any text, so a URL inside an error message is masked too.
    """
    return _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", url)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with every secret value masked: the values of :data:`SECRET_FLAGS`
    (``--token X``, ``--token=X``), secret ``key=value`` settings and URL userinfo."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        flag, sep, _ = arg.partition("=")
        if _is_secret_flag(flag):
            if sep:
                out.append(f"{flag}={MASK}")
            else:
                out.append(arg)
                hide_next = True
            continue
        arg = _SECRET_SETTING.sub(lambda m: f"{m['key']}{MASK}", arg)
        out.append(redact_url(arg))
    return out


def _is_secret_flag(flag: str) -> bool:
    # argparse accepts unambiguous prefixes (``--tok``): mask those values too
    return len(flag) > 2 and flag.startswith("--") and any(s.startswith(flag) for s in SECRET_FLAGS)


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever :func:`scrub` looks, for the rest of this process."""
    if not value:
        return
    global _forms
    with _lock:
        _secrets.add(value)
        # as written, as JSON writes it (escapes, non-ASCII) and as it appears in a URL
        forms = {
            form
            for secret in _secrets
            for form in (secret, json.dumps(secret)[1:-1], quote(secret, safe=""))
            if form
        }
        _forms = tuple(sorted(forms, key=len, reverse=True))


def register_url(url: str | None) -> None:
    """Register the password in ``url``'s userinfo, if it has one."""
    try:
        netloc = urlsplit(url or "").netloc
    except ValueError:  # not a URL (an unbalanced IPv6 bracket): it has no userinfo to find
        return
    userinfo, at, _ = netloc.rpartition("@")
    if at:
        register_userinfo(userinfo)


def register_userinfo(userinfo: str | None) -> None:
    """Register the password of ``user:password`` (as written and percent-decoded)."""
    _, _, password = (userinfo or "").partition(":")
    if password:
        register_secret(password)
        register_secret(unquote(password))


def clear_secrets() -> None:
    """Forget every registered value (tests; a long-lived process between jobs)."""
    global _forms
    with _lock:
        _secrets.clear()
        _forms = ()


def scrub(text: str) -> str:
    """``text`` with URL userinfo and every registered secret replaced by ``***``."""
    text = redact_url(text)
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return text
