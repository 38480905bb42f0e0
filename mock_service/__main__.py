"""Entry point: ``python -m mock_service --port 8202 --profile seed --accounts 1000``."""

import sys

from mock_service.cli import main

sys.exit(main())
