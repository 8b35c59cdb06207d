"""Work started in several threads at the same instant, each on its own database connection:
for tests that two requests, webhooks or dispatchers racing each other still act once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(work: Callable[[], Any], times: int = 2, timeout: float = 30) -> list[Any]:
    """Run ``work`` in ``times`` threads released together; their results or exceptions."""
    barrier = threading.Barrier(times)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except Exception as exc:  # reported to the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
