"""A realistic, deterministic demo book: clients, terms, invoices, payments and timelines.

``seed_demo_book`` is what ``manage.py seed_demo`` runs; benchmarks import it to build books of
any size. There is ONE code path for every size: the whole book is planned with
``random.Random(seed)``, built in memory as plain rows and written by ``_Writer`` (batched
INSERTs on SQLite, COPY on PostgreSQL) in one transaction. Building in memory means re-doing
what ``receivables.services`` would do, so ``_Ledger`` mirrors those services rule for rule
(line and invoice totals, the early-payment discount, allocation, payment status, transitions,
write-offs, the timeline entries they record) with the same ``core.money`` and ``core.terms``
functions: every stored amount is exactly what the services would have stored (the tests
replay demo invoices through the services to prove it). ``verify_book`` then checks the stored
book in the database, and a failure rolls it all back.

Contact data is fictitious but valid: names from small per-language pools, e-mail addresses
under the reserved example.com/.org/.net domains, mobile numbers that pass
``phonenumbers.is_valid_number`` (US numbers are in the 555-01XX range reserved for fiction;
libphonenumber rejects the UK and French drama ranges, so those are random numbers in real
mobile ranges).
"""

from __future__ import annotations

import gc
import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache, partial
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from clients.models import (
    Channel,
    Client,
    ClientTag,
    Interaction,
    InteractionChannel,
    InteractionInvoice,
    InteractionKind,
    PaymentMethod,
)
from clients.services import actor_label_for
from core import calendar as paycal
from core import terms as termsmath
from core.money import format_money, percent_of
from core.money import quantize as q
from receivables import ledger
from receivables.models import (
    CHARGE_KINDS,
    MONEY,
    AdjustmentKind,
    Invoice,
    InvoiceAdjustment,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
    PaymentTerms,
)
from receivables.selectors import AGING_BUCKETS
from receivables.services import terms_default

DEMO_PREFIX = "DEMO-"
DEFAULT_PASSWORD = "settle-demo"  # a documented demo login, not a secret
BATCH_SIZE = 2000
# Invoices built and inserted per round: bounds memory on 100k-invoice books.
CHUNK_INVOICES = 10_000
SLACK = Decimal("0.000001")  # float noise of SQLite sums; see receivables.models._SLACK
ZERO = Decimal(0)

# --- Reference data -------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    region: str  # only where the postal format prints it (US state, Spanish province, ...)
    postcodes: tuple[str, ...]  # patterns: # = digit, @ = letter of a UK inward code
    timezone: str
    mobile_prefixes: tuple[str, ...] = ()  # local area codes (US, MX) instead of the country's


@dataclass(frozen=True)
class Country:
    code: str
    language: str
    currency: str
    tax_standard: Decimal
    tax_reduced: Decimal
    mobile_prefixes: tuple[str, ...]  # E.164 prefixes of mobile ranges
    mobile_length: int  # characters of the E.164 number, "+" included
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    street_format: str  # "{n} {street}" or "{street} {n}"
    legal_forms: tuple[str, ...]
    public_bodies: tuple[str, ...]  # "{city}" filled in
    weight: int


COUNTRIES: tuple[Country, ...] = (
    Country("DE", "de", "EUR", Decimal(19), Decimal(7),
            ("+49151", "+49152", "+49157", "+49176", "+49177", "+49178", "+49179"), 14,
            (City("Berlin", "", ("10115", "10178", "10243", "10435", "12043"), "Europe/Berlin"),
             City("Hamburg", "", ("20095", "20457", "22765"), "Europe/Berlin"),
             City("München", "", ("80331", "80469", "81371"), "Europe/Berlin"),
             City("Köln", "", ("50667", "50672", "50823"), "Europe/Berlin"),
             City("Frankfurt am Main", "", ("60311", "60486", "60594"), "Europe/Berlin"),
             City("Leipzig", "", ("04103", "04109"), "Europe/Berlin"),
             City("Stuttgart", "", ("70173", "70178"), "Europe/Berlin")),
            ("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Goethestraße",
             "Lindenallee", "Industriestraße", "Am Markt", "Friedrichstraße", "Hafenweg"),
            "{street} {n}", ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K."),
            ("Stadtwerke {city}", "Stadt {city}", "Jobcenter {city}"), 20),
    Country("AT", "de", "EUR", Decimal(20), Decimal(10),
            ("+43664", "+43676", "+43650"), 13,
            (City("Wien", "", ("1010", "1030", "1060", "1070", "1090", "1100"), "Europe/Vienna"),
             City("Graz", "", ("8010", "8020"), "Europe/Vienna"),
             City("Linz", "", ("4020",), "Europe/Vienna"),
             City("Salzburg", "", ("5020",), "Europe/Vienna"),
             City("Innsbruck", "", ("6020",), "Europe/Vienna")),
            ("Hauptplatz", "Mariahilfer Straße", "Landstraße", "Wiener Straße", "Herrengasse",
             "Bahnhofstraße", "Ringstraße"),
            "{street} {n}", ("GmbH", "AG", "OG", "KG"),
            ("Magistrat der Stadt {city}", "Stadtwerke {city}"), 8),
    Country("GB", "en", "GBP", Decimal(20), Decimal(0),
            ("+4474", "+4475", "+4477", "+4478", "+4479"), 13,
            (City("London", "", ("EC1V #@@", "SE1 #@@", "N1 #@@", "W1T #@@"), "Europe/London"),
             City("Manchester", "", ("M1 #@@", "M4 #@@"), "Europe/London"),
             City("Bristol", "", ("BS1 #@@",), "Europe/London"),
             City("Leeds", "", ("LS1 #@@",), "Europe/London"),
             City("Edinburgh", "", ("EH1 #@@", "EH3 #@@"), "Europe/London"),
             City("Cardiff", "", ("CF10 #@@",), "Europe/London")),
            ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane",
             "King Street", "Queen's Road", "Park Avenue"),
            "{n} {street}", ("Ltd", "LLP", "PLC"),
            ("{city} City Council", "NHS {city} Trust"), 15),
    Country("US", "en", "USD", Decimal(0), Decimal(0), (), 12,
            (City("New York", "NY", ("100##",), "America/New_York", ("212", "646", "917")),
             City("Boston", "MA", ("021##",), "America/New_York", ("617",)),
             City("Chicago", "IL", ("606##",), "America/Chicago", ("312", "773")),
             City("Austin", "TX", ("787##",), "America/Chicago", ("512",)),
             City("Denver", "CO", ("802##",), "America/Denver", ("303", "720")),
             City("Seattle", "WA", ("981##",), "America/Los_Angeles", ("206",))),
            ("Main Street", "Oak Avenue", "Maple Drive", "Broadway", "Market Street",
             "Pine Street", "Lake Shore Drive", "Elm Street"),
            "{n} {street}", ("Inc.", "LLC", "Corp."),
            ("City of {city}", "{city} Public Schools"), 15),
    Country("FR", "fr", "EUR", Decimal(20), Decimal("5.5"),
            ("+336", "+3375", "+3376", "+3377", "+3378"), 12,
            (City("Paris", "", ("75001", "75008", "75011", "75015", "75017"), "Europe/Paris"),
             City("Lyon", "", ("69001", "69002", "69003", "69007"), "Europe/Paris"),
             City("Marseille", "", ("13001", "13006", "13008"), "Europe/Paris"),
             City("Toulouse", "", ("31000", "31400"), "Europe/Paris"),
             City("Lille", "", ("59000", "59800"), "Europe/Paris"),
             City("Bordeaux", "", ("33000", "33800"), "Europe/Paris"),
             City("Nantes", "", ("44000", "44100"), "Europe/Paris")),
            ("rue de la République", "avenue Victor Hugo", "boulevard Voltaire",
             "rue du Commerce", "place de la Mairie", "rue Pasteur", "rue des Lilas"),
            "{n} {street}", ("SARL", "SAS", "SA", "EURL"),
            ("Ville de {city}", "Mairie de {city}"), 12),
    Country("BE", "fr", "EUR", Decimal(21), Decimal(6),
            ("+32470", "+32475", "+32485", "+32496"), 12,
            (City("Bruxelles", "", ("1000", "1040", "1050", "1060"), "Europe/Brussels"),
             City("Liège", "", ("4000", "4020"), "Europe/Brussels"),
             City("Namur", "", ("5000",), "Europe/Brussels"),
             City("Charleroi", "", ("6000",), "Europe/Brussels"),
             City("Mons", "", ("7000",), "Europe/Brussels")),
            ("Rue de la Loi", "Avenue Louise", "Rue Neuve", "Chaussée de Waterloo",
             "Boulevard d'Avroy", "Rue du Midi"),
            "{street} {n}", ("SRL", "SA", "SC"),
            ("Ville de {city}", "Commune de {city}"), 8),
    Country("ES", "es", "EUR", Decimal(21), Decimal(4), ("+346",), 12,
            (City("Madrid", "Madrid", ("28001", "28013", "28045"), "Europe/Madrid"),
             City("Barcelona", "Barcelona", ("08001", "08008", "08036"), "Europe/Madrid"),
             City("Valencia", "Valencia", ("46001", "46004"), "Europe/Madrid"),
             City("Sevilla", "Sevilla", ("41001", "41004"), "Europe/Madrid"),
             City("Bilbao", "Bizkaia", ("48001", "48009"), "Europe/Madrid"),
             City("Zaragoza", "Zaragoza", ("50001", "50004"), "Europe/Madrid")),
            ("Calle Mayor", "Gran Vía", "Calle de Alcalá", "Avenida de la Constitución",
             "Paseo de Gracia", "Calle Real"),
            "{street}, {n}", ("S.L.", "S.A.", "S.L.U."),
            ("Ayuntamiento de {city}", "Diputación de {city}"), 10),
    Country("MX", "es", "USD", Decimal(16), Decimal(0), (), 13,
            (City("Ciudad de México", "CDMX", ("06600", "03100", "11560"),
                  "America/Mexico_City", ("+5255",)),
             City("Guadalajara", "Jalisco", ("44100", "44600"), "America/Mexico_City",
                  ("+5233",)),
             City("Monterrey", "Nuevo León", ("64000", "64060"), "America/Monterrey",
                  ("+5281",)),
             City("Cancún", "Quintana Roo", ("77500",), "America/Cancun", ("+52998",)),
             City("Tijuana", "Baja California", ("22000",), "America/Tijuana", ("+52664",))),
            ("Avenida Reforma", "Calle Juárez", "Avenida Insurgentes Sur", "Calle Hidalgo",
             "Avenida Constitución"),
            "{street} {n}", ("S.A. de C.V.", "S. de R.L. de C.V."),
            ("Municipio de {city}", "Gobierno de {city}"), 7),
)


