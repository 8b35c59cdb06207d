"""What the reminder engine would send over the next days — read-only, nothing is written.

It replays the planner day by day from the current state, adds what already waits in the
outbox, and applies the dispatcher's rules (one message per client covering every invoice then
due, the contact policy), so the forecast is what the ticks will do.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q

from clients.models import InteractionKind
from core import calendar as cal
from core import planner
from receivables.models import ACTIVE_STATUSES, Invoice
from reminders import selectors
from reminders.dispatch import (
    contact_policy,
    escalates,
    floor_voice,
    lead_step,
    sent_days_of,
    speaks_at_floor,
    tone_floors,
)
from reminders.models import Reminder, ReminderStatus, StepAction

Entries = dict[tuple[int, int, str, str], dict[str, Any]]  # (client, step, local day, currency)


log = logging.getLogger(__name__)

PRIVATE = ("_client", "_sends", "_step", "_due", "_currency", "_items")


def forecast(*, now: datetime, days: int, batch_size: int = 1000, limit: int | None = None,
             client_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """One entry per message or task, in send order; ``why`` says what moved it, if anything
    did (a pause, a promise, a hold after a personal contact, the contact policy).

    Only invoices whose next action falls inside the window (or is not known yet) can produce
    an entry, so only those are replayed. ``limit`` replays at most that many, the soonest
    first (a page that must answer quickly on a large book; the CLI replays them all).
    ``client_ids`` replays only those clients (the same entries as the whole book's for them:
    every rule is per client)."""
    result = _entries(now=now, days=days, batch_size=batch_size, limit=limit,
                      client_ids=client_ids)
    for entry in result:
        for private in PRIVATE:
            entry.pop(private)
    return result


def next_by_invoice(client_ids: Collection[int], now: datetime, days: int = 60
                    ) -> dict[int, dict[str, Any]]:
    """Invoice id → the first message or task the ticks will make about it within ``days``,
    as the forecast says (the client page and the worklist show it: one truth)."""
    found: dict[int, dict[str, Any]] = {}
    for entry in _entries(now=now, days=days, client_ids=client_ids):
        for _number, _due, pk in entry["_items"]:
            found.setdefault(pk, entry)
    return found


def _entries(*, now: datetime, days: int, batch_size: int = 1000, limit: int | None = None,
             client_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    book = selectors.CadenceBook()
    end = now + timedelta(days=days)
    entries: Entries = {}
    _waiting(entries, now, end, client_ids)
    due = (Invoice.objects.filter(status__in=ACTIVE_STATUSES, balance__gt=0)
           .filter(Q(next_action_at__isnull=True) | Q(next_action_at__lte=end)))
    if client_ids is not None:
        due = due.filter(client_id__in=list(client_ids))
    if limit is not None:
        due = due.order_by(F("next_action_at").asc(nulls_first=True), "pk")[:limit]
    ids = sorted(due.values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = selectors.load_planning_batch(ids[start:start + batch_size])
        contacts = selectors.personal_contacts(batch["clients"], now)
        batch["contacts"] = {pk: at for pk, (at, _kind) in contacts.items()}
        batch["contact_kinds"] = {pk: kind for pk, (_at, kind) in contacts.items()}
        for invoice in batch["invoices"]:
            try:
                _simulate(invoice, batch, book, now, end, entries)
            except Exception:  # as the tick does: one unplannable invoice never hides the rest
                log.exception("Could not forecast invoice %s", invoice.number)
    # What the contact policy moves past the window is not in it.
    return [e for e in _contact_policy(list(entries.values()), now, book)
            if datetime.fromisoformat(e["send_at"]) <= end]


def _waiting(entries: Entries, now: datetime, end: datetime,
             client_ids: Collection[int] | None) -> None:
    """Reminders already planned and waiting in the outbox."""
    rows = (Reminder.objects.filter(status=ReminderStatus.SCHEDULED, scheduled_for__lte=end)
            .select_related("client", "invoice", "step__cadence", "instalment"))
    if client_ids is not None:
        rows = rows.filter(client_id__in=list(client_ids))
    for row in rows:
        _add(entries, row.client, row.invoice, row.step, row.channel,
             max(row.scheduled_for, now), due=row.instalment.due_date if row.instalment
             else row.invoice.due_date)


def _simulate(invoice: Invoice, batch: dict[str, Any], book: selectors.CadenceBook,
              now: datetime, end: datetime, entries: Entries) -> None:
    client = batch["clients"][invoice.client_id]
    tags = frozenset(t.name for t in client.tags.all())
    cadence = book.cadence_for(client.pk, tags)
    steps = book.steps.get(cadence.pk, ()) if cadence else ()
    spec = selectors.client_spec(client, tags, selectors.hold_until(
        client, cadence, batch["contacts"].get(client.pk)))
    planned = set(batch["planned"][invoice.pk])
    unit = selectors.planning_unit(invoice, batch, book, steps, planned)
    if unit.spec is None:
        return
    if unit.instalment_id is not None:
        planned = set(unit.spec.planned_step_ids)
    cursor = now
    # A legal notice waiting in the outbox goes out when it is due (as the tick will send it).
    notice_sent_on = unit.spec.notice_sent_on
    if notice_sent_on is None and (due := batch["notice_due"].get(invoice.pk)) is not None:
        notice_sent_on = client.local_today(max(due, now))
    why = ""
    while cursor <= end:
        result = planner.plan(replace(unit.spec, planned_step_ids=frozenset(planned),
                                      notice_sent_on=notice_sent_on), spec, unit.steps, cursor)
        # A plan with a due step always has its send time (planner.plan).
        if (result.due_step is not None and result.send_at is not None
                and result.send_at <= end):
            _add(entries, client, invoice, book.step_rows[result.due_step.id], result.channel,
                 result.send_at, due=unit.spec.due_date, why=why)
            why = ""  # what held this step back does not explain the next one
            planned.add(result.due_step.id)
            planned.update(result.skipped_step_ids)
            if result.due_step.legal_notice:
                notice_sent_on = client.local_today(result.send_at)
            continue
        if result.next_action_at is None or result.next_action_at > end:
            return
        why = _why(result.stop, invoice, spec, batch, client.local_today(cursor)) or why
        cursor = max(result.next_action_at, cursor + timedelta(minutes=1))


def _day(value: date) -> str:
    return f"{value.day} {value:%b}"


def _why(stop: planner.Stop | None, invoice: Invoice, spec: planner.ClientSpec,
         batch: dict[str, Any], today: date) -> str:
    """What holds the invoice's next step back, in the bookkeeper's words."""
    if stop == planner.Stop.HELD:
        kind = batch["contact_kinds"].get(invoice.client_id, "")
        at = batch["contacts"].get(invoice.client_id)
        label = InteractionKind(kind).label.lower() if kind else "personal contact"
        client = batch["clients"][invoice.client_id]
        return f"held: {label} logged {_day(client.local_today(at))}" if at else "held"
    if stop == planner.Stop.PAUSED:
        until = max(d for d in (spec.paused_until, invoice.reminders_paused_until)
                    if d is not None and d >= today)
        return f"paused until {_day(until)}"
    if stop == planner.Stop.PROMISED and invoice.promised_until:
        return f"promised by {_day(invoice.promised_until)}"
    return ""


def _add(entries: Entries, client: Any, invoice: Invoice, step: Any, channel: str | None,
         when: datetime, *, due: date, why: str = "") -> None:
    send_at = when.astimezone(ZoneInfo(client.timezone))
    key = (client.pk, step.pk, send_at.date().isoformat(), invoice.currency)
    entry = entries.setdefault(key, {
        "client": client.display_name, "client_reference": client.reference, "invoices": [],
        "step": step.name, "channel": channel, "send_at": send_at, "language": client.language,
        "tone": step.tone, "why": why, "_client": client, "_step": step, "_due": [],
        "_currency": invoice.currency, "_items": [],
        "_sends": StepAction.SEND_MESSAGE in step.actions})
    entry["_due"].append(due)
    entry["_items"].append((invoice.number, due, invoice.pk))
    entry["why"] = entry["why"] or why
    if invoice.number not in entry["invoices"]:
        entry["invoices"].append(invoice.number)
    entry["send_at"] = min(entry["send_at"], send_at)


def _contact_policy(entries: list[dict[str, Any]], now: datetime,
                    book: selectors.CadenceBook) -> list[dict[str, Any]]:
    """As the dispatcher does: messages to a client due at the same moment are one message,
    covering every invoice then due whatever its currency, in the most advanced step's
    words — a contact waits for the client's cadence policy after the ones before it (those
    already sent included) — and never in a gentler tone than the episode already took."""
    out: list[dict[str, Any]] = []
    clients = {e["_client"].pk: e["_client"] for e in entries if e["_sends"]}
    days: dict[int, list[date]] = {pk: list(found) for pk, found in
                                   sent_days_of(clients.values(), now).items()}
    floors = tone_floors(clients)
    # Each client's contacts are worked out on their own (nothing here ties two clients): the
    # work grows with the largest client's entries, not with the whole page's.
    by_client: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_client[entry["_client"].pk].append(entry)
    for own in by_client.values():
        out += _client_contacts(own, days, floors, book)
    out.sort(key=lambda e: (e["send_at"], e["client"]))
    for entry in out:
        entry["send_at"] = entry["send_at"].isoformat()
    return out


def _client_contacts(entries: list[dict[str, Any]], days: dict[int, list[date]],
                     floors: dict[int, int], book: selectors.CadenceBook
                     ) -> list[dict[str, Any]]:
    """``_contact_policy`` for one client's entries (``days`` and ``floors`` updated)."""
    pending = sorted(entries, key=lambda e: (e["send_at"], e["client"]))
    out: list[dict[str, Any]] = []
    while pending:
        entry = pending.pop(0)
        if _one_escalation(entry, pending):
            continue
        if not entry["_sends"]:
            out.append(entry)
            continue
        client, when = entry["_client"], entry["send_at"]
        group = [entry, *(e for e in pending if e["_sends"] and e["_client"].pk == client.pk
                         and e["send_at"] == when)]
        pending = [e for e in pending if not any(e is g for g in group)]
        group = _fresh_on(group, when.date())
        if not group:
            continue
        lead = lead_step(e["_step"] for e in group)
        allowed = planner.next_message_day(tuple(days.setdefault(client.pk, [])), when.date(),
                                           policy=contact_policy(lead.cadence))
        if allowed > when.date():
            day = cal.next_business_day(allowed, client.country)
            moved = planner.send_time(day, when, selectors.timing_spec(client))
            group = _fresh_on(group, day)
            last = max(days[client.pk])
            for e in group:
                e["send_at"] = moved
                e["why"] = (f"contact policy: the last message went out on {_day(last)}"
                            if last > when.date() - timedelta(days=30) else e["why"])
            pending = sorted([*pending, *group], key=lambda e: (e["send_at"], e["client"]))
            continue
        message = _at_floor(group, floors.get(client.pk, 0), when.date(), book)
        if message is None:
            continue
        days[client.pk].append(when.date())
        floors[client.pk] = max(floors.get(client.pk, 0),
                                planner.TONE_RANK.get(message["tone"], 0))
        out.append(message)
    return out


