"""The REST API (``/api/v1/``): clients, invoices, payments, reminders, the timeline.

Views check shapes with a serializer, call one service and describe the result; a service's
``ValidationError`` becomes a 400 with its messages, every error one shape (``api.errors``).
Every POST honours an ``Idempotency-Key`` (``api.idempotency``); the schema documents every
status each operation can answer (``api.schema``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.errors import Conflict, as_field_messages
from api.idempotency import idempotent
from api.permissions import AuthenticatedRequest
from api.schema import ApiAutoSchema
from clients.models import Client, Interaction
from clients.services import client_create, client_pause_reminders, client_update
from receivables.models import (
    RECEIVABLE_STATUSES,
    AdjustmentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentSource,
)
from receivables.services import (
    LineInput,
    adjustment_add,
    invoice_create,
    invoice_pause_reminders,
    invoice_transition,
    invoice_update,
    payment_record,
    payment_sync_record,
)
from reminders.forecast import forecast

STATUS_PARAMETER = OpenApiParameter(
    "status", {"type": "array", "items": {"type": "string", "enum": list(InvoiceStatus.values)}},
    OpenApiParameter.QUERY, required=False, style="form", explode=False,
    description="One status or several, comma-separated: " + ", ".join(InvoiceStatus.values))


def _filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters, validated: a filter that makes no sense is a 400, not ignored."""
    # A plain dict, so that an empty value ("?updated_since=") is checked like any other
    # instead of being taken for "not sent".
    query = serializer_class(data=dict(request.query_params.items()))
    query.is_valid(raise_exception=True)
    return {k: v for k, v in query.validated_data.items() if v is not None}


class ApiViewSet(viewsets.GenericViewSet):
    """Every view of the API: its schema (errors, Idempotency-Key) from ``ApiAutoSchema``;
    ``conflict_actions`` are the actions that can answer 409."""

    schema = ApiAutoSchema()
    conflict_actions: tuple[str, ...] = ()
    # Any path segment reaches the view, so "/invoices/0.5/" is the API's JSON 404, not the
    # site's HTML one.
    lookup_value_regex = "[^/]+"