@dataclass(frozen=True)
class NamePool:
    first: tuple[str, ...]
    last: tuple[str, ...]
    trades: tuple[str, ...]
    trade_first: bool  # "Transports Martin" (fr, es) or "Müller Logistik" (de, en)
    ap_mailbox: str  # the accounts-payable mailbox some clients give instead of a person


NAMES: dict[str, NamePool] = {
    "en": NamePool(
        ("Olivia", "James", "Amelia", "Oliver", "Isla", "George", "Emily", "Harry", "Grace",
         "Jack", "Sophie", "Thomas", "Emma", "Michael", "Sarah", "David", "Hannah", "Ryan"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
         "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
         "Hall", "Wood", "Clarke", "Miller", "Anderson", "Carter", "Mitchell", "Hughes"),
        ("Consulting", "Logistics", "Engineering", "Design Studio", "Builders", "Software",
         "Print Works", "Catering", "Media", "Analytics", "Dental Care", "Architects",
         "Marine", "Outdoor", "Labs", "Legal", "Interiors", "Foods"),
        False, "accounts"),
    "de": NamePool(
        ("Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lena", "Paul", "Julia",
         "Maximilian", "Laura", "Tobias", "Katharina", "Jan", "Sabine", "Stefan", "Jürgen",
         "Birgit", "Matthias", "Ulrike"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
         "Neumann", "Schwarz", "Zimmermann", "Braun", "Huber", "Gruber", "Hofer", "Steiner"),
        ("Bau", "Logistik", "Elektrotechnik", "Metallbau", "Medien", "Software", "Druckerei",
         "Gastronomie", "Immobilien", "Maschinenbau", "Architekten", "Steuerberatung",
         "Gartenbau", "Haustechnik", "Optik", "Dentallabor", "Automobile", "Holzbau"),
        False, "buchhaltung"),
    "fr": NamePool(
        ("Camille", "Louis", "Chloé", "Gabriel", "Léa", "Jules", "Manon", "Hugo", "Inès",
         "Arthur", "Julie", "Nicolas", "Élodie", "Antoine", "Céline", "Mathieu", "Pierre",
         "Aurélie"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier", "Bertrand",
         "Roux", "Peeters", "Janssens", "Dupont", "Lambert", "Fontaine"),
        ("Transports", "Menuiserie", "Imprimerie", "Architectes", "Conseil", "Électricité",
         "Bâtiment", "Informatique", "Traiteur", "Garage", "Agence", "Studio", "Éditions",
         "Laboratoires", "Paysages", "Optique"),
        True, "comptabilite"),
    "es": NamePool(
        ("Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Daniel", "María", "Pablo", "Carmen",
         "Javier", "Paula", "Alejandro", "Elena", "Diego", "Valeria", "Santiago", "Ximena",
         "Sebastián", "Isabel", "Andrés"),
        ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez",
         "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
         "Álvarez", "Romero", "Navarro", "Torres", "Ramírez", "Flores", "Castillo"),
        ("Construcciones", "Transportes", "Distribuciones", "Talleres", "Gráficas",
         "Consultores", "Ingeniería", "Inmobiliaria", "Alimentación", "Muebles",
         "Electricidad", "Asesoría", "Clínica Dental", "Viajes", "Software"),
        True, "facturas"),
}


@dataclass(frozen=True)
class Item:
    descriptions: dict[str, str]  # per language: the client reads its invoices in its language
    price_range: tuple[int, int]  # whole units of the currency
    quantities: tuple[str, ...]
    reduced_rate: bool = False  # books and the like: the country's reduced VAT rate


ITEMS: tuple[Item, ...] = (
    Item({"en": "Consulting (hours)", "de": "Beratung (Stunden)", "fr": "Conseil (heures)",
          "es": "Consultoría (horas)"}, (85, 180), ("1", "2.5", "4", "7.5", "8", "12", "16.5")),
    Item({"en": "Software licence, monthly subscription", "de": "Softwarelizenz, Monatsabo",
          "fr": "Licence logicielle, abonnement mensuel",
          "es": "Licencia de software, suscripción mensual"}, (19, 490), ("1", "3", "5", "10")),
    Item({"en": "Website maintenance", "de": "Website-Wartung", "fr": "Maintenance du site web",
          "es": "Mantenimiento del sitio web"}, (150, 1200), ("1",)),
    Item({"en": "Design work (hours)", "de": "Gestaltung (Stunden)",
          "fr": "Conception graphique (heures)", "es": "Trabajos de diseño (horas)"},
         (60, 140), ("2", "3.5", "6", "10")),
    Item({"en": "Laptop docking station", "de": "Dockingstation", "fr": "Station d'accueil",
          "es": "Estación de acoplamiento"}, (120, 350), ("1", "2", "4", "10")),
    Item({"en": "On-site training day", "de": "Schulungstag vor Ort",
          "fr": "Journée de formation sur site", "es": "Jornada de formación presencial"},
         (650, 1800), ("1", "2", "3")),
    Item({"en": "Technical handbook", "de": "Fachbuch", "fr": "Manuel technique",
          "es": "Manual técnico"}, (25, 90), ("1", "5", "12", "20"), reduced_rate=True),
    Item({"en": "Travel expenses (flat rate)", "de": "Reisekostenpauschale",
          "fr": "Frais de déplacement (forfait)", "es": "Gastos de viaje (tarifa plana)"},
         (40, 400), ("1",)),
    Item({"en": "Printing (flyers, 1,000 pcs)", "de": "Druck (Flyer, 1.000 Stk.)",
          "fr": "Impression (flyers, 1 000 ex.)", "es": "Impresión (folletos, 1.000 uds.)"},
         (90, 450), ("1", "2", "5")),
    Item({"en": "Cloud hosting (monthly)", "de": "Cloud-Hosting (monatlich)",
          "fr": "Hébergement cloud (mensuel)", "es": "Alojamiento en la nube (mensual)"},
         (29, 600), ("1",)),
)

CODENAMES = ("Atlas", "Boreal", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor",
             "Iris", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer",
             "Quartz", "Redwood", "Summit", "Tundra")

# Every first channel appears: the first clients take these in order, the rest by weight.
CHANNEL_ORDERS: tuple[tuple[list[str], int], ...] = (
    ([Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.PHONE], 60),
    ([Channel.SMS, Channel.EMAIL, Channel.PHONE], 15),
    ([Channel.LETTER, Channel.EMAIL], 12),
    ([Channel.PHONE, Channel.EMAIL, Channel.SMS], 13),
)
PAY_RUNS: tuple[tuple[list[Any], int], ...] = (
    ([], 45), ([15, "last-business"], 15), (["last"], 12), ([1, 15], 10),
    (["first-business"], 10), ([25], 8),
)
PAYMENT_METHOD_SETS: tuple[tuple[list[str], int], ...] = (
    ([PaymentMethod.BANK_TRANSFER], 55), ([PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD], 20),
    ([PaymentMethod.DIRECT_DEBIT], 10), ([PaymentMethod.CARD], 8),
    ([PaymentMethod.CHEQUE, PaymentMethod.BANK_TRANSFER], 7),
)
TAG_DESCRIPTIONS = {
    "high-value": "Large account: personal follow-up before escalating.",
    "public-sector": "Public body: purchase orders, letters, longer payment runs.",
    "slow-payer": "Usually pays late but pays.",
}


