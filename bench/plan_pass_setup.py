"""The planning-pass benchmark's database set-up, before Django reads its settings (also used
by bench/scale.py): a fresh SQLite or PostgreSQL database, Django on it, and the code
measured."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Database:
    label: str
    url: str
    cleanup: Callable[[], None]


def fresh_database(tmp: Path) -> Database:
    """A new, empty database: a temp SQLite file, or a new PostgreSQL database created next to
    the one DATABASE_URL names (dropped by ``cleanup``)."""
    given = os.environ.get("DATABASE_URL", "")
    if not given:
        return Database("SQLite", f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None)
    parts = urlsplit(given)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"DATABASE_URL must be PostgreSQL (or unset for SQLite), not "
                         f"{parts.scheme}://")
    import psycopg

    name = f"settle_bench_{os.getpid()}"
    with psycopg.connect(given, autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()[0]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(given, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return Database(f"PostgreSQL {version.split()[0]}",
                    urlunsplit(parts._replace(path=f"/{name}")), drop)


def setup_django(url: str, tmp: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["SETTLE_VAR_DIR"] = str(tmp)  # never the working var/ directory
    os.environ["DATABASE_URL"] = url
    # DEBUG would keep every query in memory during seeding; the timed run captures its own.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def code_version() -> str:
    """The commit measured, and the app files changed since (a benchmark of a moving tree)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "clients", "config",
             "core", "receivables", "reminders"],
            capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return f"code in {ROOT} (not a git checkout)"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"code at {head}" + (f" + uncommitted changes to {', '.join(changed)}"
                                if changed else "")
