"""Each bookkeeper's own settings (issue 18, item 8): the time zone their pages show times in
(a user setting, validated against the tz database) and optionally their language; the
middleware applies them to every signed-in page; "Your settings" is linked from the top bar."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from people.middleware import UserSettingsMiddleware
from people.models import UserSettings
from people.selectors import preferences_of
from people.services import user_settings_update
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]
URL = "/settings/"


def test_the_settings_page_is_linked_from_the_users_name_in_the_top_bar(browser, owner):
    assert reverse("people:settings") == URL
    html = browser.get(reverse("desk:dashboard")).content.decode()
    assert (f'<a href="{URL}" class="nav-item nav-settings" title="Your settings · times in '
            'Europe/Berlin"><span class="nav-label">Berta Keeper</span></a>') in html


def test_without_a_choice_the_business_zone_applies_never_utc(browser, settings):
    settings.TIME_ZONE = "UTC"
    settings.SETTLE_DEFAULT_TIMEZONE = "Europe/Berlin"
    response = browser.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your pages show times in <strong>Europe/Berlin</strong> (the business's zone" in html
    # 10:30 in Berlin, the tests' clock, written in the zone the page names.
    assert "It is now <strong>Tue 17 Mar 10:30</strong> there." in html
    assert '<option value="Europe/Berlin" selected>Berlin</option>' in html
    assert "Times in Europe/Berlin, except where a client's zone is named" in html


def test_saving_a_zone_and_every_page_then_uses_it(browser, owner):
    response = browser.post(URL, {"time_zone": "America/New_York", "language": ""})
    assert response.status_code == 302 and response["Location"] == URL
    saved = UserSettings.objects.get(user=owner)
    assert (saved.time_zone, saved.language) == ("America/New_York", "")

    html = browser.get(URL).content.decode()
    assert "Your settings are saved: times are now shown in America/New_York." in html
    assert "Your pages show times in <strong>America/New_York</strong>." in html
    assert "It is now <strong>Tue 17 Mar 05:30</strong> there." in html  # EDT, UTC-4
    assert '<option value="America/New_York" selected>New York</option>' in html
    dashboard = browser.get(reverse("desk:dashboard")).content.decode()
    assert "Times in America/New_York" in dashboard


def test_an_unknown_zone_is_refused_with_a_clear_error_and_nothing_is_saved(browser, owner):
    response = browser.post(URL, {"time_zone": "Mars/Olympus", "language": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert ("“Mars/Olympus” is not a time zone Settle knows: choose one from the list (an "
            "IANA name such as Europe/Berlin or America/New_York).") in html
    assert 'aria-invalid="true"' in html
    assert '<option value="Europe/Berlin" selected>' in html  # not the refused value
    assert 'value="Mars/Olympus"' not in html
    assert not UserSettings.objects.filter(user=owner).exists()


@pytest.mark.parametrize("data", [{"time_zone": ""}, {"time_zone": "Europe/Berlin",
                                                      "language": "xx"}])
def test_an_empty_zone_or_an_unknown_language_is_refused(browser, owner, data):
    response = browser.post(URL, data)
    assert response.status_code == 400
    assert ("Choose your time zone." in response.content.decode()
            or "Choose one of the languages listed." in response.content.decode())
    assert not UserSettings.objects.filter(user=owner).exists()


def test_the_service_validates_too(owner):
    with pytest.raises(ValidationError) as caught:
        user_settings_update(user=owner, time_zone="Mars/Olympus")
    assert "Unknown time zone 'Mars/Olympus'" in caught.value.message_dict["time_zone"][0]
    assert not UserSettings.objects.exists()
    user_settings_update(user=owner, time_zone="Asia/Tokyo", language="de")
    user_settings_update(user=owner, time_zone="Asia/Kolkata")  # one row per user, updated
    assert list(UserSettings.objects.values_list("time_zone", "language")) == [
        ("Asia/Kolkata", "")]


def test_a_chosen_language_applies_to_the_users_pages(browser, owner):
    user_settings_update(user=owner, time_zone="Europe/Berlin", language="de")
    response = browser.get(reverse("desk:dashboard"))
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_the_page_needs_a_login_and_a_role(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(UserFactory(role="", username="nobody"))
    assert client.get(URL).status_code == 403


def test_a_saved_zone_the_tz_database_lost_falls_back_to_the_default(owner, settings):
    settings.SETTLE_DEFAULT_TIMEZONE = "Europe/Berlin"
    UserSettings.objects.create(user=owner, time_zone="Gone/Nowhere")
    assert preferences_of(owner).time_zone == "Europe/Berlin"


# --- The middleware ----------------------------------------------------------------------------

def _through_middleware(path: str, user: Any) -> str:
    """The zone a view at ``path`` sees, and that it is gone after the response."""
    seen: list[str] = []

    def view(request: Any) -> HttpResponse:
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    middleware = UserSettingsMiddleware(lambda r: middleware.process_view(
        r, view, (), {}) or view(r))
    middleware(request)
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request
    return seen[0]


def test_the_zone_is_active_only_during_a_signed_in_request(owner):
    user_settings_update(user=owner, time_zone="Pacific/Auckland")
    assert _through_middleware(reverse("desk:worklist"), owner) == "Pacific/Auckland"
    from django.contrib.auth.models import AnonymousUser

    assert _through_middleware(reverse("login"), AnonymousUser()) == "UTC"


def test_the_api_keeps_one_fixed_zone_whoever_calls_it(owner):
    user_settings_update(user=owner, time_zone="Pacific/Auckland")
    assert _through_middleware(reverse("api:client-list"), owner) == "UTC"


def test_a_zone_object_is_what_django_activates(owner):
    user_settings_update(user=owner, time_zone="America/Sao_Paulo")
    assert preferences_of(owner).time_zone == "America/Sao_Paulo"
    assert ZoneInfo(preferences_of(owner).time_zone).key == "America/Sao_Paulo"


def test_pages_cost_no_query_for_the_settings_and_changes_apply_at_once(browser, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        browser.get(reverse("reminders:tasks"))
    assert not [q for q in queries if "people_usersettings" in q["sql"]]  # read at login
    # A change made anywhere (here straight to the row) shows on the next page.
    UserSettings.objects.create(user=owner, time_zone="Asia/Tokyo")
    assert "Times in Asia/Tokyo" in browser.get(reverse("reminders:tasks")).content.decode()
    UserSettings.objects.filter(user=owner).delete()
    assert "Times in Europe/Berlin" in browser.get(reverse("reminders:tasks")).content.decode()
