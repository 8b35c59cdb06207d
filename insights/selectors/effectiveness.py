"""How reminders perform: per cadence step, channel, template and language, what was sent,
delivered, opened and clicked, and how soon the reminded invoices were paid (two queries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.contact import LANGUAGES
from receivables.models import InvoiceStatus, PaymentAllocation
from reminders.models import MessageStatus, Reminder, ReminderStatus, TemplateChannel

CONVERSION_DAYS = 7  # "paid in full within a week of the reminder"
TOO_FEW_TO_JUDGE = 20  # below this many reminders a rate says more about luck than the step

LOCAL_PROVIDER = "local"
# Providers that never report what became of a message: "local" (no credentials: the message
# stayed in Settle) and the print queue (nobody tracks a posted letter). Their messages are left
# out of delivery, open and click rates, and "local" ones are counted on their own.
SILENT_PROVIDERS = ("", LOCAL_PROVIDER, "print_queue")
# A message's status only moves forward (``STATUS_RANK``), so a later status implies the earlier
# ones: an opened or clicked email was delivered, and a spam complaint needs a delivered message.
DELIVERED_STATUSES = (MessageStatus.DELIVERED, MessageStatus.OPENED, MessageStatus.CLICKED,
                      MessageStatus.COMPLAINED)
OPENED_STATUSES = (MessageStatus.OPENED, MessageStatus.CLICKED)


@dataclass(frozen=True)
class Rate:
    """``hits`` out of ``out_of``; the percentage is None when nothing could be counted."""

    hits: int
    out_of: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.out_of, 1) if self.out_of else None


@dataclass
class Counts:
    """What happened after the reminders of one group. Every field adds up across groups
    (a consolidated message carries one step's reminders of one client, so it never straddles
    two cells of step x channel x language)."""

    reminders: int = 0
    messages: int = 0
    kept_locally: int = 0
    tracked: int = 0  # messages at a provider that reports delivery
    delivered: int = 0
    emails_delivered: int = 0
    opened: int = 0
    clicked: int = 0
    judged: int = 0  # reminders whose week to pay has passed
    converted: int = 0  # ... and whose invoice was settled within it
    days_to_pay: Counter[int] = field(default_factory=Counter)  # days → reminders paid

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            if name != "days_to_pay":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days_to_pay.update(other.days_to_pay)


def median_of(histogram: Counter[int]) -> float | None:
    """The median of the values a histogram counts, without expanding it into rows."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = ((total - 1) // 2, total // 2)  # the same position twice when ``total`` is odd
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(value)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


@dataclass(frozen=True)
class EffectRow:
    """One line of an effectiveness table: a step, a channel, a template or a language."""

    key: str
    label: str
    counts: Counts

    @property
    def delivery(self) -> Rate:
        return Rate(self.counts.delivered, self.counts.tracked)

    @property
    def opens(self) -> Rate:
        return Rate(self.counts.opened, self.counts.emails_delivered)

    @property
    def clicks(self) -> Rate:
        return Rate(self.counts.clicked, self.counts.emails_delivered)

    @property
    def conversion(self) -> Rate:
        return Rate(self.counts.converted, self.counts.judged)

    @property
    def paid(self) -> int:
        return sum(self.counts.days_to_pay.values())

    @property
    def median_days_to_pay(self) -> float | None:
        return median_of(self.counts.days_to_pay)

    @property
    def too_few(self) -> bool:
        return self.counts.reminders < TOO_FEW_TO_JUDGE


@dataclass(frozen=True)
class Effectiveness:
    since: datetime
    judged_before: datetime  # reminders sent before this had their full week to be paid
    total: EffectRow
    by_step: list[EffectRow]
    by_channel: list[EffectRow]
    by_template: list[EffectRow]
    by_language: list[EffectRow]


@dataclass(frozen=True)
class _Cell:
    """The finest grain the queries count at; every table rolls these up."""

    step_id: int
    step: str
    cadence: str
    offset_days: int
    template_key: str
    channel: str
    language: str
    counts: Counts = field(default_factory=Counts, compare=False)


_CELL_KEY = ("step_id", "message__channel", "message__language")
CellKey = tuple[int, str, str]


def _sent_reminders(*, since: datetime, now: datetime, currency: str | None
                    ) -> QuerySet[Reminder]:
    """Reminders that went out in the period with a message (a call task has none)."""
    qs = Reminder.objects.filter(status=ReminderStatus.SENT, message__isnull=False,
                                 sent_at__gte=since, sent_at__lte=now)
    if currency:
        qs = qs.filter(invoice__currency=currency)
    return qs.order_by()


def _message_counts(qs: QuerySet[Reminder], judged_before: datetime) -> dict[CellKey, _Cell]:
    """Query 1: reminders and their (distinct) messages per step x channel x language."""
    tracked = ~Q(message__provider__in=SILENT_PROVIDERS)
    delivered = tracked & Q(message__status__in=DELIVERED_STATUSES)
    email = delivered & Q(message__channel=TemplateChannel.EMAIL)

    def messages(condition: Q | None = None) -> Count:
        return Count("message", distinct=True, filter=condition)

    rows = qs.values(*_CELL_KEY, "step__name", "step__cadence__name", "step__offset_days",
                     "step__template_key").annotate(
        n_reminders=Count("id"), n_judged=Count("id", filter=Q(sent_at__lt=judged_before)),
        n_messages=messages(), n_kept_locally=messages(Q(message__provider=LOCAL_PROVIDER)),
        n_tracked=messages(tracked), n_delivered=messages(delivered),
        n_emails_delivered=messages(email),
        n_opened=messages(email & Q(message__status__in=OPENED_STATUSES)),
        n_clicked=messages(email & Q(message__status=MessageStatus.CLICKED)))
    cells = {}
    for row in rows:
        counts = Counts(**{name: row[f"n_{name}"] for name in (
            "reminders", "judged", "messages", "kept_locally", "tracked", "delivered",
            "emails_delivered", "opened", "clicked")})
        cells[(row["step_id"], row["message__channel"], row["message__language"])] = _Cell(
            step_id=row["step_id"], step=row["step__name"], cadence=row["step__cadence__name"],
            offset_days=row["step__offset_days"], template_key=row["step__template_key"],
            channel=row["message__channel"], language=row["message__language"], counts=counts)
    return cells


