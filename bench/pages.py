"""Time the bookkeeper's and the admin's main pages on a seeded book (run with
``SETTLE_VAR_DIR=<dir with the 100k demo book> .venv/bin/python manage.py shell < bench/pages.py``):
the second request of each page, with its query count."""

from django.test import Client as C
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from clients.models import Client
from django.db.models import Count
from config.roles import ensure_groups
import time
a_g, b_g = ensure_groups()
U = get_user_model()
for u in U.objects.filter(is_staff=True): u.groups.add(a_g if u.is_superuser else b_g)
c = C(); c.force_login(U.objects.get(username="bookkeeper"))
ca = C(); ca.force_login(U.objects.get(username="admin"))
big = Client.objects.annotate(n=Count("invoices")).order_by("-n").first()
urls = [(c, "/desk/"), (c, "/desk/worklist/"), (c, f"/desk/clients/{big.pk}/"), (c, "/analytics/"),
        (c, "/tasks/?all=1"), (ca, "/configure/"), (ca, "/configure/cadences/1/"), (ca, "/configure/templates/")]
for cl, url in urls:
    cl.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as q:
        t = time.monotonic(); r = cl.get(url, HTTP_HOST="127.0.0.1")
    print(r.status_code, url, f"{time.monotonic()-t:.2f}s", len(q), "queries", f"(client has {big.n} invoices)" if "clients" in url else "")
