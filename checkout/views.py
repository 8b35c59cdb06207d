"""Stripe's webhook: ``POST /hooks/stripe/``.

Nothing is read before the ``Stripe-Signature`` header is checked (HMAC-SHA256 of
``"<timestamp>.<raw body>"`` with ``STRIPE_WEBHOOK_SECRET``, at most 300 s old): a bad, missing
or stale signature, or a body that is not a JSON event, is a 400 with a short reason. A verified
event is acted on once (see ``services.stripe_event_record``) and answered 200, also when it is
a replay, of a type Settle does not use, or for a session Settle did not open; Stripe retries
only what fails with a 5xx.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from checkout import gateway, services

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = gateway.event_verify(request.body, request.headers.get("Stripe-Signature", ""))
    except gateway.SignatureError as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    except ValueError:
        return HttpResponseBadRequest("Invalid JSON payload.", content_type="text/plain")
    outcome = services.stripe_event_record(event=event)
    log.info("Stripe %s %s: %s", event.get("type"), event.get("id"), outcome)
    return HttpResponse(outcome, content_type="text/plain")
