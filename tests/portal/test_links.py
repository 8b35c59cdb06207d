"""Pay-now links are safe: 128 random bits, stored only as a hash, scoped to one client, and
every bad link (unknown, expired, revoked, another client's invoice) gets the same neutral
404. Requests are rate-limited per IP and per token."""

import base64
import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from answers import links
from answers.models import PayLink, PortalSettings
from clients.models import Interaction, InteractionKind
from tests.factories import ClientFactory
from tests.reminders.support import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def test_a_token_carries_128_random_bits_and_only_its_hash_is_stored(issue):
    customer = ClientFactory()
    tokens = [issue(customer).token for _ in range(50)]
    assert len(set(tokens)) == 50
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
    stored = list(PayLink.objects.values_list("token_hash", flat=True))
    assert sorted(stored) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
    row_text = " ".join(str(v) for row in PayLink.objects.values() for v in row.values())
    assert not any(token in row_text for token in tokens)


def test_a_token_is_not_a_database_id(issue):
    issued = issue(ClientFactory())
    assert str(issued.link.pk) not in issued.token or len(issued.token) == 22
    assert issued.url.endswith(f"/p/{issued.token}/")


def test_expiry_is_the_admins_setting_and_every_link_is_fresh(issue):
    PortalSettings.objects.update_or_create(singleton=True, defaults={"link_valid_days": 10})
    customer = ClientFactory()
    first, second = issue(customer), issue(customer)
    assert first.token != second.token
    assert first.link.expires_at == NOW + timedelta(days=10)
    assert links.link_resolve(first.token) == first.link
    with time_machine.travel(NOW + timedelta(days=10, seconds=1), tick=False):
        assert links.link_resolve(first.token) is None


def _neutral(response):
    return response.status_code, response.content


def test_unknown_expired_revoked_and_foreign_links_look_the_same(client, issue, overdue):
    mine, other = ClientFactory(), ClientFactory()
    overdue(mine, 5)
    foreign_invoice = overdue(other, 5)
    good = issue(mine)
    expired = issue(mine, now=NOW - timedelta(days=61))
    revoked = issue(mine)
    links.link_revoke(revoked.link)
    inactive_client = ClientFactory(is_active=False)
    inactive = issue(inactive_client)
    missing = client.get("/p/" + "A" * 22 + "/")
    assert missing.status_code == 404
    assert b"noindex" in missing.content and missing["X-Robots-Tag"] == "noindex, nofollow"
    for bad in (expired, revoked, inactive):
        assert _neutral(client.get(f"/p/{bad.token}/")) == _neutral(missing)
    foreign = client.get(f"/p/{good.token}/invoices/{foreign_invoice.pk}.pdf")
    assert _neutral(foreign) == _neutral(missing)
    for other in ("/p/", "/p/short", f"/p/{good.token}/nothing-here/"):
        assert _neutral(client.get(other)) == _neutral(missing)
    assert client.get(f"/p/{good.token}/").status_code == 200


def test_the_page_shows_only_the_clients_own_invoices(client, issue, overdue):
    mine, other = ClientFactory(display_name="Mine GmbH"), ClientFactory()
    own = overdue(mine, 5)
    theirs = overdue(other, 5, amount="555.55")
    page = client.get(f"/p/{issue(mine).token}/").content.decode()
    assert own.number in page and theirs.number not in page and "555,55" not in page


def test_every_visit_is_in_the_timeline_and_the_first_marks_the_message_clicked(
        client, issue, overdue):
    from reminders.models import MessageStatus, OutboundMessage

    customer = ClientFactory()
    overdue(customer, 5)
    message = OutboundMessage.objects.create(client=customer, channel="email", language="de",
                                             to=customer.email, subject="s", text="t",
                                             status=MessageStatus.DELIVERED, sent_at=NOW)
    issued = issue(customer)
    links.link_attach(issued=issued, message=message)
    client.get(f"/p/{issued.token}/")
    client.get(f"/p/{issued.token}/")  # a reload is the same visit
    message.refresh_from_db()
    assert message.status == MessageStatus.CLICKED
    visits = Interaction.objects.filter(client=customer, kind=InteractionKind.PORTAL_VISIT)
    assert visits.count() == 1
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        client.get(f"/p/{issued.token}/")
    assert visits.count() == 2
    issued.link.refresh_from_db()
    assert issued.link.visits == 3


