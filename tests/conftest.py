"""Fixtures: a fresh database per test, on SQLite and on the local PostgreSQL server.

PostgreSQL tests use a database of their own, created for the run and dropped after it. Outside CI they skip
when the server is not reachable; in CI (CI=true) an unreachable server is a failure, never a skip.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from rataura2.db.session import Database, init_db
from rataura2.persistence.leases import Leases

ADMIN_URL = os.environ.get("RATAURA2_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The URL of a database created for this test run on the local PostgreSQL server."""
    name = f"rataura2_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is down or refuses us
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {ADMIN_URL} is needed in CI and is not usable: {exc}")
        pytest.skip(f"PostgreSQL at {ADMIN_URL} is not usable: {exc}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _stop_lease_keepers_left_on(url: str) -> None:
    """Close the session leases that stores of earlier tests left on this database. A store dropped without
    closing keeps its advisory-lock connection until it is collected, and some never are (an async store's writer
    thread holds it; a failed test's traceback holds its frames until the next test runs). Cut off instead, its
    heartbeat would find the connection lost and lock its sessions' pks again, in this test's fresh tables."""
    gc.collect()
    database = make_url(url).database
    for leases in [o for o in gc.get_objects() if isinstance(o, Leases)]:
        if leases.advisory and leases.engine.url.database == database:
            leases.close()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        if conn.execute(text(f"SELECT count(*) {others}")).scalar_one():
            _stop_lease_keepers_left_on(url)
            conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, then the PostgreSQL test database (emptied)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rataura2.db'}"
    url: str = request.getfixturevalue("postgres_server_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[Database]:
    with init_db(database_url) as database:
        yield database


@pytest.fixture
def db(sessions: Database) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Session]:
    """A SQLite database only, for tests whose subject is not the database."""
    factory = init_db(f"sqlite:///{tmp_path / 'core.db'}")
    with factory() as session:
        yield session
    factory.dispose()