@dataclass(frozen=True)
class TermsSpec:
    key: str
    name: str
    fields: dict[str, Any]
    currency: str = ""  # terms with a flat fee only fit invoices in that currency
    weight: int = 0  # share of clients with these as their own default terms


TERMS_SPECS: tuple[TermsSpec, ...] = (
    TermsSpec("net30", "Net 30", {"net_days": 30}, weight=45),
    TermsSpec("net14", "Net 14", {"net_days": 14}, weight=15),
    TermsSpec("discount", "Net 30 · 5% / 30 days · 1.5%/month after 60 days",
              {"net_days": 30, "discount_percent": Decimal(5), "discount_days": 30,
               "interest_percent": Decimal("1.5"), "interest_after_days": 30}, weight=12),
    TermsSpec("flat_fee", "Net 30 · €40 late fee",
              {"net_days": 30, "late_fee_flat": Decimal(40), "late_fee_currency": "EUR"},
              currency="EUR", weight=12),
    TermsSpec("yearly", "Net 45 · 8% p.a. interest · 10 days grace",
              {"net_days": 45, "interest_percent": Decimal(8), "interest_period": "year",
               "grace_days": 10}, weight=10),
    TermsSpec("net60", "Net 60 (public sector)", {"net_days": 60}),
    TermsSpec("receipt", "Due on receipt", {"net_days": 0}, weight=6),
)

# --- Invoice fates -------------------------------------------------------------------------

OPEN, PROMISED, PARTIAL, PAID = "open", "promised", "partial", "paid"
OVERPAID, DISPUTED, WRITTEN_OFF, COLLECTIONS = "overpaid", "disputed", "written_off", "collections"

# Aging buckets as receivables.selectors defines them, by days overdue (None = not yet due).
BUCKET_DAYS: dict[str, tuple[int, int] | None] = {
    "current": None, "1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90), "90+": (91, 420)}
BUCKET_WEIGHTS = {"current": 30, "1-30": 22, "31-60": 14, "61-90": 10, "90+": 24}
# The older an invoice, the likelier it is settled: that is what makes an aging report.
FATE_WEIGHTS: dict[str, dict[str, int]] = {
    "current": {OPEN: 85, PAID: 10, PARTIAL: 5},
    "1-30": {OPEN: 40, PROMISED: 5, PAID: 42, OVERPAID: 1, PARTIAL: 11, DISPUTED: 2},
    "31-60": {OPEN: 28, PROMISED: 8, PAID: 48, OVERPAID: 1, PARTIAL: 13, DISPUTED: 3},
    "61-90": {OPEN: 20, PROMISED: 8, PAID: 55, OVERPAID: 1, PARTIAL: 13, DISPUTED: 2,
              COLLECTIONS: 2},
    "90+": {OPEN: 8, PROMISED: 4, PAID: 70, OVERPAID: 1, PARTIAL: 7, DISPUTED: 1,
            COLLECTIONS: 5, WRITTEN_OFF: 5},
}
# The first invoices of every book: each aging bucket holds money owed, and each special case
# (dispute, credit, write-off, collections, promise) exists even in a small book.
FORCED_FATES: tuple[tuple[str, str], ...] = (
    ("current", OPEN), ("1-30", OPEN), ("31-60", PROMISED), ("61-90", PARTIAL), ("90+", OPEN),
    ("31-60", DISPUTED), ("1-30", OVERPAID), ("90+", WRITTEN_OFF), ("90+", COLLECTIONS),
    ("current", PAID),
)
DISPUTE_REASONS = ("Delivered quantity does not match the order",
                   "Hours billed twice in the same week", "Purchase order number missing",
                   "Goods arrived damaged", "Price differs from the quote")
CALL_OUTCOMES = ("payment is scheduled for the next pay run",
                 "invoice was not received, sent it again", "waiting for sign-off by the CFO",
                 "cash flow is tight this month, will pay in instalments")
CLIENT_NOTES = ("Prefers PDF invoices by e-mail with the finance team in CC.",
                "Quote the purchase order number on every invoice or AP rejects it.",
                "Key account: call before sending a second reminder.",
                "New contact person in accounts payable since last quarter.",
                "Pays reliably, but only in their pay run.")


# --- Public API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOptions:
    clients: int = 40
    invoices: int = 300
    seed: int = 42
    today: date | None = None  # None: timezone.localdate()
    password: str = DEFAULT_PASSWORD


@dataclass
class DemoReport:
    created: bool
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)  # receivable invoices per bucket
    users: dict[str, bool] = field(default_factory=dict)  # username -> created now


class DemoBookError(Exception):
    """The book could not be built as asked, or failed its check; nothing was written."""


def demo_clients_count() -> int:
    return Client.objects.filter(reference__startswith=DEMO_PREFIX).count()


def _demo_present() -> str:
    """Why the demo book is not created again ("" when it can be)."""
    existing = demo_clients_count()
    if existing:
        return f"Demo data already present ({existing} demo clients): nothing changed."
    if Invoice.objects.filter(number__startswith=DEMO_PREFIX).exists():
        # Demo clients renamed by hand: their invoice numbers would collide.
        return "Demo invoices already present: nothing changed."
    return ""


def seed_demo_book(options: DemoOptions) -> DemoReport:
    """Create the demo book unless demo clients exist already; all or nothing."""
    if options.clients < 1 or options.invoices < 0:
        raise ValueError("Need at least one client and a non-negative number of invoices.")
    if options.clients > 99_999:
        raise ValueError("At most 99,999 demo clients (references are DEMO-00001..DEMO-99999).")
    today = options.today or timezone.localdate()
    # The existence check runs inside the transaction: on SQLite (IMMEDIATE transactions)
    # two concurrent runs queue here instead of both seeding; elsewhere the unique client
    # reference makes the second one fail and roll back.
    with transaction.atomic():
        present = _demo_present()
        if present:
            return DemoReport(created=False, message=present)
        users = _ensure_users(options.password)
        with _sqlite_cache(), _no_cyclic_gc():
            report = _build_book(options, today, users)
        problems = verify_book()
        if problems:
            raise DemoBookError("; ".join(problems))
    report.buckets = receivable_buckets(today)
    return report


# --- Users, terms, tags ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Users:
    admin: User
    bookkeeper: User
    created: dict[str, bool]


def _ensure_users(password: str) -> _Users:
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
            last_name="Keeper", is_staff=True)
        # Staff without permissions sees an empty admin; the bookkeeper works on clients and
        # receivables (no deletes: money records are corrected, not removed).
        bookkeeper.user_permissions.set(Permission.objects.filter(
            content_type__app_label__in=["clients", "receivables"]).exclude(
            codename__startswith="delete_"))
    from config.roles import ensure_groups

    admin_group, bookkeeper_group = ensure_groups()
    admin.groups.add(admin_group)
    bookkeeper.groups.add(bookkeeper_group)
    return _Users(admin=admin, bookkeeper=bookkeeper, created=created)


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


def _ensure_tags() -> dict[str, ClientTag]:
    tags = {}
    for name, description in TAG_DESCRIPTIONS.items():
        tags[name], _ = ClientTag.objects.get_or_create(name=name,
                                                        defaults={"description": description})
    return tags


# --- Small helpers --------------------------------------------------------------------------


def _pick(rng: random.Random, index: int, options: Sequence[tuple[Any, int]]) -> Any:
    """The index-th option for the first clients (so every option appears), then by weight."""
    if index < len(options):
        return options[index][0]
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _ascii_slug(text: str, sep: str = "-") -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return sep.join(words)


def _fill_pattern(rng: random.Random, pattern: str) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in UK inward codes
    return "".join(str(rng.randrange(10)) if c == "#" else rng.choice(letters) if c == "@"
                   else c for c in pattern)


def _mobile(rng: random.Random, country: Country, city: City) -> str:
    """A number that phonenumbers accepts as a valid mobile of the country (retries until so)."""
    for _ in range(100):
        if country.code == "US":
            # 555-0100..0199 is reserved for fiction and still a valid US number.
            number = f"+1{rng.choice(city.mobile_prefixes)}55501{rng.randrange(100):02d}"
        else:
            prefix = rng.choice(city.mobile_prefixes or country.mobile_prefixes)
            digits = country.mobile_length - len(prefix)
            number = prefix + "".join(str(rng.randrange(10)) for _ in range(digits))
        parsed = phonenumbers.parse(number)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            return number
    raise DemoBookError(f"No valid mobile number found for {country.code}.")