def _one_escalation(entry: dict[str, Any], pending: list[dict[str, Any]]) -> bool:
    """As the dispatcher does: of the escalating steps due for a client at one moment, only
    the most advanced goes; the others move to the next business day (back into
    ``pending``). True when ``entry`` itself moved."""
    client, when = entry["_client"], entry["send_at"]
    same = [entry, *(e for e in pending if e["_client"].pk == client.pk
                     and e["send_at"] == when)]
    steps = {e["_step"] for e in same if escalates(e["_step"])}
    if len(steps) < 2:
        return False
    top = max(steps, key=lambda s: (s.offset_days, s.pk))
    day = cal.next_business_day(when.date() + timedelta(days=1), client.country)
    moved = planner.send_time(day, when, selectors.timing_spec(client))
    later = [e for e in same if escalates(e["_step"]) and e["_step"] != top]
    for e in later:
        e["send_at"] = moved
        e["why"] = e["why"] or "one escalation a day: the more advanced step goes first"
    moved_self = any(e is entry for e in later)
    if moved_self:
        pending.append(entry)
    pending.sort(key=lambda e: (e["send_at"], e["client"]))
    return moved_self


def _overdue_only(entry: dict[str, Any], day: date, country: str) -> bool:
    """Keep only the entry's overdue invoices; False when none is left."""
    items = [item for item in entry["_items"] if planner.overdue_on(item[1], day, country)]
    entry["_items"], entry["invoices"] = items, [item[0] for item in items]
    return bool(items)


