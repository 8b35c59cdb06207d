"""The tokens of DRF's ``authtoken`` (stored in plain text, never expiring) become hashed
``ApiToken`` rows: each keeps working with the same secret, now expires
``SETTLE_API_TOKEN_DAYS`` after this migration, and its plain-text row is deleted. Settle no
longer installs ``rest_framework.authtoken``; its table, if this database has one, is left
empty."""

import hashlib
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

LEGACY_TABLE = "authtoken_token"


def _aware(value, default):
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return default
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def hash_legacy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    api_token = apps.get_model("api", "ApiToken")
    now = timezone.now()
    expires = now + timedelta(days=getattr(settings, "SETTLE_API_TOKEN_DAYS", 90))
    table = connection.ops.quote_name(LEGACY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id, created "  # noqa: S608 (constant table name)
                       f"FROM {table}")
        rows = cursor.fetchall()
        for key, user_id, created in rows:
            digest = hashlib.sha256(key.encode()).hexdigest()
            if not api_token.objects.filter(digest=digest).exists():
                api_token.objects.create(
                    user_id=user_id, name="created before tokens were hashed", prefix=key[:8],
                    digest=digest, scope="write", created_at=_aware(created, now),
                    expires_at=expires)
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant table name)


class Migration(migrations.Migration):
    dependencies = [("api", "0002_api_tokens")]
    operations = [migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop)]