@cache
def _money_prefix(currency: str) -> str | None:
    """The symbol format_money puts before an English amount, when that is all it does."""
    symbol = format_money(ZERO, currency)[:-4]
    return symbol if format_money(Decimal("1234.5"), currency) == f"{symbol}1,234.50" else None


def money_text(amount: Decimal, currency: str) -> str:
    """format_money(amount, currency) for timeline summaries, without Babel's per-call cost
    (it dominates a 100k-invoice book); falls back to it for any other currency shape."""
    prefix = _money_prefix(currency)
    if prefix is None:
        return format_money(amount, currency)
    return f"{prefix}{q(amount, currency):,.2f}"


# --- Clients --------------------------------------------------------------------------------


@dataclass
class _Profile:
    """A demo client with what the generator needs to know about it beyond the model."""

    client: Client
    country: Country
    tags: list[str]
    weight: float  # relative number of invoices
    terms: PaymentTerms
    projects: list[str]
    slow: bool
    owner: User


def _company(rng: random.Random, country: Country, public: bool, city: City
             ) -> tuple[str, str]:
    """(display name, legal name)."""
    if public:
        return rng.choice(country.public_bodies).format(city=city.name), ""
    pool = NAMES[country.language]
    last, trade = rng.choice(pool.last), rng.choice(pool.trades)
    display = f"{trade} {last}" if pool.trade_first else f"{last} {trade}"
    return display, f"{display} {rng.choice(country.legal_forms)}"


def _unique(name: str, seen: set[str], city: City) -> str:
    candidate = name
    n = 1
    while candidate in seen:
        n += 1
        candidate = f"{name} ({city.name})" if n == 2 else f"{name} ({city.name} {n})"
    seen.add(candidate)
    return candidate


def _address(rng: random.Random, country: Country, city: City) -> dict[str, str]:
    street = country.street_format.format(n=rng.randint(1, 180), street=rng.choice(
        country.streets))
    line2 = ""
    if country.code == "MX":
        line2 = rng.choice(("Col. Centro", "Col. Juárez", "Col. Del Valle", "Col. Roma Norte"))
    elif rng.random() < 0.15:
        line2 = {"en": f"Suite {rng.randint(1, 30)}00", "de": f"{rng.randint(1, 5)}. OG",
                 "fr": f"Bâtiment {rng.choice('ABC')}", "es": f"Planta {rng.randint(1, 9)}"
                 }[country.language]
    return {"address_line1": street, "address_line2": line2, "city": city.name,
            "region": city.region, "postcode": _fill_pattern(rng, rng.choice(city.postcodes))}


def _contact(rng: random.Random, country: Country, display: str) -> dict[str, str]:
    pool = NAMES[country.language]
    first, last = rng.choice(pool.first), rng.choice(pool.last)
    reserved = rng.choice(("example.com", "example.org", "example.net"))  # RFC 2606
    domain = f"{_ascii_slug(display)[:40].strip('-')}.{reserved}"  # labels end alphanumeric
    local = pool.ap_mailbox if rng.random() < 0.2 else _ascii_slug(f"{first} {last}", ".")
    return {"contact_name": f"{first} {last}", "email": f"{local}@{domain}"}


def _client_terms(rng: random.Random, index: int, currency: str, public: bool,
                  terms: dict[str, PaymentTerms]) -> PaymentTerms:
    if public:
        return terms["net60"]
    chosen = terms[_pick(rng, index, [(s, s.weight) for s in TERMS_SPECS if s.weight]).key]
    if chosen.late_fee_flat and chosen.late_fee_currency != currency:
        return terms["net30"]  # a flat fee in EUR cannot apply to a USD or GBP invoice
    return chosen


def _client_tags(rng: random.Random, index: int) -> list[str]:
    # The first clients carry each tag for sure; then each tag by its share.
    forced = {1: ["high-value"], 2: ["public-sector"], 4: ["slow-payer"]}
    if index in forced:
        return forced[index]
    tags = [name for name, share in (("high-value", 0.15), ("public-sector", 0.10),
                                     ("slow-payer", 0.12)) if rng.random() < share]
    return tags


def _build_profile(rng: random.Random, index: int, today: date, users: _Users,
                   terms: dict[str, PaymentTerms], seen: set[str]) -> _Profile:
    country = _pick(rng, index, [(c, c.weight) for c in COUNTRIES])
    city = rng.choice(country.cities)
    tags = _client_tags(rng, index)
    public = "public-sector" in tags
    display, legal = _company(rng, country, public, city)
    display = _unique(display, seen, city)
    paused = index == 3 or rng.random() < 0.05
    owner = users.admin if index % 5 == 4 else users.bookkeeper
    client = Client(
        reference=f"{DEMO_PREFIX}{index + 1:05d}", display_name=display, legal_name=legal,
        **_contact(rng, country, display), mobile_phone=_mobile(rng, country, city),
        **_address(rng, country, city), country=country.code, language=country.language,
        timezone=city.timezone, default_currency=country.currency,
        channel_preferences=[str(c) for c in _pick(rng, index, CHANNEL_ORDERS)],
        payment_methods=[str(m) for m in _pick(rng, index, PAYMENT_METHOD_SETS)],
        pay_run_days=paycal.normalize_pay_run(list(_pick(rng, index, PAY_RUNS))),
        reminders_paused_until=today + timedelta(days=rng.randint(5, 40)) if paused else None,
        owner=owner, notes=rng.choice(CLIENT_NOTES) if rng.random() < 0.2 else "")
    client_terms = _client_terms(rng, index, country.currency, public, terms)
    # Clients without terms of their own use the default ("Net 30"): leave the field empty.
    client.default_terms = None if client_terms.is_default else client_terms
    weight = rng.choice((1, 1, 2, 3, 5, 8)) * (4 if "high-value" in tags else 1)
    projects = [f"Project {c}" for c in rng.sample(CODENAMES, rng.randint(1, 3))]
    return _Profile(client, country, tags, weight, client_terms, projects,
                    "slow-payer" in tags, owner)


def _create_clients(rng: random.Random, options: DemoOptions, today: date, users: _Users,
                    terms: dict[str, PaymentTerms], writer: _Writer) -> list[_Profile]:
    seen: set[str] = set()
    profiles = [_build_profile(rng, i, today, users, terms, seen) for i in range(options.clients)]
    for profile in profiles:
        # Validate like client_create would (field validators, phone normalisation); the
        # database enforces uniqueness and the check constraints.
        try:
            profile.client.full_clean(exclude=["owner", "default_terms"], validate_unique=False,
                                      validate_constraints=False)
        except ValidationError as exc:
            raise DemoBookError(f"Client {profile.client.reference}: {exc}") from exc
    writer.write(Client, [p.client for p in profiles])
    tags = _ensure_tags()
    writer.write(Client.tags.through, [_TagRow(p.client, tags[name]) for p in profiles
                                       for name in p.tags])
    return profiles


# --- Invoice plan ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    client: int
    bucket: str
    fate: str
    issue_date: date
    due_date: date
    currency: str
    number: str = ""


def _assign_clients(rng: random.Random, profiles: list[_Profile], count: int) -> list[int]:
    """Every client gets an invoice first (when there are enough), the rest by weight."""
    first = list(range(min(count, len(profiles))))
    rest = rng.choices(range(len(profiles)), weights=[p.weight for p in profiles],
                       k=count - len(first))
    return first + rest


def _fate(rng: random.Random, k: int) -> tuple[str, str]:
    if k < len(FORCED_FATES):
        return FORCED_FATES[k]
    bucket = rng.choices(list(BUCKET_WEIGHTS), weights=list(BUCKET_WEIGHTS.values()))[0]
    weights = FATE_WEIGHTS[bucket]
    return bucket, rng.choices(list(weights), weights=list(weights.values()))[0]


def _dates(rng: random.Random, bucket: str, net_days: int, today: date) -> tuple[date, date]:
    span = BUCKET_DAYS[bucket]
    if span is None:  # not yet due: issued within the last net_days days
        due = today + timedelta(days=rng.randint(0, net_days))
    else:
        due = today - timedelta(days=rng.randint(*span))
    return due - timedelta(days=net_days), due


def _invoice_currency(rng: random.Random, profile: _Profile) -> str:
    # A few invoices in another currency, so balances per currency mean something; never
    # under terms whose flat fee is tied to one currency.
    if not profile.terms.late_fee_currency and rng.random() < 0.05:
        home = profile.client.default_currency
        return rng.choice([c for c in ("EUR", "USD", "GBP") if c != home])
    return profile.client.default_currency


