"""Every configuration page is for admins only, enforced on the server: an admin sees it, a
bookkeeper gets 403 (for reads and writes alike), an anonymous visitor goes to the login."""

from typing import Any

import pytest
from django.urls import reverse

from receivables.models import PaymentTerms
from reminders.models import Cadence, MessageTemplate
from tests.factories import TermsFactory

pytestmark = pytest.mark.django_db


def _urls() -> list[tuple[str, str]]:
    """(method, url) for every view, with real objects."""
    cadence = Cadence.objects.get(is_default=True)
    step = cadence.steps.first()
    template = MessageTemplate.objects.get(key="due_today", channel="email", language="en")
    terms = PaymentTerms.objects.first() or TermsFactory()
    get = [reverse("configure:home"), reverse("configure:cadences"),
           reverse("configure:cadence", args=[cadence.pk]),
           reverse("configure:step-edit", args=[cadence.pk, step.pk]),
           reverse("configure:step-remove", args=[cadence.pk, step.pk]),
           reverse("configure:templates"), reverse("configure:template", args=[template.pk]),
           reverse("configure:template-new"), reverse("configure:terms"),
           reverse("configure:terms-new"), reverse("configure:terms-edit", args=[terms.pk]),
           reverse("configure:business")]
    post = [reverse("configure:cadence-settings", args=[cadence.pk]),
            reverse("configure:step-add", args=[cadence.pk]),
            reverse("configure:step-move", args=[cadence.pk, step.pk]),
            reverse("configure:step-remove", args=[cadence.pk, step.pk]),
            reverse("configure:template", args=[template.pk]),
            reverse("configure:terms-edit", args=[terms.pk]), reverse("configure:business"),
            reverse("configure:cadences")]
    return [("get", u) for u in get] + [("post", u) for u in post]


def test_admin_sees_every_page(admin: Any, client_de: Any, make_invoice: Any) -> None:
    make_invoice(client_de)
    for method, url in _urls():
        if method == "get":
            response = admin.get(url)
            assert response.status_code == 200, url
            assert b"<h1>" in response.content


def test_bookkeeper_gets_403_for_reads_and_writes(bookkeeper_browser: Any) -> None:
    before = (Cadence.objects.count(), MessageTemplate.objects.count())
    for method, url in _urls():
        response = getattr(bookkeeper_browser, method)(url, {"offset_days": "3", "name": "x"})
        assert response.status_code == 403, (method, url)
    assert (Cadence.objects.count(), MessageTemplate.objects.count()) == before


def test_anonymous_is_sent_to_the_login(client: Any, db: Any) -> None:
    for method, url in _urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_every_configure_url_says_admin() -> None:
    from configure import urls

    for pattern in urls.urlpatterns:
        assert getattr(pattern.callback, "settle_role", None) == "is_admin", pattern.name


def test_superuser_counts_as_admin(client: Any, db: Any) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    assert client.get(reverse("configure:home")).status_code == 200
