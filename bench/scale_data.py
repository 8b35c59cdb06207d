"""Set-based data for bench/scale.py: N clients and M invoices (with lines, payments and their
allocations) written by a handful of ``INSERT … SELECT … FROM generate_series`` statements on
PostgreSQL, in seconds rather than the hours the services would take one invoice at a time.

The rows keep every rule the services keep: invoice totals are the sums of their lines (net
and tax rounded at the currency's minor unit, here always 2), ``amount_paid`` is the sum of
the invoice's allocations, each allocation belongs to a payment of the same client and currency
that it fully uses, ``balance``/``unapplied`` are left to their generated columns, "paid" means
settled, due date ≥ issue date. Ids are given explicitly (the tables start empty) and the
identity sequences are moved past them afterwards.

The mix: clients in six countries (DE, GB, FR, ES, CH, US) with their languages, time zones,
currencies and VAT rates; 92 % prefer email, the others SMS, letters or the phone; every client
has an email address and a postal address, 60 % a mobile number; 5 % are tagged high-value.
Invoices go to clients with a skew (the first clients have thousands of invoices, the last
about 60 % of the mean), 8 % in a currency other than the client's; issue dates spread evenly
over the last 540 days; terms Net 30/14/45/60, a discount and due-on-receipt; the older an
invoice, the likelier it is paid (a realistic aging: most of what is open is recent);
1 % void, some partially paid, disputed, in collections, promised (half the promises lapsed)
or paused (0.5 % of the open ones). Every client's first invoice (ids 1..N) is open and 10 to
30 days overdue, so every client has something to be reminded about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# (country, language, time zone, currency, VAT %, calling code, cities, weight %)
COUNTRIES = (
    ("DE", "de", "Europe/Berlin", "EUR", 19, "+49", ("Berlin", "Hamburg", "München", "Köln"), 40),
    ("GB", "en", "Europe/London", "GBP", 20, "+44", ("London", "Leeds", "Bristol"), 20),
    ("FR", "fr", "Europe/Paris", "EUR", 20, "+33", ("Paris", "Lyon", "Lille"), 10),
    ("ES", "es", "Europe/Madrid", "EUR", 21, "+34", ("Madrid", "Valencia"), 7),
    ("CH", "de", "Europe/Zurich", "CHF", 8.1, "+41", ("Zürich", "Basel"), 5),
    ("US", "en", "America/New_York", "USD", 0, "+1", ("New York", "Albany", "Buffalo"), 18),
)
CHANNEL_ORDERS = (  # (JSON, cumulative share)
    ('["email", "sms", "letter", "phone"]', 0.92),
    ('["sms", "email", "letter", "phone"]', 0.97),
    ('["letter", "email", "phone"]', 0.99),
    ('["phone", "email"]', 1.0),
)


@dataclass
class Generated:
    seconds: dict[str, float]
    counts: dict[str, int]


def _case(column: str, values: list[tuple[float, str]]) -> str:
    """CASE WHEN column < c1 THEN v1 … ELSE vn END over cumulative shares."""
    whens = " ".join(f"WHEN {column} < {share} THEN {value}" for share, value in values[:-1])
    return f"CASE {whens} ELSE {values[-1][1]} END"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


CLIENTS_SQL = """
INSERT INTO clients_client (id, reference, display_name, legal_name, contact_name, email,
    mobile_phone, phone, address_line1, address_line2, postcode, city, region, country,
    channel_preferences, language, timezone, default_currency, payment_methods, pay_run_days,
    reminders_paused_until, notes, is_active, created_at, updated_at, default_terms_id,
    owner_id)
