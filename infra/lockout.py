"""Login lockout (django-axes) per username + address, and per address across usernames.

``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]`` makes axes count
failures both ways, but it compares the larger count with one limit. This handler gives the
address its own, higher limit (``AXES_ADDRESS_FAILURE_LIMIT``: an office behind one address
must survive a few mistyped passwords, a password-spraying run must not), and a successful
log-in resets only its own username's failures, never the address's — otherwise an attacker
with one valid account could clear the count between sprays."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]
from axes.helpers import get_lockout_parameters  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Sum


def _address_only(parameter: Any) -> bool:
    return parameter == "ip_address" or parameter == ["ip_address"]


class SettleAxesHandler(AxesDatabaseHandler):  # type: ignore[misc]
    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """The failure count axes compares with ``AXES_FAILURE_LIMIT``: the username +
        address count, or at least that limit once the address alone reaches its own."""
        parameters = get_lockout_parameters(request, credentials)
        failures = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials),
                                       strict=True):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if _address_only(parameter):
                if count >= settings.AXES_ADDRESS_FAILURE_LIMIT:
                    failures = max(failures, settings.AXES_FAILURE_LIMIT)
            else:
                failures = max(failures, count)
        return failures

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None
                            ) -> int:
        parameters = get_lockout_parameters(request, credentials)
        count = 0
        for parameter, attempts in zip(parameters, self.filter_user_attempts(
                request, credentials), strict=True):
            if not _address_only(parameter):
                deleted, _ = attempts.delete()
                count += deleted
        return count