def test_rate_limited_per_token_with_retry_after(client, issue, settings):
    settings.SETTLE_PORTAL_RATE_PER_TOKEN = "3/m"
    issued = issue(ClientFactory())
    codes = [client.get(f"/p/{issued.token}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get(f"/p/{issued.token}/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) == 60
    # Another link from the same IP is not held up by this token's limit.
    assert client.get(f"/p/{issue(ClientFactory()).token}/").status_code == 200


def test_rate_limited_per_ip_even_for_guessed_tokens(client, settings):
    settings.SETTLE_PORTAL_RATE_PER_IP = "5/m"
    codes = [client.get(f"/p/guess{i:017d}/").status_code for i in range(6)]
    assert codes == [404] * 5 + [429]
    other_ip = client.get("/p/guess/", REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 404


def test_pages_are_private_and_set_no_third_party_resources(client, issue, overdue):
    customer = ClientFactory()
    overdue(customer, 5)
    response = client.get(f"/p/{issue(customer).token}/")
    assert response["Cache-Control"] == "no-store, private"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org", "") or "https://" not in html


def test_a_sent_reminder_carries_a_working_link(client, overdue, postmark):
    import json
    import re

    from tests.reminders.support import POSTMARK_URL, tick

    customer = ClientFactory(channel_preferences=["email"])
    overdue(customer, 7)
    postmark.add("POST", POSTMARK_URL, json={"MessageID": "m-1", "ErrorCode": 0,
                                             "Message": "OK", "To": customer.email})
    tick(NOW)
    body = json.loads(postmark.calls[0].request.body)
    url = re.search(r"https?://[^/]+(/p/[A-Za-z0-9_-]{22}/)", body["TextBody"]).group(1)
    page = client.get(url)
    assert page.status_code == 200
    link = PayLink.objects.get(client=customer)
    assert link.message is not None and link.message.provider_message_id == "m-1"
    assert link.expires_at > timezone.now()


def test_the_amount_charged_is_the_servers_not_the_browsers(client, issue, overdue, settings):
    import responses

    from checkout.testing import stripe_checkout_fake

    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    customer = ClientFactory()
    invoice = overdue(customer, 5, amount="927.31")
    issued = issue(customer)
    with responses.RequestsMock() as rsps:
        fake = stripe_checkout_fake(rsps)
        response = client.post(f"/p/{issued.token}/pay/", {
            "invoice": [invoice.pk], "amount": "0.01", "unit_amount": "1",
            "line_items[0][price_data][unit_amount]": "1"})
    assert response.status_code == 303 and response["Location"] == fake.url
    [line] = fake.requests[0]["line_items"]
    assert line["price_data"]["unit_amount"] == "92731"
    assert fake.requests[0]["success_url"].endswith(f"/p/{issued.token}/?done=paid")


def test_paying_another_clients_invoice_is_the_neutral_404(client, issue, overdue, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    mine, other = ClientFactory(), ClientFactory()
    overdue(mine, 5)
    foreign = overdue(other, 5)
    response = client.post(f"/p/{issue(mine).token}/pay/", {"invoice": [foreign.pk]})
    assert response.status_code == 404


def test_paying_with_nothing_selected_asks_to_choose(client, issue, overdue, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    customer = ClientFactory()
    overdue(customer, 5)
    response = client.post(f"/p/{issue(customer).token}/pay/", {})
    assert response.status_code == 400
    assert "Wählen Sie die Rechnungen" in response.content.decode()
