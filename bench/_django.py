"""Set up Django for a benchmark script run from the project's root or from ``bench/``."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Benchmarks measure the application, not the rate limit.
    os.environ.setdefault("API_ANON_RATE", "")
    os.environ.setdefault("API_USER_RATE", "")
    import django

    django.setup()
