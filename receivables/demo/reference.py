"""The fixed data the demo book draws from: countries with their cities, streets and phone
ranges, name pools per language, invoice items, channels, pay runs, payment methods, tags,
payment terms, the invoice fates by age, and the texts of disputes, calls and client notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clients.models import Channel, PaymentMethod

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
