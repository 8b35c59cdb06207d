"""The hand-off to providers, several at once.

A provider call is I/O (an ESP or Twilio answers in 50 to 300 ms): a worker that waited for each
in turn would send a handful of messages a second. Dispatch composes a chunk's messages,
moves their rows to ``sending`` (the at-most-once mark), and hands them here: up to
``SETTLE_SEND_CONCURRENCY`` calls run at once in threads, each channel kept to its rate
(``SETTLE_SEND_RATE``, messages per second in this process). The threads only call the
provider (a channel's ``send`` reads the message it is given and the cached sender): the
outcome of every call comes back in order and dispatch records it, on the worker's own
connection.

A provider that answers 429 (too many requests) pauses its channel for its Retry-After: the
calls not made yet come back as ``TransientError`` with ``retry_after`` and are rescheduled
then, without counting as a failed attempt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings

from reminders.channels.base import ChannelError, Handover, TransientError

T = TypeVar("T")

# A pause longer than this is not waited out inside a hand-off: the calls left are
# rescheduled for when the provider takes messages again.
MAX_WAIT_SECONDS = 5.0


class RateLimit:
    """Messages per second for one channel in this process (a token bucket of one second's
    burst), and the pause a provider's 429 asked for. Thread-safe."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_second = per_second
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0  # the earliest moment the next call may start
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)

    def acquire(self) -> float:
        """Wait for this call's turn; returns the seconds still to wait when the channel is
        paused for longer than ``MAX_WAIT_SECONDS`` (the call is not made), else 0."""
        with self._lock:
            now = self.clock()
            if self._paused_until - now > MAX_WAIT_SECONDS:
                return self._paused_until - now
            start = max(now, self._next, self._paused_until)
            if self.per_second > 0:
                self._next = max(start, self._next) + 1.0 / self.per_second
        if start > now:
            self.sleep(start - now)
        return 0.0


_limits: dict[str, RateLimit] = {}
_limits_lock = threading.Lock()


def reset_rate_limits() -> None:
    """Forget every channel's pace and pause (a new process starts this way; tests too)."""
    with _limits_lock:
        _limits.clear()


def rate_limit(channel: str) -> RateLimit:
    """The process's limit for ``channel`` (from ``SETTLE_SEND_RATE``)."""
    with _limits_lock:
        rate = float(settings.SETTLE_SEND_RATE.get(channel, 0) or 0)
        found = _limits.get(channel)
        if found is None or found.per_second != rate:
            found = _limits[channel] = RateLimit(rate)
        return found


def hand_off(items: Sequence[T], channel_of: Callable[[T], str],
             send: Callable[[T], Handover]) -> list[Handover | ChannelError]:
    """Call ``send`` for every item, up to ``SETTLE_SEND_CONCURRENCY`` at once, each channel
    within its rate; the outcomes (a ``Handover`` or the ``ChannelError`` raised) in the
    items' order. Any other exception is the caller's bug and propagates."""

    def one(item: T) -> Handover | ChannelError:
        limit = rate_limit(channel_of(item))
        wait = limit.acquire()
        if wait:
            return TransientError(f"The provider asked us to slow down; trying again in "
                                  f"{wait:.0f} s.", retry_after=wait)
        try:
            return send(item)
        except TransientError as exc:
            if exc.retry_after:
                limit.pause(exc.retry_after)
            return exc
        except ChannelError as exc:
            return exc

    workers = max(1, min(int(settings.SETTLE_SEND_CONCURRENCY), len(items)))
    if workers == 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="settle-send") as pool:
        return list(pool.map(one, items))
