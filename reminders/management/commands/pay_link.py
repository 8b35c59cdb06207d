"""`manage.py pay_link CLIENT_REF`: a fresh pay-now link for a client, printed once (only its
hash is stored, so it cannot be shown again). `--demo` picks the demo client with the most
overdue invoices and fills in demo bank details when none are set, for `make run`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from answers import links
from answers.models import PortalSettings
from clients.models import Client
from receivables.models import ACTIVE_STATUSES

DEMO_BANK = {"account_holder": "Settle Demo Ltd", "bank_name": "Commerzbank Berlin",
             "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
             "plan_min_instalment": {"EUR": "50", "USD": "50", "GBP": "40"}}


class Command(BaseCommand):
    help = "Print a new pay-now link for a client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", nargs="?", help="The client's reference (customer no.)")
        parser.add_argument("--demo", action="store_true",
                            help="Use the demo client with the most overdue invoices, and set "
                                 "demo bank details if none are set.")

    def handle(self, *args: Any, **options: Any) -> None:
        client: Client | None
        if options["demo"]:
            row = PortalSettings.load()
            if not (row.iban or row.account_number):
                PortalSettings.objects.filter(pk=row.pk).update(**DEMO_BANK)
            client = (Client.objects.filter(is_active=True, language="en")
                      .annotate(open=Count("invoices", filter=Q(
                          invoices__status__in=ACTIVE_STATUSES, invoices__balance__gt=0)))
                      .order_by("-open", "pk").first())
        elif options["reference"]:
            client = Client.objects.filter(reference=options["reference"]).first()
        else:
            raise CommandError("Give a client reference, or --demo.")
        if client is None:
            raise CommandError("No such client.")
        issued = links.link_issue(client=client, purpose="bookkeeper")
        self.stdout.write(f"{client.display_name}: {issued.url}")
