"""``python -m legithealth_async.sandbox --port 8000``."""

import sys

from .cli import main

sys.exit(main())
