"""The dispatcher's rules, in memory, for the demo book's history; the planner's come from
``core.planner`` itself.

The demo package sits below the reminder engine (``receivables`` is a lower layer than
``reminders``, see the import-linter contracts), so it cannot call the dispatcher; as
``bookkeeping.Ledger`` mirrors receivables.services, this module mirrors the rules of
``reminders.dispatch`` that the history needs, with the same names: ``lead_step``,
``floor_voice``, ``speaks_at_floor``, ``escalates``. What to plan and when is the pure planner
(``core.planner``: ``plan``, ``step_day``, ``send_time``, ``next_message_day``, ...), the
same function the engine calls; what it reads from the database (cadences, business hours)
comes in as plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo

from core.planner import TONE_RANK, StepSpec, overdue_on

SEND_MESSAGE = "send_message"
ESCALATING = frozenset({"hand_to_collections", "mark_escalated"})


@dataclass(frozen=True)
class Step:
    """A cadence step with what the dispatcher reads of it (``spec`` is what the planner
    reads)."""

    spec: StepSpec
    name: str
    template_key: str
    tone: str
    actions: tuple[str, ...]
    cadence_id: int

    @property
    def id(self) -> int:
        return self.spec.id

    @property
    def pk(self) -> int:  # the CadenceStep row's id, for a foreign key
        return self.spec.id

    @property
    def offset_days(self) -> int:
        return self.spec.offset_days

    @property
    def legal_notice(self) -> bool:
        return self.spec.legal_notice

    @property
    def sends(self) -> bool:
        return SEND_MESSAGE in self.actions

    @property
    def rank(self) -> int:
        return TONE_RANK.get(self.tone, 0)


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --- The dispatcher's rules -----------------------------------------------------------------


def escalates(step: Step) -> bool:
    """dispatch.escalates: a legal notice or a step that escalates."""
    return step.legal_notice or bool(ESCALATING & set(step.actions))


def lead_step(steps: Iterable[Step]) -> Step:
    """dispatch.lead_step: the most advanced step (tone, then day)."""
    return max(steps, key=lambda s: (s.rank, s.offset_days, s.id))


def floor_voice(steps: Iterable[Step], floor: int) -> Step | None:
    """dispatch.floor_voice: the latest ordinary message step in the floor's tone."""
    found = [s for s in steps if s.sends and not s.legal_notice and s.rank == floor]
    return max(found, key=lambda s: (s.offset_days, s.id), default=None)


def speaks_at_floor(step: Step, due: date, floor: int, voice: Step | None, today: date,
                    country: str) -> bool:
    """dispatch.speaks_at_floor."""
    if step.rank >= floor:
        return True
    return voice is not None and overdue_on(due, today, country)