def _plan_invoices(rng: random.Random, profiles: list[_Profile], count: int, today: date
                   ) -> list[_Plan]:
    plans = []
    for k, index in enumerate(_assign_clients(rng, profiles, count)):
        profile = profiles[index]
        bucket, fate = _fate(rng, k)
        issue, due = _dates(rng, bucket, profile.terms.net_days, today)
        plans.append(_Plan(index, bucket, fate, issue, due, _invoice_currency(rng, profile)))
    # Numbers follow the issue date, restarting every year, as an accounting system's would.
    plans.sort(key=lambda p: (p.issue_date, p.client))
    per_year: dict[int, int] = defaultdict(int)
    for plan in plans:
        per_year[plan.issue_date.year] += 1
        plan.number = f"{DEMO_PREFIX}{plan.issue_date.year}-{per_year[plan.issue_date.year]:06d}"
    return plans


def _chunks(plans: list[_Plan]) -> Iterator[list[_Plan]]:
    """Plans grouped by client, in rounds of about CHUNK_INVOICES invoices."""
    by_client: dict[int, list[_Plan]] = defaultdict(list)
    for plan in plans:
        by_client[plan.client].append(plan)
    chunk: list[_Plan] = []
    for index in sorted(by_client):
        chunk.extend(sorted(by_client[index], key=lambda p: (p.due_date, p.number)))
        if len(chunk) >= CHUNK_INVOICES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- Rows: the book in memory ----------------------------------------------------------------
# Plain slotted objects named like the model fields (a foreign key holds the parent row or
# model instance). Django model instances cost ~10 µs each to create; a 100k-invoice book
# makes about 700k rows.


class _Row:
    """A row's ``pk`` is its ``id``, as for a model instance."""

    __slots__ = ()

    @property
    def pk(self) -> int | None:
        return self.id  # type: ignore[attr-defined]


@dataclass(slots=True, eq=False)
class InvoiceRow(_Row):
    number: str
    client: Client
    issue_date: date
    due_date: date
    currency: str
    terms: PaymentTerms
    reference: str
    status: str = InvoiceStatus.DRAFT.value
    subtotal: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    charges_total: Decimal = ZERO
    reductions_total: Decimal = ZERO
    amount_paid: Decimal = ZERO
    notes: str = ""
    promised_until: date | None = None
    reminders_paused_until: date | None = None
    source: str = "manual"
    next_action_at: datetime | None = None  # None: the reminder planner looks at it first
    id: int | None = None


@dataclass(slots=True, eq=False)
class LineRow(_Row):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    invoice: InvoiceRow | None = None
    net_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    id: int | None = None


@dataclass(slots=True, eq=False)
class PaymentRow(_Row):
    client: Client
    amount: Decimal
    currency: str
    received_on: date
    method: str
    reference: str
    source: str
    recorded_by: User | None
    amount_allocated: Decimal = ZERO
    notes: str = ""
    id: int | None = None


@dataclass(slots=True, eq=False)
class AllocationRow(_Row):
    payment: PaymentRow
    invoice: InvoiceRow
    amount: Decimal
    id: int | None = None


@dataclass(slots=True, eq=False)
class AdjustmentRow(_Row):
    invoice: InvoiceRow
    kind: str
    amount: Decimal
    effective_on: date
    memo: str
    payment: PaymentRow | None
    created_by: User | None
    id: int | None = None


@dataclass(slots=True, eq=False)
class EntryRow(_Row):
    """An Interaction; ``invoices`` become InteractionInvoice rows, ``payment`` the
    payment_id in the metadata once the payment has an id."""

    client: Client
    kind: str
    channel: str
    occurred_at: datetime
    actor: User | None
    actor_label: str
    summary: str
    metadata: dict[str, Any]
    invoices: list[InvoiceRow]
    payment: PaymentRow | None = None
    content: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(slots=True, eq=False)
class LinkRow(_Row):
    interaction: EntryRow
    invoice: InvoiceRow
    id: int | None = None


# --- The ledger: receivables.services, in memory ----------------------------------------------


