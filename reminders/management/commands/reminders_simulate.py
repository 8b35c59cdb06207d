"""`manage.py reminders_simulate bounce|stop|start|broken-promise CLIENT_REF`: play a provider
event or a lapsed promise in development, through the same code the webhooks use, and see the
next tick react (and the client's timeline say so)."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from clients.models import Client, FlagReason, InteractionChannel, InteractionKind
from clients.services import interaction_record
from receivables.models import Invoice
from reminders.channels import events
from reminders.models import OutboundMessage


class Command(BaseCommand):
    help = ("Simulate a hard bounce of the client's latest email, an SMS STOP or START from "
            "their mobile, or a promise to pay that has just passed unpaid.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event", choices=["bounce", "stop", "start", "broken-promise"])
        parser.add_argument("client", help="The client's reference, e.g. DEMO-C0001.")

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.filter(reference=options["client"]).first()
        if client is None:
            raise CommandError(f"No client with reference '{options['client']}'.")
        now = timezone.now()
        event = options["event"]
        if event == "bounce":
            message = client.messages.filter(channel="email").order_by("-created_at").first()
            if message is None:
                raise CommandError(f"{client} has not been sent an email yet.")
            events.record_event(provider="simulated", event_key=f"bounce-{message.pk}",
                                  event="bounced", occurred_at=now, message=message,
                                  recipient=message.to, flag=FlagReason.BOUNCED,
                                  why="simulated hard bounce: mailbox does not exist")
            self._report(client, message)
        elif event in ("stop", "start"):
            if not client.mobile_phone:
                raise CommandError(f"{client} has no mobile number.")
            events.opt_out(number=client.mobile_phone, opted_out=event == "stop",
                             occurred_at=now, keyword=event.upper())
            self.stdout.write(f"{client.mobile_phone} opted {'out' if event == 'stop' else 'in'}"
                              " for SMS.")
        else:
            invoice = Invoice.objects.receivable().filter(client=client).order_by(
                "due_date").first()
            if invoice is None:
                raise CommandError(f"{client} owes nothing.")
            promised_on = timezone.localdate() - timedelta(days=1)
            Invoice.objects.filter(pk=invoice.pk).update(promised_until=promised_on,
                                                         next_action_at=None)
            interaction_record(client=client, kind=InteractionKind.PROMISE_TO_PAY,
                               channel=InteractionChannel.PHONE, occurred_at=now - timedelta(
                                   days=8), summary=f"Promised to pay {invoice.number} by "
                               f"{promised_on.isoformat()} (simulated)", invoices=[invoice],
                               metadata={"promised_on": promised_on.isoformat()})
            self.stdout.write(f"{invoice.number} was promised by {promised_on}; the next tick "
                              "flags the broken promise and the cadence resumes.")
        self.stdout.write("Run `manage.py reminders_tick` to see what changes.")

    def _report(self, client: Client, message: OutboundMessage) -> None:
        rows = list(message.reminders.all())
        where = ", ".join(f"{r.channel} ({r.status})" for r in rows) or "no reminder"
        self.stdout.write(f"{message.to} bounced and is flagged; the reminder now goes by "
                          f"{where}.")