SELECT g, 'C' || lpad(g::text, 6, '0'),
       'Client ' || g || ' ' || (ARRAY['GmbH', 'Ltd', 'SARL', 'S.L.', 'AG', 'Inc.'])[ci],
       'Client ' || g || ' ' || (ARRAY['GmbH', 'Ltd', 'SARL', 'S.L.', 'AG', 'Inc.'])[ci],
       'Accounts payable', 'ap' || g || '@client' || g || '.example',
       CASE WHEN rm < 0.6 THEN (ARRAY{calling})[ci] || '7' || lpad((g * 7919 %% 100000000)::text,
            9, '0') ELSE '' END,
       '',
       (ARRAY['Hauptstraße', 'High Street', 'Rue de la Paix', 'Calle Mayor', 'Bahnhofstrasse',
              'Main Street'])[ci] || ' ' || (g %% 180 + 1),
       '', lpad((g * 37 %% 90000 + 10000)::text, 5, '0'),
       (ARRAY{cities})[ci][1 + (g %% 2)],
       CASE WHEN ci = 6 THEN 'NY' ELSE '' END,
       (ARRAY{countries})[ci],
       ({channels})::jsonb,
       (ARRAY{languages})[ci], (ARRAY{zones})[ci], (ARRAY{currencies})[ci],
       CASE WHEN rp < 0.3 THEN '["card", "bank_transfer"]' ELSE '["bank_transfer"]' END::jsonb,
       CASE WHEN rp < 0.2 THEN '[15, "last-business"]' ELSE '[]' END::jsonb,
       NULL, '', true, now(), now(), NULL,
       CASE WHEN g %% 2 = 0 THEN %(owner)s END
FROM (SELECT g, {country_index} AS ci, random() AS rm, random() AS rp,
             random() AS rch
      FROM (SELECT g, random() AS rc FROM generate_series(1, %(clients)s) g) s0) s
"""

# The invoice skeleton: who, when, which terms, how many lines and its fate.
SKELETON_SQL = """
CREATE UNLOGGED TABLE bench_inv AS
SELECT s.g AS id, s.client_id,
       CASE WHEN s.rcur < 0.08 THEN (CASE c.default_currency WHEN 'USD' THEN 'EUR' ELSE 'USD'
            END) ELSE c.default_currency END AS currency,
       c.country, s.issue, s.terms_id, s.net_days, s.issue + s.net_days AS due,
       1 + floor(random() * 3)::int AS nlines,
       CASE WHEN s.g <= %(clients)s THEN 0.999 ELSE random() END AS fate, random() AS part,
       CASE WHEN s.g <= %(clients)s THEN 0.5 ELSE random() END AS promise
FROM (SELECT g, CASE WHEN g <= %(clients)s THEN g
                     ELSE 1 + floor(%(clients)s * power(random(), 1.6))::int END AS client_id,
             random() AS rcur,
             %(today)s::date - CASE WHEN g <= %(clients)s THEN 40 + g %% 20
                                    ELSE floor(random() * 540)::int END AS issue,
             t.id AS terms_id, t.net_days
      FROM (SELECT g, random() AS rt FROM generate_series(1, %(invoices)s) g) s0
      JOIN bench_terms t ON s0.rt >= t.lo AND s0.rt < t.hi) s
JOIN clients_client c ON c.id = s.client_id
"""

LINES_SQL = """
CREATE UNLOGGED TABLE bench_line AS
SELECT id AS invoice_id, p AS position, qty, price, rate,
       round(qty * price, 2) AS net, round(round(qty * price, 2) * rate / 100, 2) AS tax
FROM (SELECT i.id, p, (1 + floor(random() * 10))::numeric AS qty,
             round((10 + random() * 990)::numeric, 2) AS price,
             {rate} AS rate
      FROM bench_inv i CROSS JOIN LATERAL generate_series(1, i.nlines) p) l
"""

# Fate by days overdue (negative: not due yet): the older, the likelier paid.
INVOICES_SQL = """
INSERT INTO receivables_invoice (id, number, client_id, issue_date, due_date, currency,
    terms_id, reference, status, subtotal, tax_total, total, charges_total, reductions_total,
    amount_paid, notes, promised_until, reminders_paused_until, source, next_action_at,
    created_at, updated_at)
