"""Test helpers for Stripe Checkout without the network (pytest, and the Playwright browser
test): a fake of Stripe's ``POST /v1/checkout/sessions`` registered on ``responses``, and
webhook requests signed the way Stripe signs them.

    fake = stripe_checkout_fake(rsps, url="http://127.0.0.1:8000/fake-stripe/pay")
    url = checkout_start(...)                      # goes through the real stripe library
    event = fake.event("checkout.session.completed")
    body, header = signed_webhook(event, secret=settings.STRIPE_WEBHOOK_SECRET)
    client.post("/hooks/stripe/", body, content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header)

Only tests import this module (it needs ``responses``, a development dependency).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import responses

SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"
_counter = itertools.count(1)


def stripe_signature(payload: str | bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for ``payload``: ``t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<payload>" keyed with the endpoint secret>`` (https://docs.stripe.com/webhooks)."""
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}.{body}".encode(),
                      hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def signed_webhook(event: dict[str, Any], secret: str, *,
                   timestamp: int | None = None) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) for posting ``event`` to the webhook."""
    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    return body, stripe_signature(body, secret, timestamp=timestamp)


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``line_items[0][price_data][unit_amount]=...``) back to nested
    dicts, with lists where every key is an index."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    unflattened: dict[str, Any] = _with_lists(root)  # a dict at the root: its keys are names
    return unflattened


def _with_lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _with_lists(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


@dataclass
class FakeStripeCheckout:
    """Stripe's Checkout Sessions API as far as Settle uses it. A repeated idempotency key gets
    the first answer again, as at Stripe."""

    url: str
    delay: float = 0.0  # seconds Stripe takes to answer (to test a double click)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # the decoded form bodies
    _by_key: dict[str, str] = field(default_factory=dict)

    def callback(self, request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(self.delay)
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        form = _unflatten(parse_qsl(body, keep_blank_values=True))
        self.requests.append(form)
        key = request.headers.get("Idempotency-Key", "")
        if key in self._by_key:
            session = self.sessions[self._by_key[key]]
        else:
            session = self._session(form)
            self.sessions[session["id"]] = session
            if key:
                self._by_key[key] = session["id"]
        return 200, {"Request-Id": f"req_fake{next(_counter)}"}, json.dumps(session)

    def _session(self, form: dict[str, Any]) -> dict[str, Any]:
        number = next(_counter)
        items = form.get("line_items", [])
        total = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1))
                    for i in items)
        return {
            "id": f"cs_test_fake{number:06d}", "object": "checkout.session",
            "url": self.url, "mode": form.get("mode", "payment"), "status": "open",
            "payment_status": "unpaid", "amount_subtotal": total, "amount_total": total,
            "currency": items[0]["price_data"]["currency"] if items else None,
            "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "metadata": form.get("metadata", {}), "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"), "locale": form.get("locale"),
            "expires_at": int(form.get("expires_at") or time.time() + 86400),
            "created": int(time.time()), "livemode": False, "payment_intent": None,
        }

    def last_session(self) -> dict[str, Any]:
        return list(self.sessions.values())[-1]

    def event(self, event_type: str = "checkout.session.completed", *,
              session_id: str | None = None, payment_status: str = "paid",
              event_id: str | None = None, created: int | None = None,
              **changes: Any) -> dict[str, Any]:
        """A webhook event about one of the fake's sessions (the last one by default), with the
        session as Stripe would show it then: complete, and paid unless told otherwise."""
        session = dict(self.sessions[session_id] if session_id else self.last_session())
        number = next(_counter)
        session.update(status="expired" if event_type.endswith("expired") else "complete",
                       payment_status=payment_status,
                       payment_intent=session.get("payment_intent") or f"pi_fake{number:06d}")
        session.update(changes)
        self.sessions[session["id"]] = session
        return {"id": event_id or f"evt_fake{number:06d}", "object": "event",
                "type": event_type, "created": int(time.time()) if created is None else created,
                "livemode": False, "api_version": "2025-01-01", "pending_webhooks": 1,
                "data": {"object": session}}


def stripe_checkout_fake(rsps: Any = responses, *, url: str = "https://checkout.stripe.com/c/"
                         "pay/cs_test_fake", status: int = 200,
                         delay: float = 0.0) -> FakeStripeCheckout:
    """Register the fake on ``rsps`` (a ``responses.RequestsMock``, or the ``responses``
    module under ``@responses.activate``); ``url`` is where the browser is sent to pay.
    ``status`` other than 200 makes Stripe answer with that error instead; ``delay`` makes it
    answer that many seconds late."""
    fake = FakeStripeCheckout(url=url, delay=delay)
    if status == 200:
        rsps.add_callback(responses.POST, SESSIONS_URL, callback=fake.callback,
                          content_type="application/json")
    else:
        rsps.add(responses.POST, SESSIONS_URL, status=status, json=stripe_error(status),
                 headers={"Stripe-Should-Retry": "false"})
    return fake


def stripe_error(status: int) -> dict[str, Any]:
    """The body Stripe sends with an error status."""
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return {"error": {"type": kind, "message": f"Fake Stripe error ({status})."}}
