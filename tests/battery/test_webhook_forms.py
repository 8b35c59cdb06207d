"""A form-encoded or multipart body on a provider webhook is the provider's to parse: the text
policy's middleware (infra.text) does not read it first, so a webhook that reads the raw body
never fails with a 500 (RawPostDataException), with or without the trailing slash."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/hooks/stripe/", "/hooks/stripe"])
@pytest.mark.parametrize("multipart", [False, True])
def test_a_form_body_on_the_stripe_hook_is_refused_cleanly(client, url, multipart):
    data = {"type": "checkout.session.completed", "x": "a\x00b"}
    response = (client.post(url, data) if multipart else client.post(
        url, "type=checkout.session.completed", content_type="application/x-www-form-urlencoded"))
    assert 400 <= response.status_code < 500