SELECT id, 'INV-' || lpad(id::text, 7, '0'), client_id, issue, due, currency, terms_id,
       CASE WHEN id %% 5 < 2 THEN 'PO-' || (id %% 9973) ELSE '' END, status,
       subtotal, tax, subtotal + tax, 0, 0,
       CASE status WHEN 'paid' THEN subtotal + tax
            WHEN 'partially_paid' THEN round((subtotal + tax) * (0.2 + 0.6 * part)::numeric, 2)
            ELSE 0 END,
       '',
       CASE WHEN status IN ('open', 'partially_paid') AND age > 3 AND promise < 0.01
            THEN %(today)s::date + (CASE WHEN promise < 0.005 THEN -3 ELSE 6 END) END,
       CASE WHEN status = 'open' AND promise > 0.995 THEN %(today)s::date + 10 END,
       'manual', NULL, issue::timestamptz, now()
FROM (SELECT i.*, %(today)s::date - i.due AS age, l.subtotal, l.tax,
             CASE
               WHEN i.fate < 0.01 THEN 'void'
               WHEN %(today)s::date - i.due > 90 THEN {old}
               WHEN %(today)s::date - i.due > 30 THEN {middle}
               WHEN %(today)s::date - i.due > 0 THEN {recent}
               ELSE {current}
             END AS status
      FROM bench_inv i
      JOIN (SELECT invoice_id, sum(net) AS subtotal, sum(tax) AS tax FROM bench_line
            GROUP BY invoice_id) l ON l.invoice_id = i.id) x
"""

FATES = {  # cumulative share of "fate" → status, past the 1 % void
    "old": [(0.93, "'paid'"), (0.95, "'partially_paid'"), (0.965, "'in_collections'"),
            (0.975, "'disputed'"), (1, "'open'")],
    "middle": [(0.80, "'paid'"), (0.86, "'partially_paid'"), (0.88, "'disputed'"),
               (0.89, "'in_collections'"), (1, "'open'")],
    "recent": [(0.55, "'paid'"), (0.63, "'partially_paid'"), (0.65, "'disputed'"),
               (1, "'open'")],
    "current": [(0.20, "'paid'"), (0.25, "'partially_paid'"), (1, "'open'")],
}

PAYMENTS_SQL = """
INSERT INTO receivables_payment (id, client_id, amount, currency, received_on, method,
    reference, source, amount_allocated, notes, created_at)
SELECT id, client_id, amount_paid, currency,
       LEAST(%(today)s::date, GREATEST(issue_date, due_date + ((id * 7 %% 41) - 15)::int)),
       (ARRAY['bank_transfer', 'bank_transfer', 'bank_transfer', 'card', 'direct_debit'])
           [1 + id %% 5],
       'PAY-' || number, 'manual', amount_paid, '', now()
FROM receivables_invoice WHERE amount_paid > 0
"""

ALLOCATIONS_SQL = """
INSERT INTO receivables_paymentallocation (id, payment_id, invoice_id, amount, created_at)
SELECT id, id, id, amount_paid, now() FROM receivables_invoice WHERE amount_paid > 0
"""

INVOICE_LINES_SQL = """
INSERT INTO receivables_invoiceline (invoice_id, position, description, quantity, unit_price,
    tax_rate, net_amount, tax_amount)
SELECT invoice_id, position,
       (ARRAY['Consulting', 'Licence', 'Support plan', 'Hardware', 'Training day'])
           [1 + (invoice_id + position) % 5] || ' ' || position,
       qty, price, rate, net, tax
FROM bench_line
"""


def _terms_table(cursor: Any, terms: list[tuple[int, int, float]]) -> None:
    """bench_terms(id, net_days, lo, hi): each terms' share of invoices as a [lo, hi) range."""
    cursor.execute("CREATE UNLOGGED TABLE bench_terms (id bigint, net_days int, lo float8, "
                   "hi float8)")
    lo = 0.0
    for i, (pk, net_days, share) in enumerate(terms):
        hi = 1.0 if i == len(terms) - 1 else lo + share
        cursor.execute("INSERT INTO bench_terms VALUES (%s, %s, %s, %s)",
                       [pk, net_days, lo, hi + (1e-9 if i == len(terms) - 1 else 0)])
        lo = hi


