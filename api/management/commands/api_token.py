"""``manage.py api_token USERNAME [--rotate]``: print a user's API token, creating it when
missing; ``--rotate`` replaces it (the old one stops working at once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.tokens import token_issue
from infra.roles import is_bookkeeper


class Command(BaseCommand):
    help = "Print a user's API token (created when missing); --rotate replaces it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true",
                            help="Replace the token: the old one stops working at once.")

    def handle(self, *args: Any, username: str, rotate: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        if not user.is_active:
            raise CommandError(f"User '{username}' is inactive: the API would refuse the token.")
        if not is_bookkeeper(user):
            raise CommandError(f"User '{username}' has no Bookkeeper role, so the API would "
                               "refuse the token: add the user to the Bookkeeper (or Admin) "
                               "group first.")
        token, new = token_issue(user=user, rotate=rotate)
        if new:
            self.stderr.write(f"New token for {username}"
                              + (" (any earlier one no longer works)." if rotate else "."))
        self.stdout.write(token.key)
