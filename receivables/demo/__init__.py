"""A realistic, deterministic demo book: clients, terms, invoices, payments and timelines.

``seed_demo_book`` is what ``manage.py seed_demo`` runs; benchmarks import it to build books of
any size. There is ONE code path for every size: the whole book is planned with
``random.Random(seed)``, built in memory as plain rows and written by ``writer.Writer``
(batched INSERTs on SQLite, COPY on PostgreSQL) in one transaction. Building in memory means
re-doing what ``receivables.services`` would do, so ``bookkeeping.Ledger`` mirrors those
services rule for rule (line and invoice totals, the early-payment discount, allocation,
payment status, transitions, write-offs, the timeline entries they record) with the same
``core.money`` and ``core.terms`` functions: every stored amount is exactly what the services
would have stored (the tests replay demo invoices through the services to prove it).
``verify_book`` then checks the stored book in the database, and a failure rolls it all back.

Contact data is fictitious but valid: names from small per-language pools, e-mail addresses
under the reserved example.com/.org/.net domains, mobile numbers that pass
``phonenumbers.is_valid_number`` (US numbers are in the 555-01XX range reserved for fiction;
libphonenumber rejects the UK and French drama ranges, so those are random numbers in real
mobile ranges).

With ``DemoOptions.history_days`` (``seed_demo`` asks for 90 days), the book also gets the
reminder engine's history before its day (``history``): Settle "went live" that many days ago,
and every client's invoices went through the engine's rules since, in the same one pass per
round, written set-based with the rest; see ``history`` for the story and its one liberty.

The modules, each importing only those listed before it:

- ``options``: DemoOptions, DemoReport, DemoBookError and the shared constants
- ``reference``: the fixed data drawn from (countries, names, items, terms, invoice fates)
- ``ensure``: the logins, payment terms and client tags, created when missing
- ``rows``: the book in memory, one plain row class per table
- ``bookkeeping``: ``Ledger``, receivables.services in memory; ``money_text``
- ``writer``: ``Writer`` (batched inserts with reserved ids) and ``insert`` (one round)
- ``clients``: the demo clients
- ``plan``: which invoice goes to which client, with which fate, in which round
- ``rounds``: each invoice issued and its fate played out (payments, fees, calls, disputes)
- ``engine``: the reminder engine's rules in memory (planner and dispatcher, mirrored)
- ``messages``: the words of the history's messages (the seeded templates, as of their day)
- ``history``: the last 90 days of reminders, deliveries, opens, clicks, calls and promises
- ``checks``: ``verify_book`` and the aging buckets of the stored book
- ``book``: ``seed_demo_book``, the entry point
"""

from receivables.demo.book import seed_demo_book
from receivables.demo.bookkeeping import money_text
from receivables.demo.checks import verify_book
from receivables.demo.ensure import ensure_terms
from receivables.demo.options import (
    DEFAULT_PASSWORD,
    DEMO_PREFIX,
    HISTORY_DAYS,
    HISTORY_MAX_INVOICES,
    DemoBookError,
    DemoOptions,
    DemoReport,
)

# What the seed_demo command, the tests and the benchmarks import.
__all__ = [
    "DEFAULT_PASSWORD",
    "DEMO_PREFIX",
    "HISTORY_DAYS",
    "HISTORY_MAX_INVOICES",
    "DemoBookError",
    "DemoOptions",
    "DemoReport",
    "ensure_terms",
    "money_text",
    "seed_demo_book",
    "verify_book",
]
