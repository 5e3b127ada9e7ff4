"""Scratch databases for the benchmarks: a SQLite file, and a PostgreSQL database created and dropped per use."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = os.environ.get("RATAURA2_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A SQLite file in a folder of its own, removed after use."""
    with tempfile.TemporaryDirectory(prefix="rataura2-bench-", ignore_cleanup_errors=True) as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database on the local PostgreSQL server; raises if the server is not reachable."""
    name = f"rataura2_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def stores() -> Iterator[dict[str, str]]:
    """A SQLite file and a PostgreSQL database for one run of the benchmarks, by store name (each section keeps
    to conversations and sessions of its own in them)."""
    with sqlite_database() as sqlite, postgres_database() as postgres:
        yield {"SQLite": sqlite, "PostgreSQL": postgres}