@dataclass
class _Ledger:
    """Everything one round creates, and the service rules that create it."""

    now: datetime
    invoices: list[InvoiceRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    allocations: list[AllocationRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    rules: dict[int, termsmath.TermsRule] = field(default_factory=dict)

    def rule(self, terms: PaymentTerms) -> termsmath.TermsRule:
        if terms.pk not in self.rules:
            self.rules[terms.pk] = terms.as_rule()
        return self.rules[terms.pk]

    def at(self, day: date, client: Client, hour: int, minute: int = 0) -> datetime:
        """A moment on ``day`` in the client's time zone, never in the future."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=_zone(client.timezone))
        return self.now if self.now < moment < self.now + timedelta(days=1) else moment

    def record(self, client: Client, kind: str, summary: str, when: datetime, *,
               actor: User | None = None, actor_label: str | None = None,
               channel: str = InteractionChannel.SYSTEM, metadata: dict[str, Any] | None = None,
               invoices: Iterable[InvoiceRow] = (), payment: PaymentRow | None = None) -> None:
        """interaction_record, without the write."""
        self.entries.append(EntryRow(
            client=client, kind=str(kind), channel=str(channel), occurred_at=when,
            actor=actor, actor_label=actor_label or actor_label_for(actor),
            summary=summary[:300], metadata=metadata or {}, invoices=list(invoices),
            payment=payment))

    # invoice_create (_build_lines, _set_totals) + invoice_issue
    def issue(self, invoice: InvoiceRow, lines: list[LineRow], actor: User) -> None:
        cur = invoice.currency
        for line in lines:
            line.invoice = invoice
            line.net_amount = q(line.quantity * line.unit_price, cur)
            line.tax_amount = percent_of(line.net_amount, line.tax_rate, cur)
        invoice.subtotal = q(sum((ln.net_amount for ln in lines), ZERO), cur)
        invoice.tax_total = q(sum((ln.tax_amount for ln in lines), ZERO), cur)
        invoice.total = invoice.subtotal + invoice.tax_total
        invoice.status = InvoiceStatus.OPEN.value
        self.invoices.append(invoice)
        self.lines.extend(lines)
        self.record(invoice.client, InteractionKind.INVOICE_ISSUED,
                    f"Invoice {invoice.number} issued: {money_text(invoice.total, cur)} due "
                    f"{invoice.due_date.isoformat()}",
                    self.at(invoice.issue_date, invoice.client, 9, 30), actor=actor,
                    # invoice_issue reads the invoice back: the total has the column's 4 places
                    metadata={"total": f"{invoice.total:.4f}", "currency": cur,
                              "due_date": invoice.due_date.isoformat()}, invoices=[invoice])

    # _add_adjustment
    def adjust(self, invoice: InvoiceRow, kind: AdjustmentKind, amount: Decimal, on: date,
               memo: str, actor: User | None, payment: PaymentRow | None = None
               ) -> bool:
        if amount <= 0:
            return False
        self.adjustments.append(AdjustmentRow(invoice, kind.value, amount, on, memo, payment,
                                              actor))
        if kind in CHARGE_KINDS:
            invoice.charges_total += amount
        else:
            invoice.reductions_total += amount
        return True

    # _allocate for one invoice: discount first, then as much of the payment as it takes
    def apply(self, payment: PaymentRow, invoice: InvoiceRow) -> tuple[Decimal, Decimal]:
        available = payment.amount - payment.amount_allocated
        discount = _early_discount(self.rule(invoice.terms), invoice, available,
                                   payment.received_on)
        self.adjust(invoice, AdjustmentKind.EARLY_DISCOUNT, discount, payment.received_on,
                    f"Paid in full within the discount window ({invoice.terms.name})",
                    payment.recorded_by, payment=payment)
        amount = min(available, outstanding(invoice))
        if amount > 0:
            self.allocations.append(AllocationRow(payment, invoice, amount))
            invoice.amount_paid += amount
            payment.amount_allocated += amount
        _refresh_payment_status(invoice)
        return amount, discount

    # invoice_transition
    def transition(self, invoice: InvoiceRow, to: InvoiceStatus, on: date, reason: str,
                   actor: User) -> None:
        before = InvoiceStatus(invoice.status)
        if to == InvoiceStatus.WRITTEN_OFF:
            self.adjust(invoice, AdjustmentKind.WRITE_OFF, outstanding(invoice), on, reason,
                        actor)
        invoice.status = (_payment_status(invoice) if to == InvoiceStatus.OPEN else to).value
        after = InvoiceStatus(invoice.status)
        self.record(invoice.client, InteractionKind.STATUS_CHANGE,
                    f"Invoice {invoice.number}: {before.label.lower()} → {after.label.lower()}"
                    + (f" ({reason})" if reason else ""),
                    self.at(on, invoice.client, 11, 15), actor=actor,
                    metadata={"from": before.value, "to": after.value, "reason": reason},
                    invoices=[invoice])


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


outstanding = ledger.outstanding
_payment_status = ledger.payment_status
_refresh_payment_status = ledger.refresh_payment_status
_early_discount = ledger.early_discount


# --- Building one round ----------------------------------------------------------------------


@dataclass
class _Round:
    """One round of the book: the ledger plus the state shared by its invoices."""

    rng: random.Random
    today: date
    ledger: _Ledger
    counter: dict[str, int]  # global sequences (payment references)
    # Full payments on the same day in the same currency go out as one transfer.
    transfers: dict[tuple[int, str, date], list[InvoiceRow]] = field(default_factory=dict)


def _lines(rng: random.Random, profile: _Profile, scale: int) -> list[LineRow]:
    country, lang = profile.country, profile.client.language
    lines = []
    for position in range(1, rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0] + 1):
        item = rng.choice(ITEMS)
        low, high = item.price_range
        cents = rng.choice((0, 0, 0, 50, 90, rng.randrange(100)))
        price = Decimal(rng.randint(low, high) * 100 + cents).scaleb(-2)
        quantity = Decimal(rng.choice(item.quantities)) * scale
        rate = country.tax_reduced if item.reduced_rate else country.tax_standard
        lines.append(LineRow(position=position, description=item.descriptions[lang],
                             quantity=quantity, unit_price=price, tax_rate=rate))
    return lines


def _reference(rng: random.Random, profile: _Profile, issue: date) -> str:
    roll = rng.random()
    if "public-sector" in profile.tags:
        return f"PO {issue.year}/{rng.randint(100, 9999):04d}"
    if roll < 0.55:
        return f"{rng.choice(profile.projects)}, phase {rng.randint(1, 4)}"
    return f"PO-{rng.randint(10000, 99999)}" if roll < 0.8 else ""


def _build_invoice(rnd: _Round, plan: _Plan, profile: _Profile) -> InvoiceRow:
    invoice = InvoiceRow(number=plan.number, client=profile.client, issue_date=plan.issue_date,
                         due_date=plan.due_date, currency=plan.currency, terms=profile.terms,
                         reference=_reference(rnd.rng, profile, plan.issue_date))
    scale = 5 if "high-value" in profile.tags else 1
    rnd.ledger.issue(invoice, _lines(rnd.rng, profile, scale), profile.owner)
    return invoice


def _day_between(rng: random.Random, low: date, high: date) -> date:
    return low + timedelta(days=rng.randint(0, max(0, (high - low).days)))


def _settle_date(rnd: _Round, invoice: InvoiceRow, profile: _Profile) -> date:
    """When a paid invoice was paid: in the discount window, around the due date or late,
    moved back to the client's last pay run."""
    rng, today = rnd.rng, rnd.today
    rule = rnd.ledger.rule(invoice.terms)
    if rule.has_discount and rng.random() < 0.5:
        day = invoice.issue_date + timedelta(days=rng.randint(0, rule.discount_days))
    elif invoice.due_date >= today:
        day = _day_between(rng, invoice.issue_date, today)
    elif rng.random() < (0.65 if profile.slow else 0.3):
        day = invoice.due_date + timedelta(days=rng.randint(1, 45 if profile.slow else 20))
    else:
        day = invoice.due_date - timedelta(days=rng.randint(0, min(10, rule.net_days)))
    day = min(max(day, invoice.issue_date), today)
    run = paycal.last_pay_run_on_or_before(profile.client.pay_run_days, day,
                                           profile.country.code)
    return run if run is not None and run >= invoice.issue_date else day


def _method(rng: random.Random, client: Client) -> tuple[str, str]:
    method = rng.choice(client.payment_methods)
    source = {PaymentMethod.CARD: PaymentSource.PORTAL, PaymentMethod.CHEQUE:
              PaymentSource.MANUAL}.get(method, PaymentSource.IMPORT)
    return str(method), str(source)


def _new_payment(rnd: _Round, profile: _Profile, currency: str, amount: Decimal, on: date
                 ) -> PaymentRow:
    method, source = _method(rnd.rng, profile.client)
    rnd.counter["payment"] += 1
    prefixes: dict[str, str] = {PaymentSource.PORTAL: "PAYNOW", PaymentSource.IMPORT: "TRF"}
    prefix = prefixes.get(source, "CHQ")
    payment = PaymentRow(client=profile.client, amount=amount, currency=currency, received_on=on,
                         method=method, source=source,
                         reference=f"{prefix}-{rnd.counter['payment']:08d}",
                         recorded_by=profile.owner if source == PaymentSource.MANUAL else None)
    rnd.ledger.payments.append(payment)
    return payment


def _record_payment(rnd: _Round, payment: PaymentRow,
                    touched: list[tuple[InvoiceRow, Decimal, Decimal, InvoiceStatus]]) -> None:
    """The timeline entry payment_record writes (statuses as they were right after)."""
    cur = payment.currency
    parts = [f"{inv.number} {status.label.lower()}"
             + (f" ({money_text(discount, cur)} early-payment discount)" if discount else "")
             for inv, _, discount, status in touched]
    credit = payment.amount - payment.amount_allocated
    if credit > 0:
        parts.append(f"{money_text(credit, cur)} kept as credit")
    method = PaymentMethod(payment.method).label.lower()
    portal = payment.source == PaymentSource.PORTAL
    rnd.ledger.record(
        payment.client, InteractionKind.PAYMENT,
        f"Payment of {money_text(payment.amount, cur)} received ({method}): " + "; ".join(parts),
        rnd.ledger.at(payment.received_on, payment.client, 10, 5), actor=payment.recorded_by,
        channel=InteractionChannel.PORTAL if portal else InteractionChannel.SYSTEM,
        metadata={"amount": str(payment.amount), "currency": cur,
                  "allocations": {inv.number: str(a) for inv, a, _, _ in touched},
                  "credit": str(credit)},
        invoices=[inv for inv, _, _, _ in touched], payment=payment)


def _pay(rnd: _Round, profile: _Profile, invoice: InvoiceRow, amount: Decimal, on: date) -> None:
    """payment_record(invoices=[invoice]) with one payment."""
    payment = _new_payment(rnd, profile, invoice.currency, amount, on)
    allocated, discount = rnd.ledger.apply(payment, invoice)
    _record_payment(rnd, payment, [(invoice, allocated, discount, InvoiceStatus(invoice.status))])


def _partial_payments(rnd: _Round, profile: _Profile, invoice: InvoiceRow, start: date,
                      until: date) -> None:
    """One or two instalments between ``start`` and ``until``, each well short of the balance."""
    rng = rnd.rng
    days = sorted(_day_between(rng, start, until) for _ in range(rng.randint(1, 2)))
    for day in days:
        amount = q(outstanding(invoice) * Decimal(rng.randint(20, 60)) / 100, invoice.currency)
        if amount > 0:
            _pay(rnd, profile, invoice, amount, day)


def _late_fee(rnd: _Round, invoice: InvoiceRow, profile: _Profile) -> date | None:
    """A bookkeeper charges the terms' late fee once it applies (adjustment_add); returns the
    day it was charged."""
    rule = rnd.ledger.rule(invoice.terms)
    if not rule.has_late_fee:
        return None
    on = termsmath.late_fee_date(rule, invoice.due_date) + timedelta(
        days=rnd.rng.randint(0, 10))
    if on > rnd.today:
        return None
    fee = termsmath.late_fee_due(rule, principal=outstanding(invoice), currency=invoice.currency,
                                 due_date=invoice.due_date, on=on)
    if not rnd.ledger.adjust(invoice, AdjustmentKind.LATE_FEE, fee, on, "Late fee per terms",
                             profile.owner):
        return None
    rnd.ledger.record(invoice.client, InteractionKind.ADJUSTMENT,
                      f"{AdjustmentKind.LATE_FEE.label} of {money_text(fee, invoice.currency)} "
                      f"on invoice {invoice.number}: Late fee per terms",
                      rnd.ledger.at(on, invoice.client, 8, 45), actor=profile.owner,
                      metadata={"kind": AdjustmentKind.LATE_FEE.value, "amount": str(fee)},
                      invoices=[invoice])
    return on


def _follow_up(rnd: _Round, invoice: InvoiceRow, profile: _Profile) -> None:
    """A call about an overdue invoice and the promise the client made on it."""
    ledger, client, rng = rnd.ledger, profile.client, rnd.rng
    day = min(rnd.today, invoice.due_date + timedelta(days=rng.randint(7, 25)))
    name = client.contact_name or client.display_name
    ledger.record(client, InteractionKind.CALL, f"Called {name}: {rng.choice(CALL_OUTCOMES)}",
                  ledger.at(day, client, 14, rng.randrange(60)), actor=profile.owner,
                  channel=InteractionChannel.PHONE, invoices=[invoice],
                  metadata={"duration_seconds": rng.randint(60, 900)})
    promised_on = day + timedelta(days=rng.randint(3, 21))
    invoice.promised_until = promised_on  # reminders wait for it; a passed one is "broken"
    amount = outstanding(invoice)
    ledger.record(client, InteractionKind.PROMISE_TO_PAY,
                  f"{name} promised to pay {money_text(amount, invoice.currency)} by "
                  f"{promised_on.isoformat()}", ledger.at(day, client, 14, 59),
                  actor=profile.owner, channel=InteractionChannel.PHONE, invoices=[invoice],
                  metadata={"amount": str(amount), "currency": invoice.currency,
                            "promised_on": promised_on.isoformat()})


def _dispute(rnd: _Round, invoice: InvoiceRow, profile: _Profile) -> None:
    ledger, client = rnd.ledger, profile.client
    day = min(rnd.today, invoice.due_date + timedelta(days=rnd.rng.randint(1, 10)))
    reason = rnd.rng.choice(DISPUTE_REASONS)
    ledger.record(client, InteractionKind.DISPUTE, f"Client disputes invoice {invoice.number}: "
                  f"{reason}", ledger.at(day, client, 10, 40), actor_label="client",
                  channel=InteractionChannel.EMAIL, invoices=[invoice],
                  metadata={"reason": reason})
    ledger.transition(invoice, InvoiceStatus.DISPUTED, day, reason, profile.owner)


def _escalate(rnd: _Round, invoice: InvoiceRow, profile: _Profile, to: InvoiceStatus) -> None:
    """Collections or write-off for a long-overdue invoice, maybe after an instalment."""
    rng = rnd.rng
    overdue = (rnd.today - invoice.due_date).days
    day = invoice.due_date + timedelta(days=rng.randint(min(60, overdue), overdue))
    # Events in date order: the late fee (the percentage part is on the principal then
    # owed), an instalment after it, then the escalation.
    fee_day = _late_fee(rnd, invoice, profile) if to == InvoiceStatus.IN_COLLECTIONS else None
    start = max(fee_day or invoice.due_date, invoice.due_date) + timedelta(days=1)
    if rng.random() < 0.5 and start < day:
        _partial_payments(rnd, profile, invoice, start, day - timedelta(days=1))
    reason = ("Handed to the collection agency after three reminders"
              if to == InvoiceStatus.IN_COLLECTIONS
              else "Client insolvent; claim filed with the administrator")
    rnd.ledger.transition(invoice, to, day, reason, profile.owner)


def _pay_in_full(rnd: _Round, invoice: InvoiceRow, profile: _Profile, overpay: bool) -> None:
    day = _settle_date(rnd, invoice, profile)
    if overpay:  # paid a round sum above the balance: the rest is the client's credit
        due = outstanding(invoice)
        _pay(rnd, profile, invoice, q((due // 100 + 1) * 100, invoice.currency), day)
        return
    key = (id(profile.client), invoice.currency, day)
    rnd.transfers.setdefault(key, []).append(invoice)


def _play(rnd: _Round, plan: _Plan, profile: _Profile) -> None:
    """Issue the invoice and let its fate happen, in the order a bookkeeper would see it."""
    invoice = _build_invoice(rnd, plan, profile)
    fate = plan.fate
    if fate in (PAID, OVERPAID):
        _pay_in_full(rnd, invoice, profile, overpay=fate == OVERPAID)
    elif fate == PARTIAL:
        _partial_payments(rnd, profile, invoice, invoice.issue_date, rnd.today)
    elif fate == DISPUTED:
        _dispute(rnd, invoice, profile)
    elif fate in (COLLECTIONS, WRITTEN_OFF):
        _escalate(rnd, invoice, profile, InvoiceStatus.IN_COLLECTIONS if fate == COLLECTIONS
                  else InvoiceStatus.WRITTEN_OFF)
    elif plan.bucket != "current":  # open or promised, overdue
        _late_fee(rnd, invoice, profile)
        if fate == PROMISED or rnd.rng.random() < 0.1:
            _follow_up(rnd, invoice, profile)


def _send_transfers(rnd: _Round, profiles: dict[int, _Profile]) -> None:
    """One payment per client, currency and day, settling the invoices in due-date order."""
    for (_, currency, day), invoices in rnd.transfers.items():
        profile = profiles[id(invoices[0].client)]
        # The amount that settles them all, discounts included (what the bank shows).
        amount = sum((outstanding(inv) - _early_discount(rnd.ledger.rule(inv.terms), inv,
                                                         outstanding(inv), day)
                      for inv in invoices), ZERO)
        payment = _new_payment(rnd, profile, currency, amount, day)
        touched = []
        for invoice in invoices:
            allocated, discount = rnd.ledger.apply(payment, invoice)
            touched.append((invoice, allocated, discount, InvoiceStatus(invoice.status)))
        _record_payment(rnd, payment, touched)


def _client_entries(ledger: _Ledger, rng: random.Random, profile: _Profile, today: date
                    ) -> None:
    """Notes and the reminder pause on the client's own timeline."""
    client = profile.client
    if client.notes:
        ledger.record(client, InteractionKind.NOTE, client.notes,
                      ledger.at(today - timedelta(days=rng.randint(20, 200)), client, 16, 20),
                      actor=profile.owner)
    until = client.reminders_paused_until
    if until:
        reason = rng.choice(("Owner on holiday", "Restructuring, agreed payment plan",
                             "Waiting for the new purchase-order system"))
        ledger.record(client, InteractionKind.STATUS_CHANGE,
                      f"Reminders paused until {until.isoformat()}: {reason}",
                      ledger.at(today - timedelta(days=rng.randint(0, 5)), client, 12),
                      actor=profile.owner,
                      metadata={"reminders_paused_until": until.isoformat()})


# --- Writing ------------------------------------------------------------------------------

def _pk_of(value: Any) -> Any:
    """The id of a parent row or model instance (a foreign key's value)."""
    return None if value is None else value.pk


def _text(value: Any) -> Any:
    return value if value is None or type(value) is str else str(value)  # choices enums


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Convert each distinct value once (dates and times repeat a lot across a book)."""
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]
    return cached


Converter = Callable[[Any], Any] | None


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the book is built: it would walk the hundreds
    of thousands of live rows again and again (about 15 % of the time on 100k invoices), and
    the rows form no cycles that need it. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _sqlite_cache(kib: int = 256 * 1024) -> Iterator[None]:
    """A bigger SQLite page cache while the book is written: its indexes outgrow the 2 MiB
    default and inserts then re-read pages (about a quarter of the insert time on 100k
    invoices). The connection's own setting comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


class _Writer:
    """Writes rows with their ids reserved up front: batched executemany on SQLite, COPY on
    PostgreSQL.

    QuerySet.bulk_create compiles SQL value by value (about 5 µs each, and on SQLite Django
    caps a statement at 999 parameters): over 80 s for a 100k-invoice book. Here each column
    gets its adapter once per table: the backend's own ``adapt_*_value`` operations (what the
    ORM sends last), identity for text, integers and ids, and on SQLite a decimal's text with
    the column's places (what ``format_number`` makes of it). Constraints and triggers apply
    as for any insert; generated columns are left to the database.
    """

    def __init__(self, now: datetime) -> None:
        if connection.vendor not in ("sqlite", "postgresql"):
            raise DemoBookError(f"The demo book supports SQLite and PostgreSQL, not "
                                f"{connection.vendor}.")
        self.sqlite = connection.vendor == "sqlite"
        self.now = now

    def write(self, model: type[models.Model], rows: Sequence[Any]) -> None:
        """Rows are model instances or plain rows with every field as an attribute (a
        foreign key holding the parent); each gets its ``id`` here."""
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        for row, pk in zip(rows, self._reserve_ids(model, len(rows)), strict=True):
            row.id = pk
        columns = [self._column(f, isinstance(rows[0], models.Model)) for f in fields]
        fetch = attrgetter(*[attribute for attribute, _ in columns])
        converters = [(i, convert) for i, (_, convert) in enumerate(columns) if convert]

        def values(row: Any) -> list[Any]:
            result = list(fetch(row))
            for i, convert in converters:
                result[i] = convert(result[i])
            return result
        qn = connection.ops.quote_name
        # Identifiers come from the model's _meta, quoted; every value is a parameter.
        table = qn(model._meta.db_table)
        names = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cursor:
            if not self.sqlite:  # COPY: executemany would cost a round trip per row
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(values(row))
                return
            # SQLite: one prepared statement, stepped per row.
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(sql, [values(row) for row in rows[start:start + BATCH_SIZE]])

    def _reserve_ids(self, model: type[models.Model], count: int) -> Sequence[int]:
        table, pk = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if not self.sqlite:  # the sequence hands out ids no other session gets
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                               "FROM generate_series(1, %s)", [table, pk, count])
                return [row[0] for row in cursor.fetchall()]
            # SQLite: after the highest id ever used (AUTOINCREMENT keeps it in
            # sqlite_sequence). Our IMMEDIATE transaction holds the write lock; should another
            # writer slip in anyway, the primary key makes this insert fail, never mix rows.
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT MAX(m) FROM (SELECT MAX({qn(pk)}) AS m FROM {qn(table)} "  # noqa: S608
                           "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)", [table])
            start = (cursor.fetchone()[0] or 0) + 1
        return range(start, start + count)

    def _column(self, f: models.Field, instances: bool) -> tuple[str, Converter]:
        """(attribute to read, converter or None for as-is) for one column."""
        if f.primary_key:
            return "id", None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            stamp = f.get_db_prep_save(self.now, connection)  # what pre_save would set
            return "id", lambda _: stamp
        if f.is_relation:  # an instance has the id; a plain row holds the parent
            return (f.attname, None) if instances else (f.name, _pk_of)
        return f.attname, self._converter(f)

    def _converter(self, f: models.Field) -> Converter:
        ops = connection.ops
        if isinstance(f, models.DecimalField):
            if not self.sqlite:
                digits, places = f.max_digits, f.decimal_places
                return lambda v: ops.adapt_decimalfield_value(v, digits, places)
            spec = f".{f.decimal_places}f"
            return lambda v: None if v is None else format(v, spec)
        if isinstance(f, models.CharField | models.TextField):
            return _text
        if isinstance(f, models.IntegerField | models.BooleanField):
            return None
        if isinstance(f, models.JSONField):
            encoder = f.encoder
            empty = ops.adapt_json_value({}, encoder)  # most content and metadata are empty
            return lambda v: empty if v == {} else ops.adapt_json_value(v, encoder)
        if isinstance(f, models.DateTimeField):
            return _memo(ops.adapt_datetimefield_value)
        if isinstance(f, models.DateField):
            return _memo(ops.adapt_datefield_value)
        return partial(f.get_db_prep_save, connection=connection)


@dataclass(slots=True, eq=False)
class _TagRow(_Row):
    client: Client
    clienttag: ClientTag
    id: int | None = None


def _insert(writer: _Writer, ledger: _Ledger) -> None:
    """Write one round, parents first: each row's id is known before its children are written."""
    writer.write(Invoice, ledger.invoices)
    writer.write(InvoiceLine, ledger.lines)
    writer.write(Payment, ledger.payments)
    writer.write(PaymentAllocation, ledger.allocations)
    writer.write(InvoiceAdjustment, ledger.adjustments)
    ledger.entries.sort(key=lambda e: e.occurred_at)  # ids in timeline order
    for entry in ledger.entries:
        if entry.payment is not None:
            entry.metadata = {"payment_id": entry.payment.id, **entry.metadata}
    writer.write(Interaction, ledger.entries)
    writer.write(InteractionInvoice, [LinkRow(e, inv) for e in ledger.entries
                                      for inv in e.invoices])


def _build_book(options: DemoOptions, today: date, users: _Users) -> DemoReport:
    rng = random.Random(options.seed)  # noqa: S311 - reproducible demo data, not secrets
    now = timezone.now()
    writer = _Writer(now)
    profiles = _create_clients(rng, options, today, users, ensure_terms(), writer)
    plans = _plan_invoices(rng, profiles, options.invoices, today)
    by_client = {id(p.client): p for p in profiles}
    counts: dict[str, int] = defaultdict(int)
    counter: dict[str, int] = defaultdict(int)
    client_ledger = _Ledger(now=now)
    for profile in profiles:
        _client_entries(client_ledger, rng, profile, today)
    _insert(writer, client_ledger)
    counts["interactions"] += len(client_ledger.entries)
    for chunk in _chunks(plans):
        rnd = _Round(rng=rng, today=today, ledger=_Ledger(now=now), counter=counter)
        for plan in chunk:
            _play(rnd, plan, profiles[plan.client])
        _send_transfers(rnd, by_client)
        _insert(writer, rnd.ledger)
        for name in ("invoices", "lines", "payments", "allocations", "adjustments", "entries"):
            counts["interactions" if name == "entries" else name] += len(
                getattr(rnd.ledger, name))
    counts["clients"] = len(profiles)
    return DemoReport(created=True, counts=dict(counts), users=users.created)


# --- Checks ---------------------------------------------------------------------------------


def receivable_buckets(today: date) -> dict[str, int]:
    """Receivable demo invoices per aging bucket (as the aging report counts them)."""
    qs = Invoice.objects.receivable().filter(client__reference__startswith=DEMO_PREFIX)
    result = qs.aggregate(**{b.key: Count("pk", filter=b.q(today)) for b in AGING_BUCKETS})
    return {b.key: result[b.key] for b in AGING_BUCKETS}


def _sum_of(model: type[models.Model], fk: str, amount: str = "amount", **filters: Any) -> Coalesce:
    """Per-row sum of a related model's amounts, as a correlated subquery."""
    rows = (model._default_manager.filter(**{fk: OuterRef("pk")}, **filters).order_by()
            .values(fk).annotate(s=Sum(amount)).values("s"))
    return Coalesce(Subquery(rows), Value(ZERO), output_field=DecimalField(**MONEY))


def verify_book(prefix: str = DEMO_PREFIX) -> list[str]:
    """Check the stored book: amounts add up, payments match allocations, statuses follow
    the amounts. Returns one line per kind of problem with its count (empty: all good)."""
    money: DecimalField[Decimal, Decimal] = DecimalField(**MONEY)
    invoices = Invoice.objects.filter(client__reference__startswith=prefix).annotate(
        d_subtotal=Abs(F("subtotal") - _sum_of(InvoiceLine, "invoice", "net_amount")),
        d_tax=Abs(F("tax_total") - _sum_of(InvoiceLine, "invoice", "tax_amount")),
        d_total=Abs(F("total") - F("subtotal") - F("tax_total"), output_field=money),
        d_paid=Abs(F("amount_paid") - _sum_of(PaymentAllocation, "invoice")),
        d_charges=Abs(F("charges_total") - _sum_of(InvoiceAdjustment, "invoice",
                                                    kind__in=CHARGE_KINDS)),
        d_reductions=Abs(F("reductions_total") - _sum_of(
            InvoiceAdjustment, "invoice", kind__in=[k for k in AdjustmentKind
                                                    if k not in CHARGE_KINDS])),
    )
    owed = Q(balance__gt=SLACK)
    checks = {
        "subtotal differs from its lines": Q(d_subtotal__gt=SLACK),
        "tax total differs from its lines": Q(d_tax__gt=SLACK),
        "total is not subtotal + tax": Q(d_total__gt=SLACK),
        "amount paid differs from its allocations": Q(d_paid__gt=SLACK),
        "charges differ from fee/interest adjustments": Q(d_charges__gt=SLACK),
        "reductions differ from discount/write-off adjustments": Q(d_reductions__gt=SLACK),
        "negative balance": Q(balance__lt=-SLACK),
        "paid but a balance is left": Q(status=InvoiceStatus.PAID) & owed,
        "written off but a balance is left": Q(status=InvoiceStatus.WRITTEN_OFF) & owed,
        "receivable status with nothing owed": Q(status__in=[
            InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.DISPUTED,
            InvoiceStatus.IN_COLLECTIONS]) & ~owed,
        "open but money received": Q(status=InvoiceStatus.OPEN, amount_paid__gt=SLACK),
        "partially paid without money received": Q(status=InvoiceStatus.PARTIALLY_PAID,
                                                   amount_paid__lte=SLACK),
    }
    found = invoices.aggregate(**{f"c{i}": Count("pk", filter=c)
                                  for i, c in enumerate(checks.values())})
    problems = [f"{found[f'c{i}']} invoices: {label}" for i, label in enumerate(checks)
                if found[f"c{i}"]]
    return problems + _verify_payments(prefix)


def _verify_payments(prefix: str) -> list[str]:
    payments = Payment.objects.filter(client__reference__startswith=prefix).annotate(
        d_alloc=Abs(F("amount_allocated") - _sum_of(PaymentAllocation, "payment")))
    found = payments.aggregate(
        bad_alloc=Count("pk", filter=Q(d_alloc__gt=SLACK)),
        over=Count("pk", filter=Q(unapplied__lt=-SLACK)))
    crossed = PaymentAllocation.objects.filter(
        payment__client__reference__startswith=prefix).filter(
        ~Q(payment__currency=F("invoice__currency")) | ~Q(payment__client=F("invoice__client"))
    ).count()
    problems = []
    if found["bad_alloc"]:
        problems.append(f"{found['bad_alloc']} payments: allocated differs from allocations")
    if found["over"]:
        problems.append(f"{found['over']} payments: allocated more than received")
    if crossed:
        problems.append(f"{crossed} allocations: across currencies or clients")
    return problems
