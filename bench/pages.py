"""Time the bookkeeper's and the admin's main pages on a seeded book: the second request of
each page through Django's test client, with its query count.

    SETTLE_VAR_DIR=<dir with the 100k demo book> .venv/bin/python manage.py shell < bench/pages.py
"""

import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from infra.roles import ensure_groups

admin_group, bookkeeper_group = ensure_groups()
users = get_user_model().objects
for user in users.filter(is_staff=True):
    user.groups.add(admin_group if user.is_superuser else bookkeeper_group)
bookkeeper, admin = Browser(), Browser()
bookkeeper.force_login(users.get(username="bookkeeper"))
admin.force_login(users.get(username="admin"))
big = Client.objects.annotate(n=Count("invoices")).order_by("-n").first()
PAGES = [(bookkeeper, "/desk/"), (bookkeeper, "/desk/worklist/"),
         (bookkeeper, f"/desk/clients/{big.pk}/"), (bookkeeper, "/analytics/"),
         (bookkeeper, "/tasks/?all=1"), (admin, "/configure/"),
         (admin, "/configure/cadences/1/"), (admin, "/configure/templates/")]
for browser, url in PAGES:
    browser.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = browser.get(url, HTTP_HOST="127.0.0.1")
    note = f"(client has {big.n} invoices)" if "clients" in url else ""
    print(response.status_code, url, f"{time.monotonic() - started:.2f}s",
          len(queries), "queries", note)