def _days_to_pay(qs: QuerySet[Reminder], judged_before: datetime) -> list[dict[str, Any]]:
    """Query 2: for reminders with their week behind them whose invoice is now paid, how many
    days after the reminder it was settled, counted per cell and day count (a histogram, so the
    rows grow with the days paid after, never with the book).

    The settling day is the last payment's ``received_on``: the day the money that finished
    the invoice arrived, compared with the reminder's day in the site's time zone."""
    settled_on = Subquery(PaymentAllocation.objects.filter(invoice=OuterRef("invoice_id"))
                          .order_by("-payment__received_on")
                          .values("payment__received_on")[:1])
    wait = ExpressionWrapper(F("settled_on") - F("sent_on"), output_field=DurationField())
    return list(qs.filter(sent_at__lt=judged_before, invoice__status=InvoiceStatus.PAID)
                .annotate(settled_on=settled_on, sent_on=TruncDate("sent_at"))
                .annotate(wait=wait)
                .values(*_CELL_KEY, "wait").annotate(n=Count("id")))


def _add_payments(cells: dict[CellKey, _Cell], rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        cell = cells.get((row["step_id"], row["message__channel"], row["message__language"]))
        # No cell: a reminder sent between the two queries (counted next time). No wait: paid
        # without a payment (credit notes covered it), so there is no day it was paid on.
        if cell is None or row["wait"] is None:
            continue
        # Money received before the reminder went out (recorded late, back-dated) still
        # settled the invoice by then: zero days, not a negative count.
        days = max(row["wait"].days, 0)
        cell.counts.days_to_pay[days] += row["n"]
        if days <= CONVERSION_DAYS:
            cell.counts.converted += row["n"]


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# How each table groups the cells: (sort key, row key, label).
_Grouping = Callable[[_Cell], tuple[Any, str, str]]
_GROUPINGS: dict[str, _Grouping] = {
    "step": lambda c: ((c.cadence, c.offset_days, c.step), str(c.step_id),
                       f"{c.cadence} · {c.step} ({c.offset_days:+d} d)"),
    "channel": lambda c: (c.channel, c.channel,
                          dict(TemplateChannel.choices).get(c.channel, c.channel)),
    # Named after the steps that use the template (what a bookkeeper configured), not its key.
    "template": lambda c: (c.template_key, c.template_key, c.step if c.template_key
                           else "(no template)"),
    "language": lambda c: (c.language, c.language, LANGUAGES.get(c.language, c.language)),
}


def _roll_up(cells: Iterable[_Cell], grouping: _Grouping) -> list[EffectRow]:
    """One row per key; a key whose cells carry different labels (a template used by steps
    of different names) is labelled with each of them, once, in step order."""
    groups: dict[str, tuple[Any, list[str], Counts]] = {}
    for cell in sorted(cells, key=lambda c: (c.cadence, c.offset_days, c.step)):
        sort, key, label = grouping(cell)
        _, labels, counts = groups.setdefault(key, (sort, [], Counts()))
        counts.add(cell.counts)
        if label not in labels:
            labels.append(label)
    return [EffectRow(key=key, label=" / ".join(labels), counts=counts)
            for key, (_, labels, counts) in sorted(groups.items(), key=lambda g: g[1][0])]


def reminder_effectiveness(*, now: datetime, days: int, currency: str | None = None
                           ) -> Effectiveness:
    """How the reminders sent in the last ``days`` days did, per step, channel, template and
    language (two queries).

    Counted per reminder: an invoice reminded twice in one group counts twice, each against its
    own reminder's day. Conversion and days-to-pay only look at reminders sent at least
    ``CONVERSION_DAYS`` full days ago, so this week's reminders do not read as "not paid".
    Delivery, open and click rates look at the message that finally carried each reminder (a
    bounce that moved a reminder to another channel left the bounced message behind)."""
    today = timezone.localdate(now)
    since = now - timedelta(days=days)
    judged_before = _start_of_day(today - timedelta(days=CONVERSION_DAYS))
    qs = _sent_reminders(since=since, now=now, currency=currency)
    cells = _message_counts(qs, judged_before)
    _add_payments(cells, _days_to_pay(qs, judged_before))
    total = Counts()
    for cell in cells.values():
        total.add(cell.counts)
    tables = {name: _roll_up(cells.values(), grouping) for name, grouping in _GROUPINGS.items()}
    return Effectiveness(since=since, judged_before=judged_before,
                         total=EffectRow(key="all", label="All reminders", counts=total),
                         by_step=tables["step"], by_channel=tables["channel"],
                         by_template=tables["template"], by_language=tables["language"])


