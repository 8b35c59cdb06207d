"""The Django admin is for superusers only (``infra.admin_site.SuperuserAdminSite``): the Admin
and Bookkeeper groups lose the model permissions ``clients.0006_roles`` gave them for it, and
users who are not superusers lose staff status and their own model permissions. Settle's pages
decide by group (``infra.roles``), never by these permissions, so nobody loses a page; what an
admin configures goes through Configure. (It lives in the api app only because its migrations
are the ones this change owns; it depends on the migration that created the groups.)"""

from django.conf import settings
from django.db import migrations


def admin_for_superusers_only(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for group in group_model.objects.filter(name__in=["Admin", "Bookkeeper"]):
        group.permissions.clear()
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    others = user_model.objects.filter(is_superuser=False)
    for user in others.filter(user_permissions__isnull=False).distinct():
        user.user_permissions.clear()
    others.filter(is_staff=True).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [("api", "0003_hash_legacy_tokens"), ("clients", "0006_roles"),
                    migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
    operations = [migrations.RunPython(admin_for_superusers_only, migrations.RunPython.noop)]
