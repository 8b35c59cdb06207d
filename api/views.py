"""The REST API (``/api/v1/``): clients, invoices, payments, reminders, the timeline.

Views check shapes with a serializer, call one service and describe the result; a service's
``ValidationError`` becomes a 400 with its messages (``api.errors``). Every POST honours an
``Idempotency-Key`` (``api.idempotency``)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.errors import Conflict
from api.idempotency import HEADER, idempotent
from api.permissions import AuthenticatedRequest
from clients.models import Client, Interaction
from clients.services import client_create, client_pause_reminders
from receivables.models import RECEIVABLE_STATUSES, Invoice, Payment, PaymentSource
from receivables.services import (
    LineInput,
    invoice_create,
    invoice_pause_reminders,
    payment_record,
    payment_sync_record,
)
from reminders.forecast import forecast

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID) per operation: a retry with the same key and body "
                "gets the first response back and creates nothing; the same key with another "
                "body is refused with 422. Keys are kept for 24 hours.")


def _filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Query parameters, validated: a filter that makes no sense is a 400, not ignored."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return {k: v for k, v in query.validated_data.items() if v is not None}


def _client_or_none(reference: str | None) -> Client | None:
    return s.client_by_reference(reference) if reference else None


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ClientSerializer

    def get_queryset(self) -> QuerySet[Client]:
        qs = Client.objects.select_related("default_terms").prefetch_related("tags")
        if self.action != "list":
            return qs
        if reference := self.request.query_params.get("reference"):
            qs = qs.filter(reference=reference)
        if search := self.request.query_params.get("search", "").strip():
            qs = qs.filter(Q(display_name__icontains=search) | Q(legal_name__icontains=search)
                           | Q(reference__icontains=search) | Q(email__icontains=search))
        return qs.order_by("display_name", "pk")

    @extend_schema(parameters=[
        OpenApiParameter("reference", str, description="Exactly this client reference."),
        OpenApiParameter("search", str, description="Part of the name, reference or email.")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ClientCreateSerializer, responses={201: s.ClientSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
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

    @extend_schema(request=s.PauseSerializer, responses=s.ClientSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Pause the client's reminders up to and including ``until``."""
        data = _valid(s.PauseSerializer, request)
        client = client_pause_reminders(client=self.get_object(), until=data["until"],
                                        actor=request.user, reason=data["reason"])
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.ResumeSerializer, responses=s.ClientSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER])
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


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.InvoiceSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        qs = Invoice.objects.select_related("client", "terms").prefetch_related("lines__invoice")
        if self.action != "list":
            return qs
        wanted = _filters(s.InvoiceFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=_client_or_none(wanted["client"]))
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

    @extend_schema(parameters=[s.InvoiceFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.InvoiceCreateSerializer, responses={201: s.InvoiceSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
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

    @extend_schema(request=s.PauseSerializer, responses=s.InvoiceSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Pause this invoice's reminders up to and including ``until``; the client's other
        invoices carry on."""
        data = _valid(s.PauseSerializer, request)
        invoice = invoice_pause_reminders(invoice=self.get_object(), until=data["until"],
                                          actor=request.user, reason=data["reason"])
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)

    @extend_schema(request=s.ResumeSerializer, responses=s.InvoiceSerializer,
                   parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request: AuthenticatedRequest, pk: str) -> Response:
        """Let this invoice's reminders go out again."""
        data = _valid(s.ResumeSerializer, request)
        invoice = invoice_pause_reminders(invoice=self.get_object(), until=None,
                                          actor=request.user, reason=data["reason"])
        return Response(s.InvoiceSerializer(self.get_queryset().get(pk=invoice.pk)).data)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        qs = Payment.objects.select_related("client").prefetch_related(
            "allocations__invoice", "allocations__payment")
        if self.action != "list":
            return qs
        wanted = _filters(s.PaymentFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=_client_or_none(wanted["client"]))
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

    @extend_schema(request=s.PaymentCreateSerializer, responses={201: s.PaymentSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
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

    @extend_schema(request=None, responses={201: s.PaymentSyncSerializer},
                   parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=False, methods=["post"])
    @idempotent
    def sync(self, request: Request) -> Response:
        """Heartbeat: "Settle has every payment my system knows of, as of now". Reminders to
        clients whose books come from the API wait while this is older than the business
        profile's limit, so call it after each sync run, even one that found no payments."""
        sync = payment_sync_record(source=PaymentSource.API, payments=0)
        return Response(s.PaymentSyncSerializer(sync).data, status=status.HTTP_201_CREATED)


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """The clients' timelines, newest first (read only: entries are never changed)."""

    serializer_class = s.InteractionSerializer

    def get_queryset(self) -> QuerySet[Interaction]:
        qs = Interaction.objects.select_related("client").prefetch_related("invoices")
        if self.action != "list":
            return qs
        wanted = _filters(s.InteractionFilterSerializer, self.request)
        if "client" in wanted:
            qs = qs.filter(client=_client_or_none(wanted["client"]))
        if "kind" in wanted:
            qs = qs.filter(kind=wanted["kind"])
        return qs.order_by("-occurred_at", "-pk")

    @extend_schema(parameters=[s.InteractionFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class ReminderViewSet(viewsets.GenericViewSet):
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

