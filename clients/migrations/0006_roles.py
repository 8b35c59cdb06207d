"""The two roles as groups (see config/roles.py). Bookkeepers get the model permissions the
Django admin needs for clients and receivables (no deletes: money records are corrected, not
removed); admins get every permission of Settle's apps."""

from django.conf import settings
from django.db import migrations

APPS = ("clients", "receivables", "reminders", "checkout")


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():  # permissions exist only after post_migrate
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    admin, _ = group_model.objects.get_or_create(name="Admin")
    bookkeeper, _ = group_model.objects.get_or_create(name="Bookkeeper")
    admin.permissions.set(permission_model.objects.filter(content_type__app_label__in=APPS))
    bookkeeper.permissions.set(permission_model.objects.filter(
        content_type__app_label__in=("clients", "receivables")).exclude(
        codename__startswith="delete_"))
    # Users from before the roles keep working: staff become bookkeepers, superusers admins.
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for user in user_model.objects.filter(is_active=True, is_staff=True):
        user.groups.add(admin if user.is_superuser else bookkeeper)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Admin", "Bookkeeper"]).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_interaction_kinds_plan_preferences"),
                    migrations.swappable_dependency(settings.AUTH_USER_MODEL),
                    ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name"),
                    ("receivables", "0002_invoice_next_action_at_invoice_promised_until_and_more"),
                    ("reminders", "0007_instalment_cadence"),
                    ("checkout", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
