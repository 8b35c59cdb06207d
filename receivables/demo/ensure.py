"""What the demo book needs that may exist already: the two logins, the payment terms and
the client tags, each created only when missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from clients.models import ClientTag
from receivables.demo.reference import TAG_DESCRIPTIONS, TERMS_SPECS
from receivables.models import PaymentTerms
from receivables.services import terms_default


@dataclass(frozen=True)
class Users:
    admin: User
    bookkeeper: User
    created: dict[str, bool]


def ensure_users(password: str) -> Users:
    """The superuser and the bookkeeper, created when missing; existing ones stay as they are
    (their passwords too)."""
    user_model = get_user_model()
    created = {}
    admin = user_model.objects.filter(username="admin").first()
    created["admin"] = admin is None
    if admin is None:
        admin = user_model.objects.create_superuser(
            "admin", "admin@example.com", password, first_name="Ada", last_name="Admin")
    bookkeeper = user_model.objects.filter(username="bookkeeper").first()
    created["bookkeeper"] = bookkeeper is None
    if bookkeeper is None:
        bookkeeper = user_model.objects.create_user(
            "bookkeeper", "bookkeeper@example.com", password, first_name="Bea",
            last_name="Keeper")
        # The bookkeeper works in Settle's own pages (their role is the group below); the
        # Django admin is for superusers only.
    from infra.roles import ensure_groups

    admin_group, bookkeeper_group = ensure_groups()
    admin.groups.add(admin_group)
    bookkeeper.groups.add(bookkeeper_group)
    return Users(admin=admin, bookkeeper=bookkeeper, created=created)


def ensure_terms() -> dict[str, PaymentTerms]:
    """The demo terms by key, created by name when missing (idempotent)."""
    default = terms_default()  # "Net 30", marked default, on a fresh install
    terms = {}
    for spec in TERMS_SPECS:
        if spec.name == default.name:
            terms[spec.key] = default
            continue
        found = PaymentTerms.objects.filter(name=spec.name).first()
        if found is None:
            found = PaymentTerms(name=spec.name, **spec.fields)
            found.full_clean()
            found.save()
        terms[spec.key] = found
    return terms


def ensure_tags() -> dict[str, ClientTag]:
    tags = {}
    for name, description in TAG_DESCRIPTIONS.items():
        tags[name], _ = ClientTag.objects.get_or_create(name=name,
                                                        defaults={"description": description})
    return tags
