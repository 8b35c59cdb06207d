"""The embedded broker of `make run`: kombu's SQLAlchemy transport on a SQLite file of its own.

Messages are rows, written and taken in SQLite transactions, so a crash or two processes racing
can never leave half a message behind. Before a worker or beat starts using it,
``prepare_embedded_broker`` (under a file lock, so processes starting together don't race to
create the tables) switches the file to write-ahead logging (readers and the writer don't block
each other), lets kombu create its tables, and deletes the messages already delivered, which the
transport keeps as invisible rows. Nothing here runs for another broker (Redis in production).
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path

from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

EMBEDDED_PREFIX = "embedded+sqlite:///"


class EmbeddedTransport(SQLAlchemyTransport):  # type: ignore[misc]
    """kombu's SQLAlchemy transport, polled four times a second: its default second is as
    long as the shortest tick, and a tick that waits longer than a tick expires unrun."""

    polling_interval = 0.25


# `embedded+sqlite:///path` names this transport (kombu resolves URL schemes by alias).
TRANSPORT_ALIASES.setdefault("embedded", "config.broker:EmbeddedTransport")


def embedded_broker_file(url: str) -> Path | None:
    """The SQLite file of an embedded broker URL, or None for any other broker."""
    if not url.startswith(EMBEDDED_PREFIX):
        return None
    return Path(url.removeprefix(EMBEDDED_PREFIX))


def prepare_embedded_broker(url: str, transport_options: dict[str, object],
                            queue: str = "celery") -> None:
    path = embedded_broker_file(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with sqlite3.connect(path, timeout=30) as db:
            db.execute("PRAGMA journal_mode=WAL")
        with Connection(url, transport_options=transport_options) as connection:
            # Declaring the queue makes the transport create its tables.
            connection.default_channel.queue_declare(queue=queue)
        with sqlite3.connect(path, timeout=30) as db:
            db.execute("DELETE FROM kombu_message WHERE visible = 0")
