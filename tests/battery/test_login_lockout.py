"""Login lockout (django-axes) through the real login form, CSRF token and all: five wrong
passwords for one username from one address lock that pair out (429, the lockout page) even for
the right password; another address is not locked; the cool-off ends it; a success resets the
count."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client as Browser

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"  # UserFactory's
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"
START = datetime(2026, 3, 17, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def log_in(username: str, password: str, address: str) -> Any:
    """GET the login page for its CSRF token, then POST the form, as a browser does."""
    browser = Browser(enforce_csrf_checks=True, REMOTE_ADDR=address)
    page = browser.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, "the login page has no CSRF token"
    return browser.post("/login/", {"username": username, "password": password,
                                    "csrfmiddlewaretoken": token.group(1)})


def logged_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].endswith("/") and \
        "/login/" not in response["Location"]


@pytest.fixture
def berta(db: Any) -> Any:
    return UserFactory(username="berta")


def test_five_wrong_passwords_lock_the_pair_out_until_the_cool_off(berta, battery):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    with time_machine.travel(START, tick=False) as clock:
        battery.tried(f"{limit} wrong passwords for 'berta' from {ATTACKER} through the form")
        for attempt in range(1, limit + 1):
            response = log_in("berta", f"guess-{attempt}", ATTACKER)
            if attempt < limit:
                assert response.status_code == 200, attempt  # the form again, with its error
                assert "didn't match" in response.content.decode()
        assert response.status_code == 429
        battery.held(f"attempt {limit} already answered 429 (the lockout page)")

        response = log_in("berta", PASSWORD, ATTACKER)
        assert response.status_code == 429 and not logged_in(response)
        body = response.content.decode()
        assert "Too many failed log-ins" in body and "sessionid" not in response.cookies
        battery.held("the right password from the same address: 429 'Too many failed "
                     "log-ins', no session")

        assert logged_in(log_in("berta", PASSWORD, OFFICE))
        battery.held(f"the right password from another address ({OFFICE}) logs in")

        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
        assert log_in("berta", PASSWORD, ATTACKER).status_code == 429
        battery.held("30 s before the 15-minute cool-off ends: still locked")
        clock.shift(timedelta(seconds=31))
        assert log_in("berta", PASSWORD, ATTACKER).status_code == 429
        battery.held("an attempt while locked starts the cool-off again (axes counts from the "
                     "last failure): 15 min after the first lockout, still locked")
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert logged_in(log_in("berta", PASSWORD, ATTACKER))
        battery.held("15 min after the last attempt the right password works from the locked "
                     "address")


def test_a_successful_log_in_resets_the_count(berta, battery):
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(START, tick=False):
        battery.tried(f"{limit - 1} wrong passwords, a right one, then {limit - 1} wrong again")
        for attempt in range(limit - 1):
            assert log_in("berta", f"nope-{attempt}", ATTACKER).status_code == 200
        assert logged_in(log_in("berta", PASSWORD, ATTACKER))
        for attempt in range(limit - 1):
            assert log_in("berta", f"again-{attempt}", ATTACKER).status_code == 200
        assert logged_in(log_in("berta", PASSWORD, ATTACKER))
        battery.held(f"never locked: the success reset the count ({2 * (limit - 1)} failures "
                     f"in all, never {limit} in a row)")


def test_the_lock_is_per_username_and_address(berta, battery):
    UserFactory(username="otto")
    limit = settings.AXES_FAILURE_LIMIT
    with time_machine.travel(START, tick=False):
        battery.tried(f"{limit} wrong passwords for 'berta' from {ATTACKER}, then 'otto' "
                      "from the same address")
        for attempt in range(limit):
            log_in("berta", f"guess-{attempt}", ATTACKER)
        assert log_in("berta", PASSWORD, ATTACKER).status_code == 429
        assert logged_in(log_in("otto", PASSWORD, ATTACKER))
        battery.held("otto logs in from the attacker's address: the lock is per "
                     "username + address, a mistyped colleague cannot lock out the office")
        battery.tried("guessing a username that does not exist, 6 times")
        for attempt in range(limit + 1):
            response = log_in("nobody", f"x-{attempt}", ATTACKER)
        assert response.status_code == 429
        battery.held("unknown usernames are locked out the same way (no user enumeration by "
                     "a different answer)")
