"""The cached copy of a user's settings (people.selectors): read at login, so their pages cost
no query for them (a login also picks up settings changed elsewhere), and dropped whenever the
row changes, whoever changes it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from people.models import UserSettings
from people.selectors import cache_key, remember_preferences


@receiver(user_logged_in, dispatch_uid="people.remember_preferences")
def _remember_preferences(sender: Any, user: Any, **kwargs: Any) -> None:
    remember_preferences(user)


@receiver([post_save, post_delete], sender=UserSettings, dispatch_uid="people.forget_preferences")
def _forget_preferences(sender: Any, instance: UserSettings, **kwargs: Any) -> None:
    key = cache_key(instance.user_id)
    cache.delete(key)
    # Again once the change is committed: a request that read the old row in between must
    # not keep it for a day.
    transaction.on_commit(lambda: cache.delete(key))
