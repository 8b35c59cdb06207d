"""``manage.py api_token USERNAME``: create an API token for a user and print it (the only time
it is shown: Settle keeps its hash). ``--rotate`` revokes the user's other tokens first;
``--days N`` sets its lifetime (default ``SETTLE_API_TOKEN_DAYS``), ``--read-only`` its scope,
``--name`` what it is for. ``--list`` lists the user's tokens, ``--revoke PREFIX`` revokes
the ones starting with PREFIX."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from api.models import TokenScope
from api.tokens import token_create, token_list, token_rotate
from infra.roles import is_bookkeeper


class Command(BaseCommand):
    help = "Create and print an API token for a user (shown once); list or revoke tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true",
                            help="Revoke the user's other tokens: they stop working at once.")
        parser.add_argument("--days", type=int, default=None,
                            help="Days the token is valid (default SETTLE_API_TOKEN_DAYS).")
        parser.add_argument("--read-only", action="store_true",
                            help="The token may only read (GET).")
        parser.add_argument("--name", default="", help="What uses the token.")
        parser.add_argument("--list", action="store_true", dest="list_tokens",
                            help="List the user's tokens.")
        parser.add_argument("--revoke", metavar="PREFIX", default="",
                            help="Revoke the user's tokens starting with PREFIX.")

    def handle(self, *args: Any, username: str, rotate: bool, days: int | None,
               read_only: bool, name: str, list_tokens: bool, revoke: str,
               **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        if list_tokens:
            now = timezone.now()
            for token in token_list(user=user):
                state = "expired" if token.expires_at <= now else "valid"
                self.stdout.write(f"{token.prefix}…  {token.scope:5}  {state} until "
                                  f"{token.expires_at:%Y-%m-%d}  {token.name}")
            return
        if revoke:
            found = token_list(user=user).filter(prefix__startswith=revoke[:12])
            count = found.count()
            found.delete()
            self.stderr.write(f"Revoked {count} token(s) of {username}.")
            return
        if not user.is_active:
            raise CommandError(f"User '{username}' is inactive: the API would refuse the token.")
        if not is_bookkeeper(user):
            raise CommandError(f"User '{username}' has no Bookkeeper role, so the API would "
                               "refuse the token: add the user to the Bookkeeper (or Admin) "
                               "group first.")
        make = token_rotate if rotate else token_create
        try:
            token, key = make(user=user, name=name, days=days,
                              scope=TokenScope.READ if read_only else TokenScope.WRITE)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(f"New token for {username}, valid until {token.expires_at:%Y-%m-%d}"
                          + (" (every earlier one was revoked)." if rotate else ".")
                          + " It is shown only now.")
        self.stdout.write(key)