def _state_conflict(exc: DjangoValidationError) -> Exception:
    """A service's refusal about the record as a whole (no field to blame: "cannot go from
    paid to void") is a 409; a field's is a 400."""
    if hasattr(exc, "error_dict"):
        return exc
    return Conflict(as_field_messages(exc))


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.ClientSerializer
    conflict_actions = ("create",)

    def get_queryset(self) -> QuerySet[Client]:
        qs = Client.objects.select_related("default_terms").prefetch_related("tags")
        if self.action != "list":
            return qs
        wanted = _filters(s.ClientFilterSerializer, self.request)
        if reference := wanted.get("reference"):
            qs = qs.filter(reference=reference)
        if search := wanted.get("search", "").strip():
            qs = qs.filter(Q(display_name__icontains=search) | Q(legal_name__icontains=search)
                           | Q(reference__icontains=search) | Q(email__icontains=search))
        return qs.order_by("display_name", "pk")

    @extend_schema(parameters=[s.ClientFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ClientUpdateSerializer, responses=s.ClientSerializer)
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Change the fields sent (not the reference); the timeline says which changed."""
        data = _valid(s.ClientUpdateSerializer, request)
        client, _changed = client_update(client=self.get_object(), actor=request.user,
                                         source="the API", **data)
        return Response(s.ClientSerializer(self.get_queryset().get(pk=client.pk)).data)

    @extend_schema(request=s.ClientCreateSerializer, responses={201: s.ClientSerializer})
    @idempotent
    def create(self, request: AuthenticatedRequest) -> Response:
        data = _valid(s.ClientCreateSerializer, request)
        existing = Client.objects.filter(reference=data["reference"]).first()
        if existing is not None:
            raise Conflict({"reference": [f"A client with reference '{data['reference']}' "
                                          f"already exists (id {existing.pk})."]})
        tags = data.pop("tags", [])
        try:
            client = client_create(tags=tags, **data)
        except IntegrityError:  # created meanwhile by a concurrent request
            raise Conflict({"reference": [f"A client with reference '{data['reference']}' "
                                          "already exists."]}) from None
        return Response(s.ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PauseSerializer, responses=s.ClientSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Pause the client's reminders up to and including ``until``."""
        data = _valid(s.PauseSerializer, request)
        client = client_pause_reminders(client=self.get_object(), until=data["until"],
                                        actor=request.user, reason=data["reason"])
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.ResumeSerializer, responses=s.ClientSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Let the client's reminders go out again."""
        data = _valid(s.ResumeSerializer, request)
        client = client_pause_reminders(client=self.get_object(), until=None,
                                        actor=request.user, reason=data["reason"])
        return Response(s.ClientSerializer(client).data)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.InvoiceSerializer
    conflict_actions = ("create", "partial_update", "void", "credit_note")

    def get_queryset(self) -> QuerySet[Invoice]:
        qs = Invoice.objects.select_related("client", "terms").prefetch_related("lines__invoice")
        if self.action != "list":
            return qs
        wanted = _filters(s.InvoiceFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=wanted["client"])
        if "number" in wanted:
            qs = qs.filter(number=wanted["number"])
        if wanted.get("status"):
            qs = qs.filter(status__in=wanted["status"])
        if "overdue" in wanted:
            overdue = {"status__in": RECEIVABLE_STATUSES, "balance__gt": 0,
                       "due_date__lt": timezone.localdate()}
            qs = qs.filter(**overdue) if wanted["overdue"] else qs.exclude(**overdue)
        if "updated_since" in wanted:
            qs = qs.filter(updated_at__gte=wanted["updated_since"])
        return qs.order_by("due_date", "number")

    @extend_schema(parameters=[s.InvoiceFilterSerializer, STATUS_PARAMETER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _answer(self, invoice: Invoice) -> Response:
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(request=s.InvoiceUpdateSerializer, responses=s.InvoiceSerializer)
    def partial_update(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Change the due date, reference or notes of a draft or of an invoice still owed; a
        paid, void or written-off invoice answers 409. The amounts never change here: issue a
        credit note (or void it and create a new one)."""
        data = _valid(s.InvoiceUpdateSerializer, request)
        invoice = self.get_object()
        if invoice.status not in (InvoiceStatus.DRAFT, *RECEIVABLE_STATUSES):
            raise Conflict({"non_field_errors": [
                f"Invoice {invoice.number} is {invoice.get_status_display().lower()}: it "
                "cannot change any more."]})
        invoice, _changed = invoice_update(invoice=invoice, actor=request.user, **data)
        return self._answer(invoice)

    @extend_schema(request=s.VoidSerializer, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def void(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Void a draft, open or disputed invoice without payments (as the admin's "Void"):
        nothing is owed any more. An invoice with payments answers 409: issue a credit note."""
        data = _valid(s.VoidSerializer, request)
        try:
            invoice = invoice_transition(invoice=self.get_object(), to=InvoiceStatus.VOID,
                                         reason=data["reason"], actor=request.user)
        except DjangoValidationError as exc:
            raise _state_conflict(exc) from None
        return self._answer(invoice)

    @extend_schema(request=s.CreditNoteSerializer, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="credit-note")
    @idempotent
    def credit_note(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Reduce what is owed on an invoice still owed by ``amount`` (at most its balance);
        the timeline records it. An invoice that is paid, void or written off answers 409."""
        data = _valid(s.CreditNoteSerializer, request)
        try:
            adjustment_add(invoice=self.get_object(), kind=AdjustmentKind.CREDIT_NOTE,
                           amount=data["amount"], on=data["on"] or timezone.localdate(),
                           memo=data["memo"], actor=request.user)
        except DjangoValidationError as exc:
            raise _state_conflict(exc) from None
        return self._answer(self.get_object())

    @extend_schema(request=s.InvoiceCreateSerializer, responses={201: s.InvoiceSerializer})
    @idempotent
    def create(self, request: AuthenticatedRequest) -> Response:
        data = _valid(s.InvoiceCreateSerializer, request)
        if Invoice.objects.filter(number=data["number"]).exists():
            raise Conflict({"number": [f"Invoice number {data['number']} is already used."]})
        lines = [LineInput(description=ln["description"], unit_price=ln["unit_price"],
                           quantity=ln["quantity"], tax_rate=ln["tax_rate"])
                 for ln in data.pop("lines")]
        try:
            invoice = invoice_create(lines=lines, source="api", actor=request.user, **data)
        except IntegrityError:
            raise Conflict({"number": [f"Invoice number {data['number']} is already used."]}
                           ) from None
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PauseSerializer, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Pause this invoice's reminders up to and including ``until``; the client's other
        invoices carry on."""
        data = _valid(s.PauseSerializer, request)
        invoice = invoice_pause_reminders(invoice=self.get_object(), until=data["until"],
                                          actor=request.user, reason=data["reason"])
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(request=s.ResumeSerializer, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Let this invoice's reminders go out again."""
        data = _valid(s.ResumeSerializer, request)
        invoice = invoice_pause_reminders(invoice=self.get_object(), until=None,
                                          actor=request.user, reason=data["reason"])
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.PaymentSerializer
    conflict_actions = ("create",)

    def get_queryset(self) -> QuerySet[Payment]:
        qs = Payment.objects.select_related("client").prefetch_related(
            "allocations__invoice", "allocations__payment")
        if self.action != "list":
            return qs
        wanted = _filters(s.PaymentFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=wanted["client"])
        if "reference" in wanted:
            qs = qs.filter(reference=wanted["reference"])
        if "received_from" in wanted:
            qs = qs.filter(received_on__gte=wanted["received_from"])
        if "received_to" in wanted:
            qs = qs.filter(received_on__lte=wanted["received_to"])
        return qs.order_by("-received_on", "-pk")

    @extend_schema(parameters=[s.PaymentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.PaymentCreateSerializer, responses={201: s.PaymentSerializer})
    @idempotent
    def create(self, request: AuthenticatedRequest) -> Response:
        """Record money received (it lands on the client's timeline) and count it as a
        payment sync of the API."""
        data = _valid(s.PaymentCreateSerializer, request)
        client, reference = data["client"], data["reference"]
        existing = Payment.objects.filter(client=client, reference=reference).first()
        if existing is not None:
            raise Conflict({"reference": [
                f"A payment with reference '{reference}' is already recorded for client "
                f"{client.reference} (id {existing.pk})."]})
        payment = payment_record(source=PaymentSource.API, actor=request.user, **data)
        payment_sync_record(source=PaymentSource.API, payments=1)
        return Response(s.PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: s.PaymentSyncSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def sync(self, request: Request) -> Response:
        """Heartbeat: "Settle has every payment my system knows of, as of now". Reminders to
        clients whose books come from the API wait while this is older than the business
        profile's limit, so call it after each sync run, even one that found no payments."""
        sync = payment_sync_record(source=PaymentSource.API, payments=0)
        return Response(s.PaymentSyncSerializer(sync).data, status=status.HTTP_201_CREATED)


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The clients' timelines, newest first (read only: entries are never changed)."""

    serializer_class = s.InteractionSerializer

    def get_queryset(self) -> QuerySet[Interaction]:
        qs = Interaction.objects.select_related("client").prefetch_related("invoices")
        if self.action != "list":
            return qs
        wanted = _filters(s.InteractionFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=wanted["client"])
        if "kind" in wanted:
            qs = qs.filter(kind=wanted["kind"])
        return qs.order_by("-occurred_at", "-pk")

    @extend_schema(parameters=[s.InteractionFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class ReminderViewSet(ApiViewSet):
    serializer_class = s.ForecastEntrySerializer

    @extend_schema(parameters=[s.ForecastQuerySerializer],
                   responses=s.ForecastEntrySerializer(many=True))
    @action(detail=False, methods=["get"])
    def forecast(self, request: Request) -> Response:
        """What the reminder engine will send over the next ``days`` (1 to 60), in send order:
        computed from the current state, nothing is written."""
        wanted = _filters(s.ForecastQuerySerializer, request)
        entries = forecast(now=timezone.now(), days=wanted["days"], client_ids=(
            [wanted["client"].pk] if "client" in wanted else None))
        # DRF pages any sequence; the stubs accept only a QuerySet.
        page: list[dict[str, Any]] | None = self.paginate_queryset(entries)  # type: ignore[arg-type]
        return self.get_paginated_response(s.ForecastEntrySerializer(page, many=True).data)