def _fresh_on(group: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """The group held until ``day``, without the invoices whose pre-due steps would then be
    untrue (the dispatcher drops them)."""
    fresh = []
    for entry in group:
        country = entry["_client"].country
        items = [item for item in entry["_items"]
                 if not planner.stale_on(entry["_step"].offset_days, item[1], day, country)]
        if items:
            entry["_items"], entry["invoices"] = items, [item[0] for item in items]
            fresh.append(entry)
    return fresh


def _at_floor(group: list[dict[str, Any]], floor: int, day: date,
              book: selectors.CadenceBook) -> dict[str, Any] | None:
    """One message for the group, as the dispatcher words it: the invoices whose steps are
    gentler than the episode's floor go out in the floor's words if overdue, else not at all;
    None when nothing is left to say."""
    cadence_id = group[0]["_step"].cadence_id
    voice = floor_voice([s for s in book.step_rows.values() if s.cadence_id == cadence_id],
                        floor)
    country = group[0]["_client"].country
    kept = []
    for entry in group:
        items = [item for item in entry["_items"] if speaks_at_floor(
            entry["_step"], item[1], floor, voice, day, country)]
        if items:
            entry["_items"], entry["invoices"] = items, [item[0] for item in items]
            kept.append(entry)
    if not kept:
        return None
    if lead_step(e["_step"] for e in kept).legal_notice:  # it names only what is overdue
        kept = [e for e in kept if _overdue_only(e, day, country)]
    message = kept[0]
    for other in kept[1:]:
        _merge(message, other)
    if voice is not None and planner.TONE_RANK.get(voice.tone, 0) > planner.TONE_RANK.get(
            message["_step"].tone, 0):
        message.update(step=voice.name, tone=voice.tone, _step=voice)
    return message

def _merge(into: dict[str, Any], entry: dict[str, Any]) -> None:
    """One message for both: every invoice, the lead step's name, tone and channel."""
    for number in entry["invoices"]:
        if number not in into["invoices"]:
            into["invoices"].append(number)
    into["_due"] = into["_due"] + entry["_due"]
    into["_items"] = into["_items"] + entry["_items"]
    into["why"] = into["why"] or entry["why"]
    lead = lead_step([into["_step"], entry["_step"]])
    if lead is entry["_step"]:
        into.update(step=entry["step"], tone=entry["tone"], channel=entry["channel"],
                    _step=entry["_step"])
