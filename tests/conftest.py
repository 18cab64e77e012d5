"""Shared fixtures: users in each role, sources, a ready-made incident, the seed data."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User

from incidents import services
from incidents.models import Incident, Source, SourceKind
from incidents.roles import ensure_role_groups
from incidents.seed import SEED_DIR, load_seed
from mapping import gazetteer
from mapping.loader import load_gazetteer
from mapping.models import Place, PlaceKind, PlaceOrigin
from tests.dbsnapshot import Snapshot

MIRROR_ALIAS = "replica_1"


def pytest_configure(config: pytest.Config) -> None:
    """Give this run's PostgreSQL test database a name of its own.

    Two runs against one server (two checkouts, or CI beside a developer) would otherwise
    both use ``test_<name>`` and drop each other's database. The name is chosen once, by
    the process that starts the run; pytest-xdist's workers inherit it through the
    environment and add their own ``_gw0``, ``_gw1`` suffix.
    """
    from django.conf import settings

    run = os.environ.setdefault("TEST_RUN_ID", f"{os.getpid()}_{secrets.token_hex(3)}")
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        database.setdefault("TEST", {})
        database["TEST"]["NAME"] = f"test_{database['NAME']}_{run}"
    # A replica for the tests of read routing (tests/test_replicas.py): Django's test mirror
    # of the primary, so no second server is needed. Nothing reads from it unless a test
    # lists it in DATABASE_REPLICAS, as DATABASE_REPLICA_URLS does when deployed.
    if MIRROR_ALIAS not in settings.DATABASES:
        settings.DATABASES[MIRROR_ALIAS] = {
            **{k: v for k, v in database.items() if k != "TEST"},
            "TEST": {"MIRROR": "default"},
        }


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """pytest-django's test databases; on SQLite, also saved as migrated for the tests that
    start processes (tests/processes.py), before any test has written to them."""
    from tests.processes import save_pristine_sqlite

    with django_db_blocker.unblock():
        save_pristine_sqlite(tmp_path_factory)


@pytest.fixture(autouse=True)
def _fresh_gazetteer_index() -> None:
    # A rolled-back test leaves no signal behind: start every test from the table.
    gazetteer.invalidate()


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any) -> None:
    # Where a test is not about processes, a job runs as soon as it is queued, in the test's
    # own process and transaction. Tests of real workers (tests/test_jobs_worker.py) start
    # processes, which use the configured database backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, group: str | None = None, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username, password="pw-" + username, is_staff=True, **extra
    )
    if group:
        if not Group.objects.filter(name=group).exists():
            # A live-server test flushes the tables, groups included: make them again.
            ensure_role_groups(django_apps)
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh, so permission caches are empty


@pytest.fixture
def researcher(db: None) -> User:
    return _user("rita", "Researcher")


@pytest.fixture
def reviewer(db: None) -> User:
    return _user("victor", "Reviewer")


@pytest.fixture
def superuser(db: None) -> User:
    return _user("ada", is_superuser=True)


@pytest.fixture
def source(db: None) -> Source:
    return services.source_create(
        user=None,
        slug="monitor-report",
        publisher="A monitor",
        headline="Monthly report",
        kind=SourceKind.MONITOR_REPORT,
    )


@pytest.fixture
def news_source(db: None) -> Source:
    return services.source_create(
        user=None,
        slug="news-article",
        publisher="A newspaper",
        headline="An article",
        kind=SourceKind.NEWS_ARTICLE,
    )


@pytest.fixture
def governorate(db: None) -> Place:
    return Place.objects.create(
        slug="latakia-governorate",
        name="Latakia Governorate",
        name_ar="محافظة اللاذقية",
        kind=PlaceKind.GOVERNORATE,
        latitude=35.53,
        longitude=35.79,
        origin=PlaceOrigin.CURATED,
        origin_note="A test entry at the position of Latakia city.",
    )


def incident_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Shelling of a market",
        "title_ar": "قصف سوق",
        "event_type": "shelling",
        "date_start": dt.date(2025, 3, 7),
        "date_end": dt.date(2025, 3, 7),
        "latitude": 35.36,
        "longitude": 35.93,
        "place_name": "Jableh market",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def incident(source: Source, researcher: User) -> Incident:
    return services.incident_create(
        user=researcher,
        claims=[{"source": source, "killed_min": 12, "quote": "At least 12 people were killed."}],
        **incident_fields(),
    )


def _load_seed_files() -> None:
    for path in sorted(SEED_DIR.glob("*.json")):
        load_seed(path)


# Loaded for real by the first test of each process that asks, copied in for the others
# (see tests/dbsnapshot.py). Keys start far above anything a test makes on its own.
_GAZETTEER = Snapshot("gazetteer", load_gazetteer, base=10_000_000)
_SEED = Snapshot("seed", _load_seed_files, base=20_000_000)


@pytest.fixture
def gazetteer_loaded(db: None) -> bool:
    """The gazetteer, as ``manage.py load_gazetteer`` writes it. True when copied."""
    copied = _GAZETTEER.apply()
    gazetteer.invalidate()
    return copied


@pytest.fixture
def seeded(gazetteer_loaded: bool) -> None:
    """The gazetteer and the seed data set, as ``make seed`` writes them."""
    if gazetteer_loaded:
        _SEED.apply()
    else:
        # The seed's rows point at the captured gazetteer's keys: load it for real.
        _load_seed_files()
    gazetteer.invalidate()


@pytest.fixture(autouse=True, scope="session")
def _in_process_cache() -> Iterator[None]:
    """In-process tests count in a local-memory cache: what they test does not depend on
    processes, and they then need neither Redis nor files. Tests that start server
    processes (tests/test_processes_throttling.py) run the real configuration."""
    from django.test import override_settings

    local = {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": alias,
        }
        for alias in ("default", "answers")
    }
    with override_settings(CACHES=local):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """API throttles count requests in the cache, and public answers are kept there; each
    test starts with none counted and none kept."""
    from django.core.cache import caches

    for alias in ("default", "answers"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def evidence_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every test keeps evidence files in a folder of its own, never under var/."""
    root = tmp_path_factory.mktemp("evidence")
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root
