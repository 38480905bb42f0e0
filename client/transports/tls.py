"""TLS for every engine: one client context from :class:`PoolSettings`, one error mapping.

A context costs milliseconds to build (it parses every trusted CA), so a
client builds ONE when it opens and every connection (and, in the
``client_per_request`` mode, every throwaway engine) shares it.
"""

from __future__ import annotations

import os
import ssl
import sys
from urllib.parse import urlsplit

from client.errors import AccountTLSError
from client.settings import PoolSettings

CA_HINT = "trust its CA with --ca-cert FILE (pool setting ca_cert=FILE) or SSL_CERT_FILE"


def client_ssl_context(
    base_url: str,
    pool: PoolSettings,
    context_class: type[ssl.SSLContext] = ssl.SSLContext,
) -> ssl.SSLContext | None:
    """The client's TLS context for ``base_url``; None for plain ``http://``.

    ``ssl.create_default_context()`` semantics (certificate and host name
    checked, the OpenSSL default paths so ``SSL_CERT_FILE``/``SSL_CERT_DIR``
    count, ``SSLKEYLOGFILE``), plus ``pool.ca_cert``, the mTLS certificate
    and ALPN. ``context_class`` lets gevent supply its cooperative subclass.
    """
    if urlsplit(base_url).scheme != "https":
        return None
    context = context_class(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname
    if pool.verify:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if pool.ca_cert:
            context.load_verify_locations(cafile=pool.ca_cert)
        if sys.version_info >= (3, 13):  # create_default_context's stricter chain rules
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if pool.client_cert:
        context.load_cert_chain(pool.client_cert, pool.client_key)
    context.set_alpn_protocols(["h2", "http/1.1"] if pool.http2 else ["http/1.1"])
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context


def tls_failure(error: BaseException) -> AccountTLSError | None:
    """The :class:`AccountTLSError` for an engine's exception caused by TLS, else None.

    Engines wrap the ``ssl`` error in their own classes (aiohttp's
    ``ClientConnectorCertificateError``, httpx's ``ConnectError``), so the
    cause chain is searched for the original. A close without TLS's goodbye
    (``SSLEOFError``) is a dropped connection, not a TLS failure.
    """
    root = _ssl_root(error)
    if root is None or isinstance(root, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return None
    if isinstance(root, ssl.SSLCertVerificationError):
        reason = getattr(root, "verify_message", None) or getattr(root, "reason", None) or root
        failure = AccountTLSError(
            f"TLS: the server's certificate could not be verified ({reason}); {CA_HINT}"
        )
    else:
        failure = AccountTLSError(f"TLS failed: {getattr(root, 'reason', None) or root}")
    failure.__cause__ = error
    return failure


def _ssl_root(error: BaseException) -> ssl.SSLError | None:
    """The innermost ``ssl.SSLError`` in ``error``'s cause chain."""
    found = None
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            found = current
        current = current.__cause__ or current.__context__
    return found