def _arr(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def clients_sql() -> str:
    shares, total = [], 0.0
    for row in COUNTRIES:
        total += row[-1] / 100
        shares.append(total)
    index = _case("rc", [(s, str(i + 1)) for i, s in enumerate(shares)])
    return CLIENTS_SQL.format(
        calling=_arr([_q(r[5]) for r in COUNTRIES]),
        cities=_arr([_arr([_q(c) for c in (r[6] + r[6])[:2]]) for r in COUNTRIES]),
        countries=_arr([_q(r[0]) for r in COUNTRIES]),
        languages=_arr([_q(r[1]) for r in COUNTRIES]),
        zones=_arr([_q(r[2]) for r in COUNTRIES]),
        currencies=_arr([_q(r[3]) for r in COUNTRIES]),
        channels=_case("rch", [(s, _q(j)) for j, s in CHANNEL_ORDERS]),
        country_index=index)


def lines_sql() -> str:
    rate = "CASE i.country " + " ".join(f"WHEN {_q(r[0])} THEN {r[4]}" for r in COUNTRIES) + \
        " ELSE 0 END::numeric"
    return LINES_SQL.format(rate=rate)


def invoices_sql() -> str:
    return INVOICES_SQL.format(**{name: _case("i.fate", values)
                                  for name, values in FATES.items()})


def generate(connection: Any, *, clients: int, invoices: int, today: date, owner_id: int,
             terms: list[tuple[int, int, float]], high_value_tag_id: int | None,
             seed: float, timer: Any) -> Generated:
    """Fill the empty tables. ``terms``: (id, net days, share of invoices). ``timer(name)`` is
    a context manager that records how long each step took."""
    params = {"clients": clients, "invoices": invoices, "today": today, "owner": owner_id}
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")  # setseed → repeatable
        cursor.execute("SELECT setseed(%s)", [seed])
        for name in ("bench_line", "bench_inv", "bench_terms"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        _terms_table(cursor, terms)
        with timer("clients"):
            cursor.execute(clients_sql(), params)
            if high_value_tag_id:
                cursor.execute("INSERT INTO clients_client_tags (client_id, clienttag_id) "
                               "SELECT id, %s FROM clients_client WHERE id %% 20 = 7",
                               [high_value_tag_id])
        with timer("invoice skeleton + lines (staging)"):
            cursor.execute(SKELETON_SQL, params)
            cursor.execute(lines_sql())
        with timer("invoices"):
            cursor.execute(invoices_sql(), params)
        with timer("invoice lines"):
            cursor.execute(INVOICE_LINES_SQL)
        with timer("payments + allocations"):
            cursor.execute(PAYMENTS_SQL, params)
            cursor.execute(ALLOCATIONS_SQL)
        for name in ("bench_line", "bench_inv", "bench_terms"):
            cursor.execute(f"DROP TABLE {name}")
        for table in ("clients_client", "receivables_invoice", "receivables_invoiceline",
                      "receivables_payment", "receivables_paymentallocation",
                      "clients_client_tags"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT max(id) FROM {table}), 1))")
        with timer("vacuum analyze"):
            cursor.execute("VACUUM ANALYZE")
        counts = {}
        for label, sql in (
                ("clients", "SELECT count(*) FROM clients_client"),
                ("invoices", "SELECT count(*) FROM receivables_invoice"),
                ("lines", "SELECT count(*) FROM receivables_invoiceline"),
                ("payments", "SELECT count(*) FROM receivables_payment"),
                ("receivable", "SELECT count(*) FROM receivables_invoice WHERE status IN "
                               "('open', 'partially_paid', 'disputed', 'in_collections') "
                               "AND balance > 0"),
                ("overdue", "SELECT count(*) FROM receivables_invoice WHERE status IN "
                            "('open', 'partially_paid', 'disputed', 'in_collections') "
                            "AND balance > 0 AND due_date < %(today)s"),
                ("currencies", "SELECT count(DISTINCT currency) FROM receivables_invoice")):
            cursor.execute(sql, params if "%(" in sql else None)
            counts[label] = cursor.fetchone()[0]
    return Generated(seconds={}, counts=counts)
