"""Mock account service: the whole contract, with latency, capacity and fault profiles.

Public API: ``create_app``, ``Profile``, ``load_profile``; CLI: ``python -m mock_service``.

Modules, one job each:

- ``app``: ``create_app`` wires state, routes, middleware and error handling.
- ``api``: the contract's routes (account-api.md); ``control``: ``/_mock/`` routes.
- ``middleware``: one pure ASGI layer for profile (latency, capacity, faults,
  new-connection cost), bearer-token check, body limit and stats;
  ``fast_lane``: hot reads answered inside it.
- ``profile`` (+ ``profiles/*.toml``), ``lognormal``: typed profiles and the latency fit.
- ``faults``: seeded per-request decisions; ``connections``: first request per TCP connection.
- ``stats``: ground truth for ``GET /_mock/stats``.
- ``store``: in-memory accounts; ``columns``: per-account filter codes (numpy);
  ``search_index``, ``text_segment``: substring search in well under 2 ms at 100k accounts;
  ``query_cache``: repeated queries; ``seeding``: synthetic data.
- ``launcher``: start the mock in its own process from another program; ``lifeline``: the
  mock ends with its launcher; ``certs``: a throwaway CA and certificate for https.
- ``nesting``: refuse JSON bodies nested too deep to parse safely.
- ``schemas``: request validation and documented response shapes; ``errors``: safe 422s;
  ``messages``: exact error texts; ``endpoints``: route templates and path classification.
- ``state``: the mutable state of one instance; ``cli``: the command line.
"""

__version__ = "0.1.0"

from mock_service.app import create_app
from mock_service.profile import Profile, load_profile

__all__ = ["Profile", "__version__", "create_app", "load_profile"]
