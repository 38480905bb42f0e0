"""Mock account service: the whole contract, with latency, capacity and fault profiles."""

__version__ = "0.1.0"

from mock_service.app import create_app
from mock_service.profile import Profile, load_profile

__all__ = ["Profile", "__version__", "create_app", "load_profile"]
