"""One deterministic generator of believable B2B demo and benchmark data.

``generate(size=..., seed=...)`` fills the database with customer organisations (account
trees with divisions, departments and sites), their people (org chart, identities,
employments, buying roles), lifecycle histories, channel partners and three years of
interactions on every channel. The same seed gives the same data: every random choice
comes from one ``random.Random(seed)`` and from Faker instances seeded from it, and the
only outside input is the anchor day (today, 00:00 UTC).

It is built for size (``large`` = 20,000 customers, 300,000 contacts, 5,000,000
interactions): primary keys are precomputed so nothing is read back, rows are written
in bulk (``executemany`` on SQLite, ``COPY`` on PostgreSQL) without model instances,
signals or history rows, and interactions are generated and written per chunk of
customers so memory stays flat. From medium size on, the big tables are loaded in one
transaction with their secondary indexes (and, on PostgreSQL, foreign keys) dropped and
rebuilt at the end, and interactions are written on a second thread while the next
chunk is generated. Roll-up counters are set afterwards with set-based SQL.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import lru_cache
from itertools import accumulate
from typing import Any, cast

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from faker import Faker

from rapport import demo_memory, demo_value
from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    Employment,
    IdentityKind,
    LifecycleChange,
    LifecycleStage,
    Partner,
    PartnerKind,
    PartnerLink,
    PartnerRole,
)
from rapport.core.models import Role, User
from rapport.interactions.models import Channel, Commitment, Interaction, Participant, Thread

__all__ = ["DEMO_PASSWORD", "SIZES", "DemoError", "generate"]

DEMO_PASSWORD = "rapport-demo"
DEMO_DOMAIN = "rapport.example"

# Target sizes. "accounts" counts customer organisations (tree roots); their units come
# in addition. Contacts and interactions are exact totals.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"accounts": 5, "contacts": 60, "interactions": 600, "partners": 4},
    "small": {"accounts": 40, "contacts": 600, "interactions": 15_000, "partners": 4},
    "medium": {"accounts": 2_000, "contacts": 30_000, "interactions": 500_000, "partners": 80},
    "large": {
        "accounts": 20_000,
        "contacts": 300_000,
        "interactions": 5_000_000,
        "partners": 400,
    },
}
for _p in SIZES.values():
    _p.update(managers=4, reps=10, linked_pct=25, partner_interaction_pct=8)

DAY = 86_400
HISTORY_DAYS = 3 * 365
INTERACTION_CHUNK = 25_000  # interactions per write (and commit, for small loads)
BULK_LOAD_MIN = 100_000  # from this many interactions on, rebuild indexes after the load
ROW_BATCH = 20_000  # rows per write for the other tables


IX_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "channel", "direction",
    "occurred_at", "subject", "summary", "outcome", "next_step", "partner_id", "logged_by_id",
)  # fmt: skip
PX_FIELDS = ("id", "interaction_id", "customer_id", "side", "contact_id", "user_id", "occurred_at")
TH_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "title", "status",
    "opened_by_id", "closed_at", "last_interaction_id", "last_interaction_at",
)  # fmt: skip
CM_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "interaction_id", "thread_id",
    "owed_by", "owner_user_id", "description", "due_on", "status", "done_at", "done_by_id",
    "created_by_id",
)  # fmt: skip
THREAD_WINDOW_DAYS = 120  # threads and commitments for the interactions of this many days
THREAD_OPEN_DAYS = 60  # a thread with an exchange this recent is still open


class DemoError(Exception):
    """The demo data cannot be generated into this database as asked."""


# --------------------------------------------------------------------------------------
# Word banks
# --------------------------------------------------------------------------------------

# fmt: off
# name: (faker locale, tld, phone country code, HQ weight, cities)
COUNTRIES: dict[str, tuple[str, str, str, int, tuple[str, ...]]] = {
    "Germany": ("de_DE", "de", "49", 26, (
        "Hamburg", "Munich", "Berlin", "Frankfurt", "Stuttgart", "Cologne", "Düsseldorf",
        "Hanover", "Nuremberg", "Leipzig", "Dresden", "Bremen", "Dortmund", "Mannheim",
        "Karlsruhe", "Augsburg", "Bielefeld", "Regensburg", "Ingolstadt", "Wolfsburg")),
    "United Kingdom": ("en_GB", "co.uk", "44", 14, (
        "London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Sheffield",
        "Edinburgh", "Liverpool", "Nottingham", "Cardiff", "Newcastle", "Southampton",
        "Reading", "Coventry", "Derby", "Aberdeen", "Leicester")),
    "United States": ("en_US", "com", "1", 14, (
        "Chicago", "Houston", "Atlanta", "Dallas", "Boston", "Detroit", "Pittsburgh",
        "Charlotte", "Denver", "Seattle", "Columbus", "Milwaukee", "Minneapolis",
        "Cleveland", "Phoenix", "Indianapolis", "Nashville", "Cincinnati", "Louisville")),
    "France": ("fr_FR", "fr", "33", 9, (
        "Paris", "Lyon", "Toulouse", "Lille", "Nantes", "Strasbourg", "Bordeaux",
        "Grenoble", "Rennes", "Marseille", "Clermont-Ferrand", "Reims", "Le Havre", "Dijon")),
    "Netherlands": ("nl_NL", "nl", "31", 7, (
        "Amsterdam", "Rotterdam", "Eindhoven", "Utrecht", "The Hague", "Groningen",
        "Tilburg", "Breda", "Arnhem", "Venlo", "Zwolle", "Nijmegen")),
    "Italy": ("it_IT", "it", "39", 6, (
        "Milan", "Turin", "Bologna", "Verona", "Brescia", "Bergamo", "Padua", "Florence",
        "Genoa", "Rome", "Modena", "Vicenza")),
    "Spain": ("es_ES", "es", "34", 5, (
        "Madrid", "Barcelona", "Valencia", "Bilbao", "Zaragoza", "Seville", "Valladolid",
        "Vigo", "Málaga", "Pamplona")),
    "Sweden": ("sv_SE", "se", "46", 4, (
        "Stockholm", "Gothenburg", "Malmö", "Västerås", "Örebro", "Linköping", "Uppsala",
        "Jönköping", "Norrköping")),
    "Poland": ("pl_PL", "pl", "48", 4, (
        "Warsaw", "Wrocław", "Poznań", "Kraków", "Gdańsk", "Łódź", "Katowice", "Szczecin",
        "Bydgoszcz")),
    "Switzerland": ("de_CH", "ch", "41", 4, (
        "Zurich", "Basel", "Bern", "Winterthur", "Lucerne", "St. Gallen", "Zug", "Aarau")),
    "Austria": ("de_AT", "at", "43", 3, (
        "Vienna", "Linz", "Graz", "Salzburg", "Innsbruck", "Klagenfurt", "Wels")),
    "Denmark": ("da_DK", "dk", "45", 2, (
        "Copenhagen", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Kolding")),
    "Belgium": ("nl_BE", "be", "32", 2, (
        "Antwerp", "Brussels", "Ghent", "Leuven", "Liège", "Bruges", "Charleroi")),
    # Only for sites of regional divisions, never a headquarters.
    "Canada": ("en_CA", "ca", "1", 0, ("Toronto", "Montreal", "Calgary", "Vancouver")),
    "Mexico": ("es_MX", "mx", "52", 0, ("Monterrey", "Querétaro", "Mexico City", "Puebla")),
    "Brazil": ("pt_BR", "com.br", "55", 0, ("São Paulo", "Curitiba", "Campinas", "Joinville")),
    "Singapore": ("en_GB", "sg", "65", 0, ("Singapore",)),
    "Australia": ("en_AU", "com.au", "61", 0, ("Sydney", "Melbourne", "Brisbane", "Perth")),
    "India": ("en_IN", "in", "91", 0, ("Pune", "Bangalore", "Chennai", "Hyderabad")),
}
# Faker's cities for these locales are real places; the others are invented.
REAL_CITY_LOCALES = ("de_DE", "de_AT", "de_CH", "sv_SE", "pl_PL", "nl_NL", "da_DK")

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "Germany": ("GmbH", "GmbH", "GmbH", "AG", "SE", "GmbH & Co. KG"),
    "United Kingdom": ("Ltd", "Ltd", "plc", "Group Ltd"),
    "United States": ("Inc.", "Inc.", "LLC", "Corp."),
    "France": ("SA", "SAS", "SAS"),
    "Netherlands": ("B.V.", "B.V.", "N.V."),
    "Italy": ("S.p.A.", "S.r.l."),
    "Spain": ("S.A.", "S.L."),
    "Sweden": ("AB",),
    "Poland": ("Sp. z o.o.", "S.A."),
    "Switzerland": ("AG", "SA"),
    "Austria": ("GmbH", "AG"),
    "Denmark": ("A/S", "ApS"),
    "Belgium": ("NV", "SA", "BV"),
}

REGIONS: dict[str, tuple[str, ...]] = {
    "EMEA Division": ("Germany", "France", "United Kingdom", "Italy", "Spain", "Poland"),
    "Americas Division": ("United States", "Canada", "Mexico", "Brazil"),
    "APAC Division": ("Singapore", "Australia", "India"),
    "DACH Region": ("Germany", "Austria", "Switzerland"),
    "Nordics Region": ("Sweden", "Denmark"),
    "Benelux Region": ("Netherlands", "Belgium"),
    "UK & Ireland": ("United Kingdom",),
}

# Functional departments: unit names, head titles, staff titles, sub-teams, buying kind.
# Buying kind: tech (specifies, evaluates), buy (purchasing), money (approves), other.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "procurement": {
        "names": ("Procurement", "Purchasing", "Strategic Sourcing"),
        "head": ("Head of Procurement", "Procurement Director", "Purchasing Manager"),
        "staff": ("Buyer", "Buyer", "Senior Buyer", "Category Manager", "Purchasing Specialist",
                  "Supplier Development Engineer", "Procurement Analyst"),
        "teams": ("Operational Purchasing", "Supplier Management", "Indirect Procurement"),
        "kind": "buy",
    },
    "finance": {
        "names": ("Finance", "Controlling", "Finance & Controlling"),
        "head": ("Head of Finance", "Finance Director", "Head of Controlling"),
        "staff": ("Financial Controller", "Financial Analyst", "Accounts Payable Specialist",
                  "Cost Accountant", "Treasury Analyst"),
        "teams": ("Accounts Payable", "Management Accounting", "Treasury"),
        "kind": "money",
    },
    "it": {
        "names": ("IT Operations", "IT Infrastructure", "Digital & IT", "Enterprise Applications"),
        "head": ("Head of IT Operations", "IT Director", "Head of IT"),
        "staff": ("System Administrator", "IT Service Manager", "Network Engineer",
                  "Solutions Architect", "ERP Specialist", "IT Security Analyst",
                  "Service Desk Analyst", "OT Security Engineer"),
        "teams": ("Service Desk", "Network & Infrastructure", "Business Applications",
                  "IT Security"),
        "kind": "tech",
    },
    "production": {
        "names": ("Production", "Manufacturing Operations", "Operations"),
        "head": ("Head of Production", "Operations Manager", "Production Director"),
        "staff": ("Production Planner", "Shift Supervisor", "Process Engineer",
                  "Production Engineer", "Line Manager", "Lean Manager"),
        "teams": ("Assembly", "Machining", "Production Planning"),
        "kind": "tech",
    },
    "maintenance": {
        "names": ("Maintenance", "Asset Management", "Technical Services"),
        "head": ("Maintenance Manager", "Head of Maintenance", "Head of Technical Services"),
        "staff": ("Maintenance Engineer", "Reliability Engineer", "Maintenance Planner",
                  "Maintenance Technician", "Electrical Engineer", "Condition Monitoring Specialist"),
        "teams": ("Mechanical Maintenance", "Electrical Maintenance", "Spare Parts Store"),
        "kind": "tech",
    },
    "quality": {
        "names": ("Quality Assurance", "Quality Management"),
        "head": ("Head of Quality", "Quality Manager", "Quality Director"),
        "staff": ("Quality Engineer", "QA Specialist", "Quality Inspector", "Validation Engineer",
                  "Audit Coordinator"),
        "teams": ("Incoming Inspection", "Metrology", "Supplier Quality"),
        "kind": "tech",
    },
    "logistics": {
        "names": ("Logistics", "Supply Chain", "Warehouse Operations"),
        "head": ("Head of Supply Chain", "Logistics Manager", "Supply Chain Director"),
        "staff": ("Logistics Coordinator", "Supply Chain Analyst", "Warehouse Supervisor",
                  "Demand Planner", "Transport Planner"),
        "teams": ("Inbound Logistics", "Distribution", "Inventory Control"),
        "kind": "other",
    },
    "engineering": {
        "names": ("Engineering", "R&D", "Product Development"),
        "head": ("Head of Engineering", "R&D Director", "Chief Engineer"),
        "staff": ("Design Engineer", "Project Engineer", "Test Engineer", "Automation Engineer",
                  "Systems Engineer", "Software Engineer"),
        "teams": ("Mechanical Design", "Controls & Automation", "Test Lab"),
        "kind": "tech",
    },
    "hr": {
        "names": ("Human Resources", "People & Culture"),
        "head": ("HR Director", "Head of People"),
        "staff": ("HR Business Partner", "Learning & Development Manager", "Recruiter",
                  "Payroll Specialist"),
        "teams": ("Learning & Development", "Payroll", "Recruiting"),
        "kind": "other",
    },
    "facilities": {
        "names": ("Facility Management", "Facilities & EHS", "Real Estate & Facilities"),
        "head": ("Head of Facility Management", "Facilities Manager"),
        "staff": ("Facility Coordinator", "Energy Manager", "HSE Officer",
                  "Building Services Engineer"),
        "teams": ("Energy Management", "Building Services", "EHS"),
        "kind": "tech",
    },
    "sales": {
        "names": ("Sales", "Customer Service", "Sales & Marketing"),
        "head": ("Sales Director", "Head of Customer Service", "Head of Sales"),
        "staff": ("Key Account Manager", "Inside Sales Representative",
                  "Customer Service Representative", "Marketing Manager", "Sales Engineer"),
        "teams": ("Inside Sales", "Key Accounts", "After-Sales Service"),
        "kind": "other",
    },
    "legal": {
        "names": ("Legal & Compliance",),
        "head": ("General Counsel", "Head of Legal"),
        "staff": ("Compliance Officer", "Contract Manager", "Legal Counsel"),
        "teams": ("Contract Management", "Compliance"),
        "kind": "other",
    },
}
# Teams of sites that are really a functional department.
TEAM_FUNCS = {"Maintenance": "maintenance", "Production": "production",
              "Quality Assurance": "quality", "Warehouse": "logistics", "EHS": "facilities",
              "Fleet Maintenance": "maintenance", "Facilities": "facilities",
              "Logistics": "logistics", "Biomedical Engineering": "maintenance",
              "IT Support": "it", "Campus IT": "it", "Estates": "facilities",
              "Equipment": "maintenance", "Network Operations": "it",
              "Asset Management": "maintenance", "Inbound": "logistics", "Outbound": "logistics"}
SHARED_FUNCTIONS = ("procurement", "finance", "it", "hr", "legal", "facilities")

SITE_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "plant": {
        "names": ("Plant {city}", "Plant {city}", "{city} Works", "Production Site {city}"),
        "head": ("Plant Manager", "Site Director", "Plant Manager"),
        "staff": ("Maintenance Engineer", "Production Supervisor", "Quality Engineer",
                  "Process Engineer", "Shift Lead", "Maintenance Planner", "Electrical Technician",
                  "EHS Coordinator", "Production Planner", "Maintenance Technician"),
        "teams": ("Maintenance", "Production", "Quality Assurance", "Warehouse", "EHS"),
    },
    "logistics": {
        "names": ("Distribution Centre {city}", "Hub {city}", "Cross-Dock {city}"),
        "head": ("Site Manager", "Hub Manager"),
        "staff": ("Warehouse Supervisor", "Shift Manager", "Fleet Coordinator",
                  "Inventory Controller", "Forklift Team Lead", "Maintenance Technician"),
        "teams": ("Inbound", "Outbound", "Fleet Maintenance", "Yard Operations"),
    },
    "hospital": {
        "names": ("{city} General Hospital", "Clinic {city}", "{city} Medical Centre"),
        "head": ("Hospital Director", "Clinic Manager"),
        "staff": ("Biomedical Engineer", "Head Nurse", "Medical Technology Manager",
                  "Ward Manager", "Facilities Technician", "Purchasing Coordinator"),
        "teams": ("Biomedical Engineering", "Facilities", "Sterile Services", "Radiology"),
    },
    "office": {
        "names": ("Regional Office {city}", "Operations Centre {city}", "Branch {city}"),
        "head": ("Branch Manager", "Office Director"),
        "staff": ("Operations Analyst", "Office Manager", "IT Support Specialist",
                  "Team Lead Operations", "Compliance Analyst", "Relationship Manager"),
        "teams": ("Operations", "Client Services", "IT Support"),
    },
    "retail": {
        "names": ("Distribution Centre {city}", "Flagship Store {city}", "Store Region {city}"),
        "head": ("Regional Manager", "Store Manager"),
        "staff": ("Store Operations Manager", "Logistics Coordinator", "Visual Merchandiser",
                  "Facilities Coordinator", "Shift Supervisor"),
        "teams": ("Store Operations", "Logistics", "Facilities"),
    },
    "energy": {
        "names": ("Power Station {city}", "Grid Control Centre {city}", "Wind Farm {city}"),
        "head": ("Station Manager", "Operations Manager"),
        "staff": ("Control Room Engineer", "Maintenance Engineer", "Asset Engineer",
                  "Instrumentation Technician", "HSE Officer"),
        "teams": ("Operations", "Maintenance", "Asset Management"),
    },
    "public": {
        "names": ("District Office {city}", "{city} Service Centre", "Depot {city}"),
        "head": ("District Manager", "Service Centre Manager"),
        "staff": ("Case Officer", "Facilities Officer", "Fleet Officer", "IT Officer",
                  "Procurement Officer"),
        "teams": ("Citizen Services", "Facilities", "Fleet"),
    },
    "datacenter": {
        "names": ("Data Centre {city}", "Network Operations Centre {city}", "Exchange {city}"),
        "head": ("Data Centre Manager", "NOC Manager"),
        "staff": ("Network Engineer", "Facilities Engineer", "Field Technician",
                  "Capacity Planner", "NOC Engineer"),
        "teams": ("Network Operations", "Facilities", "Field Service"),
    },
    "campus": {
        "names": ("Campus {city}", "{city} Campus"),
        "head": ("Campus Director", "Head of Campus Services"),
        "staff": ("Facilities Manager", "Lab Manager", "IT Service Manager", "Lecturer",
                  "Research Engineer"),
        "teams": ("Estates", "Laboratories", "Campus IT"),
    },
    "devcenter": {
        "names": ("Development Centre {city}", "Office {city}"),
        "head": ("Site Lead", "Engineering Director"),
        "staff": ("Software Engineer", "DevOps Engineer", "Product Manager", "QA Engineer",
                  "Engineering Manager"),
        "teams": ("Platform Engineering", "Product Development", "Site Reliability"),
    },
    "construction": {
        "names": ("Branch {city}", "Project Site {city}", "Depot {city}"),
        "head": ("Branch Manager", "Project Director"),
        "staff": ("Site Engineer", "Project Manager", "Equipment Manager", "Quantity Surveyor",
                  "Site Supervisor", "HSE Officer"),
        "teams": ("Equipment", "Site Operations", "Planning"),
    },
}


class _Industry:
    __slots__ = ("divisions", "execs", "key", "label", "lines", "ops", "site", "suffixes",
                 "weight")

    def __init__(self, key: str, label: str, weight: int, suffixes: Sequence[str],
                 divisions: Sequence[str], site: str, ops: Sequence[str],
                 lines: Sequence[str], execs: Sequence[str] | None = None) -> None:
        self.key, self.label, self.weight = key, label, weight
        self.suffixes, self.divisions, self.site = tuple(suffixes), tuple(divisions), site
        self.ops, self.lines = tuple(ops), tuple(lines)
        self.execs = tuple(execs) if execs else (
            "Chief Executive Officer", "Chief Financial Officer", "Chief Operating Officer",
            "Chief Procurement Officer", "Chief Information Officer", "Chief Technology Officer",
            "Chief Commercial Officer")


INDUSTRIES: tuple[_Industry, ...] = (
    _Industry("manufacturing", "Manufacturing", 14,
              ("Industries", "Manufacturing", "Precision", "Machine Works", "Components",
               "Engineering", "Maschinenbau", "Technik"),
              ("Industrial Automation Division", "Drive Systems Division", "Components Division",
               "Aftermarket Services Division", "Hydraulics Division"),
              "plant", ("production", "maintenance", "quality", "engineering", "logistics", "sales"),
              ("hydraulic components", "packaging machinery", "precision bearings",
               "industrial pumps", "CNC machine tools", "conveyor systems")),
    _Industry("logistics", "Logistics", 8,
              ("Logistics", "Freight", "Transport", "Shipping", "Cargo", "Spedition"),
              ("Contract Logistics Division", "Road Freight Division", "Air & Ocean Division",
               "Warehousing Division"),
              "logistics", ("logistics", "maintenance", "it", "sales"),
              ("contract logistics", "temperature-controlled freight", "parcel distribution",
               "port handling")),
    _Industry("healthcare", "Healthcare", 7,
              ("Health", "Medical", "Healthcare", "Clinics", "Care Group", "Diagnostics"),
              ("Acute Care Division", "Outpatient Services", "Diagnostics Division",
               "Rehabilitation Division"),
              "hospital", ("facilities", "it", "procurement", "quality"),
              ("acute care hospitals", "diagnostic laboratories", "rehabilitation clinics"),
              ("Chief Executive Officer", "Chief Medical Officer", "Chief Financial Officer",
               "Chief Nursing Officer", "Chief Information Officer", "Chief Procurement Officer")),
    _Industry("financial", "Financial Services", 6,
              ("Bank", "Capital", "Financial", "Insurance", "Asset Management", "Versicherung"),
              ("Retail Banking", "Corporate Banking", "Wealth Management", "Insurance Operations"),
              "office", ("it", "facilities", "procurement", "sales"),
              ("commercial banking", "insurance", "leasing", "asset management")),
    _Industry("retail", "Retail", 7,
              ("Retail", "Stores", "Markets", "Trading", "Home & Garden", "Fashion"),
              ("Grocery Division", "Home & Living Division", "E-Commerce Division",
               "Fashion Division"),
              "retail", ("logistics", "facilities", "it", "sales"),
              ("grocery retail", "DIY stores", "consumer electronics", "fashion retail")),
    _Industry("energy", "Energy", 6,
              ("Energy", "Power", "Utilities", "Renewables", "Stadtwerke", "Grid"),
              ("Generation Division", "Grid Operations Division", "Renewables Division",
               "Energy Services Division"),
              "energy", ("maintenance", "engineering", "it", "facilities"),
              ("power generation", "district heating", "wind and solar parks",
               "electricity distribution")),
    _Industry("public", "Public Sector", 5,
              ("City Council", "Municipal Services", "Water Authority", "Transit Authority",
               "Public Works", "Waste Management"),
              ("Department of Transport", "Environmental Services", "Public Health Directorate",
               "Housing & Planning"),
              "public", ("facilities", "it", "procurement", "finance"),
              ("municipal services", "public transport", "water supply"),
              ("Chief Executive", "Director of Finance", "Director of Operations",
               "Head of Procurement", "Chief Digital Officer")),
    _Industry("telecom", "Telecommunications", 5,
              ("Telecom", "Networks", "Communications", "Connect", "Broadband", "Mobile"),
              ("Consumer Division", "Enterprise Division", "Network Division",
               "Wholesale Division"),
              "datacenter", ("it", "engineering", "facilities", "sales"),
              ("fibre broadband", "mobile networks", "data centre services")),
    _Industry("pharma", "Pharmaceuticals", 6,
              ("Pharma", "Pharmaceuticals", "Biotech", "Life Sciences", "Therapeutics",
               "Biologics"),
              ("Generics Division", "Biologics Division", "Consumer Health Division",
               "Clinical Operations"),
              "plant", ("production", "quality", "maintenance", "engineering"),
              ("generic drugs", "biologics", "active pharmaceutical ingredients",
               "contract manufacturing")),
    _Industry("automotive", "Automotive", 8,
              ("Automotive", "Motors", "Auto Parts", "Vehicle Systems", "Mobility", "Drivetrain"),
              ("Powertrain Division", "Interior Systems Division", "Chassis Division",
               "E-Mobility Division"),
              "plant", ("production", "quality", "maintenance", "engineering", "logistics"),
              ("powertrain components", "seating systems", "brake systems",
               "battery modules")),
    _Industry("construction", "Construction", 6,
              ("Construction", "Building", "Bau", "Infrastructure", "Contractors",
               "Civil Engineering"),
              ("Building Construction Division", "Civil Engineering Division",
               "Facility Services Division", "Project Development"),
              "construction", ("engineering", "procurement", "logistics", "facilities"),
              ("civil engineering", "commercial buildings", "road construction")),
    _Industry("education", "Education", 4,
              ("University", "College", "Academy", "Institute of Technology", "Business School",
               "University of Applied Sciences"),
              ("Faculty of Engineering", "Faculty of Medicine", "Faculty of Business",
               "Central Administration"),
              "campus", ("facilities", "it", "procurement", "finance"),
              ("higher education", "applied research", "vocational training"),
              ("President", "Chief Financial Officer", "Provost", "Chief Information Officer",
               "Director of Estates")),
    _Industry("software", "Software", 6,
              ("Software", "Technologies", "Digital", "Labs", "Cloud", "Data"),
              ("Cloud Platform Division", "Enterprise Solutions", "Professional Services",
               "Customer Success"),
              "devcenter", ("engineering", "it", "sales"),
              ("ERP software", "cloud infrastructure", "industrial software")),
    _Industry("food", "Food & Beverage", 7,
              ("Foods", "Dairy", "Beverages", "Brewery", "Bakeries", "Nutrition"),
              ("Dairy Division", "Beverages Division", "Snacks Division", "Food Service Division"),
              "plant", ("production", "quality", "maintenance", "logistics"),
              ("dairy products", "soft drinks", "baked goods", "frozen foods")),
    _Industry("chemicals", "Chemicals", 5,
              ("Chemicals", "Chemie", "Polymers", "Coatings", "Specialty Chemicals", "Materials"),
              ("Performance Materials", "Coatings Division", "Agricultural Solutions",
               "Industrial Chemicals"),
              "plant", ("production", "quality", "maintenance", "engineering", "logistics"),
              ("industrial coatings", "specialty polymers", "adhesives", "crop protection")),
)

SMALL_EXECS = ("Managing Director", "Commercial Director", "Technical Director",
               "Head of Finance", "Operations Manager", "Purchasing Manager")
SMALL_STAFF = ("Buyer", "Service Technician", "Accountant", "Project Manager", "Sales Engineer",
               "Office Manager", "IT Administrator", "Warehouse Manager", "Production Manager",
               "Quality Manager", "Design Engineer", "Maintenance Technician")
DIV_HEADS = ("Managing Director", "General Manager", "Division President",
             "Senior Vice President")
DIV_LEADS = ("VP Operations", "Division Controller", "VP Engineering", "VP Sales",
             "Head of Strategy", "VP Procurement")
DIV_STAFF = ("Business Analyst", "Executive Assistant", "Project Manager", "Strategy Manager",
             "Programme Manager", "Division Controller")

CORE_HEADS = ("Ald", "Bel", "Cor", "Dun", "Elm", "Fal", "Gar", "Hal", "Kes", "Lin", "Mar",
              "Nor", "Ost", "Pel", "Rhe", "Sol", "Tor", "Val", "Wes", "Zel", "Brem", "Cal",
              "Dal", "Fen", "Grav", "Hart", "Ives", "Kal", "Lund", "Mer", "Oak", "Quin",
              "Ros", "Sten", "Thal", "Ul", "Ver", "Wil", "Yor", "Ash")
CORE_TAILS = ("ford", "mark", "stein", "vale", "berg", "ton", "wick", "haven", "dale", "gate",
              "mont", "field", "brook", "wood", "stad", "holm", "ridge", "ley", "burn", "crest",
              "more", "well", "hurst", "by", "lund")
PLACE_CORES = ("Alpine", "Baltic", "Nordic", "Atlantic", "Midland", "Pennine", "Rhine",
               "Danube", "Elbe", "Thames", "Meridian", "Summit", "Pioneer", "Continental",
               "Hanseatic", "Lakeside", "Highland", "Northern", "Central", "Western")
QUALIFIERS = ("North", "South", "East", "West", "Central", "Greater", "Upper", "Lower")

PARTNER_HEADS = ("North", "Blue", "Iron", "Clear", "Silver", "Red", "Bright", "Key", "Oak",
                 "Stone", "Ever", "High", "West", "East", "Pine", "Gold", "Swift", "True",
                 "Arc", "Core")
PARTNER_TAILS = ("wind", "peak", "bridge", "water", "line", "field", "path", "stone", "gate",
                 "ridge", "point", "way", "works", "tech", "view")
PARTNER_SUFFIX = {
    PartnerKind.RESELLER: ("Systems", "Solutions", "Trading", "Direct"),
    PartnerKind.VAR: ("Integration", "Automation", "Systems", "Technik"),
    PartnerKind.DISTRIBUTOR: ("Distribution", "Supply", "Industrial Supply"),
    PartnerKind.INSTALLER: ("Installations", "Field Services", "Montage", "Electrical"),
    PartnerKind.CONSULTANT: ("Consulting", "Partners", "Advisory"),
}
PARTNER_ROLES = {
    PartnerKind.RESELLER: (PartnerRole.RESELLER_OF_RECORD, PartnerRole.REFERRER),
    PartnerKind.VAR: (PartnerRole.RESELLER_OF_RECORD, PartnerRole.SERVICE),
    PartnerKind.DISTRIBUTOR: (PartnerRole.DISTRIBUTOR,),
    PartnerKind.INSTALLER: (PartnerRole.INSTALLER, PartnerRole.SERVICE),
    PartnerKind.CONSULTANT: (PartnerRole.ADVISOR, PartnerRole.REFERRER),
}
PARTNER_NOTES = ("Certified integrator for Atlas and Meridian.", "Covers {country} and neighbouring markets.",
                 "Gold partner since {year}.", "Strong in {industry}.", "Handles first-level support for its accounts.")

PRODUCTS = ("Atlas Asset Monitor", "Atlas Edge Gateway", "Meridian Analytics", "Meridian Mobile",
            "Vector Drive Controller", "Helix Vibration Sensor", "Orion Service Contract",
            "Orion Spare Parts Portal", "Nova Energy Meter", "Nova Energy Dashboard")
MODULES = ("Predictive Maintenance", "Energy Reporting", "Work Orders", "Spare Parts",
           "Condition Monitoring", "Alarm Management", "Single Sign-On", "Reporting API",
           "Shift Handover", "Audit Trail", "Remote Access", "OEE Dashboard")
TOPICS = ("predictive maintenance", "energy monitoring", "spare parts strategy", "SSO integration",
          "data retention", "reporting requirements", "remote service", "OT security",
          "total cost of ownership", "rollout planning", "sensor retrofit", "ERP integration",
          "multi-site licensing")
EVENTS = ("Hannover Messe", "SPS Nuremberg", "automatica Munich", "LogiMAT Stuttgart",
          "Smart Factory Forum", "Regional User Group", "Industry 4.0 Roundtable",
          "Maintenance Summit", "Energy Efficiency Days")
WEBINARS = ("Predictive maintenance in 30 minutes", "Cutting energy costs with condition monitoring",
            "What's new in Atlas", "Securing your OT network", "From pilot to rollout")
WHITEPAPERS = ("TCO of condition monitoring", "Predictive maintenance buyer's guide",
               "OT security checklist", "Energy efficiency benchmark")
COMPETITORS = ("Brightlane", "Cortexa Systems", "Indura", "Kestrel Automation", "Veltro")
FAULTS = ("shows false alarms", "stops syncing", "reports wrong readings",
          "gateway keeps rebooting", "dashboard loads slowly", "alarm e-mails not delivered")
VERSIONS = ("4.8", "5.0", "5.1", "5.2", "6.0")

# Interaction templates per channel: (subject, summary, for whom, direction).
# For whom: "a" anyone, "c" existing customers only, "p" before the first purchase only.
TEMPLATES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    Channel.EMAIL: (
        ("Quote {quote} for {product}",
         "Sent quote {quote} for {n} x {product} including the {module} module.", "a", "outbound"),
        ("Re: Quote {quote} \u2013 questions on pricing",
         "{contact} asked for a breakdown of licence and service costs in quote {quote}.", "a",
         "inbound"),
        ("Introduction: {product} for {industry}",
         "Introduced {product} and shared two reference cases from {industry}.", "p", "outbound"),
        ("Follow-up on our meeting about {topic}",
         "Summarised the agreed points on {topic} and attached the slides.", "a", "outbound"),
        ("RFP {year}: {product} for {unit}",
         "Received the RFP documents for {unit}; submission deadline {due}.", "a", "inbound"),
        ("Renewal of {product} service contract",
         "Reminded {contact} that the service contract for {product} renews in {quarter}.", "c",
         "outbound"),
        ("Invoice dispute {invoice}",
         "{contact} disputes invoice {invoice}: service hours billed twice.", "c", "inbound"),
        ("Delivery date for {po}",
         "{contact} asked for a confirmed delivery date for order {po}.", "c", "inbound"),
        ("Training on {module} \u2013 proposed dates",
         "Proposed three dates for a {module} training for {unit}.", "c", "outbound"),
        ("Price adjustment {next_year}",
         "Informed {contact} about the price adjustment for {next_year} and how to lock current "
         "prices.", "c", "outbound"),
        ("Question about {module} licensing",
         "{contact} wants to know whether {module} is licensed per site or per user.", "a",
         "inbound"),
        ("Site survey at {site}",
         "Asked for access and a contact person for the site survey at {site}.", "a", "outbound"),
        ("Safety data sheets for {product}",
         "{contact} requested the safety and compliance documentation for {product}.", "c",
         "inbound"),
        ("Contract amendment \u2013 {product}",
         "Sent the amendment adding {n} more assets to the {product} contract.", "c", "outbound"),
        ("Reference visit request",
         "{contact} would like to visit a reference customer running {product}.", "p", "inbound"),
        ("Pilot results at {site}",
         "Shared the results of the {product} pilot at {site}: fewer unplanned stops.", "a",
         "outbound"),
        ("Case study: {topic} in {industry}",
         "Sent the {industry} case study on {topic} as discussed.", "p", "outbound"),
        ("Spare parts availability \u2013 {product}",
         "{contact} asked about lead times for {product} spare parts.", "c", "inbound"),
    ),
    Channel.CALL: (
        ("Discovery call with {contact}",
         "Walked through their current maintenance process and pain points around {topic}.", "p",
         "outbound"),
        ("Follow-up call on quote {quote}",
         "Discussed quote {quote}; {contact} needs approval from finance.", "a", "outbound"),
        ("Budget check-in for {quarter}",
         "Checked whether budget for {product} is planned for {quarter}.", "a", "outbound"),
        ("Escalation: delayed delivery {po}",
         "{contact} called about the delayed delivery of {po}; promised an update within 24 "
         "hours.", "c", "inbound"),
        ("Check-in on {module} rollout",
         "Rollout of {module} at {site} is on track; two users still need access.", "c",
         "outbound"),
        ("Cold call: {product}",
         "Introduced {product} to {contact}; some interest in {topic}.", "p", "outbound"),
        ("Renewal call \u2013 {product}",
         "Discussed renewal terms for {product}; {contact} wants a multi-year option.", "c",
         "two_way"),
        ("Call about invoice {invoice}",
         "Clarified the line items on invoice {invoice} with {contact}.", "c", "inbound"),
        ("Technical questions on {module}",
         "{contact} had questions on integrating {module} with their ERP.", "a", "inbound"),
    ),
    Channel.MEETING: (
        ("Quarterly business review {quarter}",
         "Reviewed usage, open tickets and the roadmap; agreed priorities for {quarter}.", "c",
         "two_way"),
        ("On-site visit at {site}",
         "Visited {site}; walked the line with {contact} and identified {n} assets to monitor.",
         "a", "two_way"),
        ("Kick-off: {product} rollout at {site}",
         "Kick-off with the project team; agreed milestones and responsibilities.", "c",
         "two_way"),
        ("Workshop: {topic}",
         "Half-day workshop on {topic} with {n} participants from {unit}.", "a", "two_way"),
        ("Negotiation \u2013 framework agreement {year}",
         "Negotiated volume discounts and payment terms for the {year} framework agreement.",
         "a", "two_way"),
        ("Executive sponsor meeting",
         "Met {contact} to review the partnership and the plan for next year.", "c", "two_way"),
        ("Technical deep dive: {module}",
         "Deep dive on the {module} architecture with IT; security questionnaire to follow.",
         "a", "two_way"),
        ("Demo of {product} for {unit}",
         "Live demo of {product}; strong interest in {module}.", "p", "two_way"),
    ),
    Channel.SUPPORT: (
        ("Ticket {ticket}: {product} {fault}",
         "Reported that {product} {fault} at {site}. Logs requested.", "c", "inbound"),
        ("Ticket {ticket}: login problems with {module}",
         "Users at {unit} cannot log in to {module} after a password reset.", "c", "inbound"),
        ("Ticket {ticket}: data export fails",
         "CSV export from {product} times out for large date ranges.", "c", "inbound"),
        ("Ticket {ticket}: sensors offline at {site}",
         "{n} sensors at {site} stopped reporting since the weekend.", "c", "inbound"),
        ("Ticket {ticket}: firmware update request",
         "Asked for the latest firmware for {product} and an update window.", "c", "inbound"),
        ("Ticket {ticket}: how to configure {module}",
         "Explained how to set up {module}; sent the knowledge base article.", "c", "inbound"),
        ("Ticket {ticket} resolved",
         "Closed ticket {ticket} after confirming the fix with {contact}.", "c", "outbound"),
    ),
    Channel.WEB: (
        ("Downloaded whitepaper: {whitepaper}",
         "Downloaded the whitepaper \u201c{whitepaper}\u201d.", "a", "inbound"),
        ("Visited pricing page",
         "Visited the pricing pages {n} times this week.", "a", "inbound"),
        ("Web form: request for quote \u2013 {product}",
         "Requested a quote for {product} via the website.", "a", "inbound"),
        ("Webinar registration: {webinar}",
         "Registered for the webinar \u201c{webinar}\u201d.", "a", "inbound"),
        ("Requested demo of {product}",
         "Booked a demo of {product} through the website.", "p", "inbound"),
    ),
    Channel.PORTAL: (
        ("Portal order {po}",
         "Placed order {po} for spare parts for {site} in the customer portal.", "c", "inbound"),
        ("Portal: reorder of sensors for {site}",
         "Reordered {n} sensors using the standard configuration for {site}.", "c", "inbound"),
        ("Portal: requisition {req} approved",
         "Requisition {req} approved by {contact} in the portal.", "c", "inbound"),
        ("Portal: delivery address updated for {site}",
         "Updated the delivery address for {site}.", "c", "inbound"),
        ("Portal: invoice {invoice} downloaded",
         "Downloaded invoice {invoice} from the portal.", "c", "inbound"),
    ),
    Channel.EDI: (
        ("EDI ORDERS {po}", "Purchase order {po} received via EDI ({n} lines).", "c", "inbound"),
        ("EDI ORDRSP {po}", "Order confirmation for {po} sent via EDI.", "c", "outbound"),
        ("EDI DESADV {po}", "Despatch advice for {po} sent via EDI.", "c", "outbound"),
        ("EDI INVOIC {invoice}", "Invoice {invoice} transmitted via EDI.", "c", "outbound"),
    ),
    Channel.EVENT: (
        ("Met at {event}",
         "Met {contact} at our booth at {event}; interested in {topic}.", "a", "two_way"),
        ("Attended {event}",
         "{contact} attended {event} and joined the session on {topic}.", "a", "inbound"),
        ("Customer Day {year}",
         "Attended Customer Day {year}; joined the {module} roadmap session.", "c", "inbound"),
        ("Dinner at {event}", "Customer dinner at {event} with {contact}.", "a", "two_way"),
    ),
    Channel.TRAINING: (
        ("Training: {module} basics for {unit}",
         "Trained {n} users from {unit} on {module}.", "c", "outbound"),
        ("Administrator certification: {product}",
         "{contact} completed the {product} administrator certification.", "c", "two_way"),
        ("On-site training at {site}",
         "Full-day on-site training at {site} for maintenance staff.", "c", "outbound"),
        ("Webinar training: what's new in {product} {version}",
         "Joined the webinar training on {product} {version}.", "c", "outbound"),
    ),
    Channel.SURVEY: (
        ("NPS survey {quarter}", "Answered the NPS survey with a score of {nps}.", "c", "inbound"),
        ("CSAT after ticket {ticket}",
         "Rated the support on ticket {ticket} with {csat}/5.", "c", "inbound"),
        ("Onboarding survey",
         "Completed the onboarding survey after the {product} rollout.", "c", "inbound"),
        ("Annual customer survey {year}",
         "Returned the annual customer survey; comments on {topic}.", "c", "inbound"),
    ),
    Channel.PARTNER: (
        ("Joint visit with {partner} at {site}",
         "Visited {site} together with {partner}; discussed {topic}.", "a", "two_way"),
        ("Deal registration by {partner}: {product}",
         "{partner} registered an opportunity for {product} at {unit}.", "a", "inbound"),
        ("{partner}: installation completed at {site}",
         "{partner} reported the installation of {product} at {site} as complete.", "c",
         "inbound"),
        ("{partner} reported an issue at {site}",
         "{partner} escalated a {product} issue at {site} on behalf of the customer.", "c",
         "inbound"),
        ("Account planning with {partner}",
         "Joint account planning with {partner} for the next two quarters.", "a", "two_way"),
    ),
}

CHANNEL_WEIGHTS: dict[str, tuple[int, int]] = {  # (before the first purchase, customers)
    Channel.EMAIL: (36, 32), Channel.CALL: (21, 16), Channel.MEETING: (12, 10),
    Channel.SUPPORT: (0, 13), Channel.WEB: (19, 6), Channel.PORTAL: (0, 7), Channel.EDI: (0, 6),
    Channel.EVENT: (10, 3), Channel.TRAINING: (0, 4), Channel.SURVEY: (0, 3),
}
CONVERSATIONAL: frozenset[str] = frozenset({Channel.EMAIL, Channel.CALL, Channel.MEETING, Channel.SUPPORT,
                            Channel.EVENT, Channel.TRAINING, Channel.PARTNER})
AUTOMATIC: frozenset[str] = frozenset({Channel.EMAIL, Channel.WEB, Channel.PORTAL, Channel.EDI, Channel.SURVEY})

OUTCOMES = ("positive", "neutral", "negative", "no_response", "")
OUTCOME_WEIGHTS: dict[str, tuple[tuple[int, ...], ...]] = {  # per channel (outbound, other)
    Channel.EMAIL: ((28, 30, 6, 16, 20), (25, 40, 10, 0, 25)),
    Channel.CALL: ((30, 35, 8, 15, 12), (30, 40, 12, 0, 18)),
    Channel.MEETING: ((45, 35, 10, 0, 10),) * 2,
    Channel.SUPPORT: ((35, 30, 15, 0, 20),) * 2,
    Channel.WEB: ((5, 20, 0, 0, 75),) * 2,
    Channel.PORTAL: ((5, 20, 0, 0, 75),) * 2,
    Channel.EDI: ((0, 15, 2, 0, 83),) * 2,
    Channel.EVENT: ((35, 35, 5, 0, 25),) * 2,
    Channel.TRAINING: ((55, 30, 5, 0, 10),) * 2,
    Channel.SURVEY: ((50, 30, 20, 0, 0),) * 2,
    Channel.PARTNER: ((35, 35, 10, 0, 20),) * 2,
}
# What came of it, and what to do next, by kind of conversation.
SALES_OUTCOMES = {
    "positive": ("{contact} was positive and wants to move ahead.",
                 "Good feedback; {contact} will push it internally.",
                 "Agreed next steps; momentum is good.", "Customer confirmed; no open issues."),
    "neutral": ("No decision yet; they need to align internally.",
                "Informational; nothing to decide yet.",
                "{contact} will come back after the internal review."),
    "negative": ("{contact} is unhappy with our response time.",
                 "Pushback on price; {competitor} offered a lower quote.",
                 "Concerns about the integration effort; risk flagged.",
                 "Budget was cut for {quarter}."),
    "no_response": ("No reply yet.", "Left a voicemail; no call back.",
                    "No response after two reminders."),
}
SUPPORT_OUTCOMES = {
    "positive": ("Fix confirmed by {contact}.", "Solved on the first call."),
    "neutral": ("Waiting for logs from the customer.",
                "Workaround in place; fix planned for the next release."),
    "negative": ("{contact} escalated; third ticket on this issue.",
                 "Workaround not accepted; {contact} is frustrated."),
    "no_response": ("No reply to our questions yet.",),
}
TRAINING_OUTCOMES = {
    "positive": ("Very good feedback from the participants.", "All participants passed the test."),
    "neutral": ("Mixed feedback; the pace was too fast for some.",),
    "negative": ("Participants found the material too basic.",),
    "no_response": ("No feedback received.",),
}
SALES_STEPS = ("Send revised quote by {due}", "Schedule site survey at {site}",
               "Book follow-up call with {contact} for {due}",
               "Share reference case from {industry}", "Send security questionnaire answers",
               "Arrange demo for {unit}", "Involve our solution engineer",
               "Draft renewal offer for {quarter}", "Update the account plan",
               "Ask {contact} for the decision timeline", "Confirm delivery date with logistics",
               "Check credit note for {invoice} with finance")
SUPPORT_STEPS = ("Send firmware link to {contact}", "Escalate to second-level support",
                 "Schedule remote session for {due}", "Check the fix with {contact} on {due}",
                 "Add to the known-issues list", "Offer a {module} refresher training")
TRAINING_STEPS = ("Send certificates to participants", "Plan advanced course on {module}",
                  "Share the recording with {unit}", "Offer a follow-up session on {due}")
WEB_STEPS = ("Qualify the lead by phone", "Send pricing information",
             "Invite to the next webinar", "Hand over to {rep}")
OUTCOME_SENTENCES = {"support": SUPPORT_OUTCOMES, "training": TRAINING_OUTCOMES}
NEXT_STEPS = {"support": SUPPORT_STEPS, "training": TRAINING_STEPS, "web": WEB_STEPS}

CONTACT_NOTES = ("Prefers e-mail over calls.", "Speaks German and English.",
                 "Only available Tuesday to Thursday.", "Former colleague of our CTO.",
                 "Sits on the supplier steering committee.", "Wants quarterly usage reports.")
CHAMPION_NOTES = ("Sponsored the pilot.", "Uses our reports in management meetings.",
                  "Introduced us to the plant managers.", "")
BLOCKER_NOTES = ("Prefers the incumbent supplier.", "Worried about the integration effort.",
                 "Ties any budget to proven savings.", "")

# Plain strings in the hot loop: enum members hash and compare slowly, and an enum
# member does not find its plain-string twin in a dict.
TEMPLATES = {str(k): v for k, v in TEMPLATES.items()}
CHANNEL_WEIGHTS = {str(k): v for k, v in CHANNEL_WEIGHTS.items()}
OUTCOME_WEIGHTS = {str(k): v for k, v in OUTCOME_WEIGHTS.items()}
CONVERSATIONAL = frozenset(str(c) for c in CONVERSATIONAL)
AUTOMATIC = frozenset(str(c) for c in AUTOMATIC)

LIFECYCLE_REASONS = {
    ("", "prospect"): ("Found at a trade fair", "Inbound enquiry via the website",
                       "Target account list", "Referred by a partner"),
    ("", "customer"): ("Imported from the legacy CRM",),
    ("prospect", "lead"): ("Qualified after discovery call", "Downloaded two whitepapers",
                           "Requested a quote"),
    ("lead", "opportunity"): ("RFP received", "Budget confirmed for the project",
                              "Pilot agreed"),
    ("opportunity", "customer"): ("First order placed", "Framework contract signed"),
    ("opportunity", "lost"): ("Lost to a competitor on price", "Project cancelled"),
    ("customer", "at_risk"): ("Usage declining; renewal at risk", "Escalation about service quality",
                              "Champion left the company"),
    ("at_risk", "customer"): ("Renewal signed", "Escalation resolved"),
    ("customer", "dormant"): ("No orders in twelve months",),
    ("at_risk", "dormant"): ("No orders in twelve months",),
    ("at_risk", "lost"): ("Contract not renewed", "Switched to a competitor"),
}


# fmt: on


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "&": " ",
    }
)


@lru_cache(maxsize=65_536)
def _slug(text: str, sep: str = "") -> str:
    """ASCII, lower case, letters and digits only (words joined by ``sep``)."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    out, word = [], []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            word.append(ch.lower())
        elif ch in " -./" and word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return sep.join(out)


def _round_sig(x: float, digits: int = 2) -> int:
    if x < 10:
        return max(1, round(x))
    scale = 10 ** (int(math.log10(x)) - digits + 1)
    return int(round(x / scale) * scale)


def _largest_remainder(weights: Sequence[float], total: int, minimum: int) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``."""
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise DemoError(f"cannot give {n} buckets at least {minimum} of {total}")
    wsum = sum(weights) or 1.0
    raw = [w * spare / wsum for w in weights]
    out = [int(r) for r in raw]
    left = spare - sum(out)
    order = sorted(range(n), key=lambda i: (out[i] - raw[i], i))
    for i in order[:left]:
        out[i] += 1
    return [o + minimum for o in out]


class _Names:
    """Pools of names per Faker locale, drawn once per locale and seed (a Faker call per
    row would be far too slow). Each locale has its own Faker seeded from the seed and the
    locale, so the pools do not depend on the order in which locales are first needed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._first: dict[str, list[str]] = {}
        self._last: dict[str, list[str]] = {}
        self._cities: dict[str, list[str]] = {}

    def _faker(self, loc: str, provider: str) -> Faker:
        # Only the provider needed, unweighted: building full weighted Fakers for 18
        # locales costs seconds.
        fake = Faker(loc, providers=[f"faker.providers.{provider}"], use_weighting=False)
        fake.seed_instance(f"{self.seed}:{loc}:{provider}")
        return fake

    def first(self, loc: str) -> list[str]:
        if loc not in self._first:
            fake = self._faker(loc, "person")
            self._first[loc] = self._pool(fake.first_name, 250)
            self._last[loc] = self._pool(fake.last_name, 300)
        return self._first[loc]

    def last(self, loc: str) -> list[str]:
        self.first(loc)
        return self._last[loc]

    def cities(self, loc: str) -> list[str]:
        if loc not in REAL_CITY_LOCALES:
            return []
        if loc not in self._cities:
            self._cities[loc] = self._pool(self._faker(loc, "address").city, 100)
        return self._cities[loc]

    @staticmethod
    def _pool(draw: Callable[[], str], n: int) -> list[str]:
        seen = dict.fromkeys(
            v
            for v in (draw().strip() for _ in range(n))
            if v and "," not in v and not any(ch.isdigit() for ch in v) and len(v) <= 40
        )
        return list(seen)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """The demo password hashed once per process (argon2 is slow on purpose)."""
    return make_password(DEMO_PASSWORD)


@lru_cache(maxsize=4)
def _names(seed: int) -> _Names:
    return _Names(seed)


# --------------------------------------------------------------------------------------
# Writing rows in bulk
# --------------------------------------------------------------------------------------


class _Writer:
    """Writes tuples straight into tables: COPY on PostgreSQL, executemany on SQLite.

    Columns not given get their model default, computed once. Timestamps are passed as
    UTC text in the backend's storage format (``ts``), dates as ISO text.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._plans: dict[tuple[type[models.Model], tuple[str, ...]], tuple[str, tuple]] = {}
        suffix = "+00:00" if self.vendor == "postgresql" else ""
        gmtime, strftime = time.gmtime, time.strftime
        # Formatting millions of timestamps: a table of the times of day and a cache of days.
        tod = [
            f" {h:02d}:{m:02d}:{s:02d}{suffix}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]
        days: dict[int, str] = {}

        def ts(seconds: int) -> str:
            d, r = divmod(seconds, DAY)
            ds = days.get(d)
            if ds is None:
                ds = days[d] = strftime("%Y-%m-%d", gmtime(d * DAY))
            return ds + tod[r]

        def day(seconds: int) -> str:
            d = seconds // DAY
            ds = days.get(d)
            if ds is None:
                ds = days[d] = strftime("%Y-%m-%d", gmtime(d * DAY))
            return ds

        self.ts, self.day = ts, day

    def _plan(self, model: type[models.Model], fields: tuple[str, ...]) -> tuple[str, tuple]:
        key = (model, fields)
        if key not in self._plans:
            opts = model._meta
            given = [cast(models.Field, opts.get_field(f)) for f in fields]
            given_names = {f.name for f in given}
            rest = [
                f for f in opts.concrete_fields if f.name not in given_names and not f.primary_key
            ]
            consts = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
            qn = connection.ops.quote_name
            cols = ", ".join(qn(f.column) for f in [*given, *rest])
            table = qn(opts.db_table)
            if self.vendor == "postgresql":
                sql = f"COPY {table} ({cols}) FROM STDIN"
            else:
                marks = ", ".join(
                    ["?" if self.vendor == "sqlite" else "%s"] * (len(given) + len(rest))
                )
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            self._plans[key] = (sql, consts)
        return self._plans[key]

    def write(
        self, model: type[models.Model], fields: Sequence[str], rows: list[tuple], raw: Any = None
    ) -> None:
        """Insert ``rows`` (tuples in the order of ``fields``). ``raw``: the DB-API
        connection to use, for a writer thread (Django's connections are per thread)."""
        if not rows:
            return
        sql, consts = self._plan(model, tuple(fields))
        if consts:
            rows = [r + consts for r in rows]
        if raw is None:
            connection.ensure_connection()
            raw = connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(sql) as copy:
                write_row = copy.write_row
                for r in rows:
                    write_row(r)
        elif self.vendor == "sqlite":
            raw.executemany(sql, rows)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            with connection.cursor() as cur:
                cur.executemany(sql, rows)


class _BackgroundWriter:
    """Writes batches on a second thread while the main thread generates the next ones,
    so that on two cores Python and the database work at the same time.

    It uses the main thread's DB-API connection (inside its transaction); the main
    thread must not touch the database until ``close()``.
    """

    def __init__(self, writer: _Writer) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.writer = writer
        self.queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.busy = 0.0
        self.thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            if self.error is not None:
                continue  # drain after a failure; close() re-raises it
            t0 = time.perf_counter()
            try:
                for model, fields, rows in batch:
                    self.writer.write(model, fields, rows, raw=self.raw)
            except BaseException as exc:
                self.error = exc
            self.busy += time.perf_counter() - t0

    def submit(self, batch: list[tuple]) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(batch, timeout=1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


# --------------------------------------------------------------------------------------
# Flushing customer data
# --------------------------------------------------------------------------------------

_ROOT_MODELS = (Account, Partner, Contact, Interaction)


def _customer_data_models() -> list[type[models.Model]]:
    """Every model holding customer data: the account/contact/partner/interaction models
    and every project model (of any app but core) that points at one of them, directly or
    not; their history tables included. Ordered so that referencing tables come first."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("rapport.")
        and m._meta.app_label != "core"
        and m._meta.managed
        and not m._meta.proxy
    ]
    members: dict[type[models.Model], None] = dict.fromkeys(_ROOT_MODELS)
    for app_label in ("accounts", "interactions"):
        for m in apps.get_app_config(app_label).get_models(include_auto_created=True):
            members[m] = None
    changed = True
    while changed:
        changed = False
        for m in candidates:
            if m in members:
                continue
            if any(
                f.is_relation and f.many_to_one and f.related_model in members
                for f in m._meta.concrete_fields
            ):
                members[m] = None
                changed = True
    # Topological order: a model before every model it references.
    order: list[type[models.Model]] = []
    state: dict[type[models.Model], int] = {}

    def visit(m: type[models.Model]) -> None:
        if state.get(m) == 2:
            return
        if state.get(m) == 1:  # a cycle: deferred constraints sort it out at commit
            return
        state[m] = 1
        for other in members:
            if other is not m and any(
                f.is_relation and f.many_to_one and f.related_model is m
                for f in other._meta.concrete_fields
            ):
                visit(other)
        state[m] = 2
        order.append(m)

    for m in sorted(members, key=lambda m: m._meta.label):
        visit(m)
    return order


def _flush(progress: Callable[[str], None]) -> None:
    t0 = time.perf_counter()
    data = _customer_data_models()
    data_set = set(data)
    qn = connection.ops.quote_name
    # On SQLite, with foreign keys off (possible outside a transaction only) a DELETE of
    # a whole table drops its pages at once instead of checking every row.
    fast = connection.vendor == "sqlite" and not connection.in_atomic_block
    with connection.constraint_checks_disabled() if fast else nullcontext(), transaction.atomic():
        # Users tied to customer data (partner and portal users) go; staff users stay
        # and are reused by the generator.
        users_tied = User.objects.filter(
            models.Q(role__in=[Role.PARTNER, Role.PORTAL])
            | models.Q(partner__isnull=False)
            | models.Q(account__isnull=False)
        )
        users_tied.exclude(role__in=[Role.PARTNER, Role.PORTAL]).update(partner=None, account=None)
        users_tied.delete()
        # Rows outside the customer data that point into it: unlink or delete them.
        outside_refs: list[tuple[type[models.Model], models.Field]] = []
        for m in apps.get_models(include_auto_created=True):
            if m in data_set or m is User or not m._meta.managed or m._meta.proxy:
                continue
            for f in m._meta.concrete_fields:
                if (
                    f.is_relation
                    and f.many_to_one
                    and f.related_model in data_set
                    and getattr(f, "db_constraint", True)
                ):
                    outside_refs.append((m, f))
        referenced_from_outside = {f.related_model for _, f in outside_refs}
        referenced_from_outside |= {
            f.related_model
            for f in User._meta.concrete_fields
            if f.is_relation and f.many_to_one and f.related_model in data_set
        }
        with connection.cursor() as cur:
            for m, f in outside_refs:
                table, col = qn(m._meta.db_table), qn(f.column)
                if f.null:
                    cur.execute(f"UPDATE {table} SET {col} = NULL WHERE {col} IS NOT NULL")
                else:
                    cur.execute(f"DELETE FROM {table}")
            if connection.vendor == "postgresql":
                # TRUNCATE refuses tables with pending deferred checks (rows inserted
                # earlier in the same transaction): run those checks now.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                truncatable = [m for m in data if m not in referenced_from_outside]
                if truncatable:
                    cur.execute("TRUNCATE " + ", ".join(qn(m._meta.db_table) for m in truncatable))
                for m in data:
                    if m in referenced_from_outside:
                        cur.execute(f"DELETE FROM {qn(m._meta.db_table)}")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for m in data:
                    cur.execute(f"DELETE FROM {qn(m._meta.db_table)}")
    progress(f"flushed customer data from {len(data)} tables in {time.perf_counter() - t0:.1f} s")


@contextmanager
def _indexes_rebuilt_after(
    tables: Sequence[type[models.Model]], say: Callable[[str], None]
) -> Iterator[None]:
    """Drop the secondary indexes (and on PostgreSQL the foreign keys) of ``tables``,
    and build them again at the end: a bulk load followed by one sort per index is
    much faster than maintaining every index (and checking every reference) row by row.

    Must run inside a transaction: DDL is transactional on SQLite and PostgreSQL, so a
    failed load rolls back to the tables as they were, indexes included. The tables
    stay locked for writing until the transaction ends.
    """
    assert connection.in_atomic_block
    qn = connection.ops.quote_name
    indexes: list[str] = []
    constraints: list[str] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses tables with pending deferred checks: run them now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in tables:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                for name, definition in cur.fetchall():
                    cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                    constraints.append(
                        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                    )
                cur.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                    "AND NOT x.indisunique AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                    "ORDER BY i.relname",
                    [table],
                )
            elif connection.vendor == "sqlite":
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
                    [table],
                )
            else:  # pragma: no cover
                continue
            for name, definition in cur.fetchall():
                cur.execute(f"DROP INDEX {qn(name)}")
                indexes.append(definition)
    yield
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for sql in indexes + constraints:
            cur.execute(sql)
    say(
        f"rebuilt {len(indexes)} indexes and {len(constraints)} foreign keys "
        f"in {time.perf_counter() - t0:.1f} s"
    )


# --------------------------------------------------------------------------------------
# The plan of one customer
# --------------------------------------------------------------------------------------


class _Unit:
    parent: _Unit | None
    name: str
    kind: str
    func: str | None
    family: str
    city: str
    country: str
    depth: int
    children: list[_Unit]
    contacts: list[int]
    n_lead: int
    n_staff: int
    id: int
    idx: int
    path: str
    employees: int
    div: _Unit
    __slots__ = (
        "children",
        "city",
        "contacts",
        "country",
        "depth",
        "div",
        "employees",
        "family",
        "func",
        "id",
        "idx",
        "kind",
        "n_lead",
        "n_staff",
        "name",
        "parent",
        "path",
    )

    def __init__(
        self,
        parent: _Unit | None,
        name: str,
        kind: str,
        func: str | None,
        family: str,
        city: str,
        country: str,
    ) -> None:
        self.parent, self.name, self.func, self.family = parent, name, func, family
        self.kind = str(kind)  # the plain value, as written to the database
        self.city, self.country = city, country
        self.depth = parent.depth + 1 if parent else 1
        self.children = []
        self.contacts = []  # local indices into the customer's members
        self.n_lead = self.n_staff = 0
        self.id = self.idx = 0
        self.path = ""
        self.employees = 0
        self.div = self  # the division-level unit (depth 2) above, or the root


class _Customer:
    alumni: list[tuple]
    city: str
    core: str
    country: str
    created: int
    domain: str
    employees: int
    industry: _Industry
    links: list[tuple[int, int, int]]
    manager: int
    n_contacts: int
    n_interactions: int
    name: str
    pool: list[tuple]
    presale: bool
    seq: int
    shape: float
    sites: list[str]
    stage: str
    stages: list[tuple[str, int]]
    trouble: int
    trouble_end: int
    units: list[_Unit]
    win_end: int
    win_start: int
    __slots__ = (
        "alumni",
        "city",
        "core",
        "country",
        "created",
        "domain",
        "employees",
        "industry",
        "links",
        "manager",
        "n_contacts",
        "n_interactions",
        "name",
        "pool",
        "presale",
        "seq",
        "shape",
        "sites",
        "stage",
        "stages",
        "trouble",
        "trouble_end",
        "units",
        "win_end",
        "win_start",
    )

    def __init__(self) -> None:
        self.units = []
        self.alumni = []
        self.links = []  # (partner id, from, to) in seconds
        self.pool = []
        self.sites = []

    @property
    def root(self) -> _Unit:
        return self.units[0]


class _Slots(dict):
    """Template slots, each drawn only when a template asks for it."""

    cust: _Customer
    gen: _Generator
    outcome: str
    partner: str
    t: int
    unit: _Unit
    __slots__ = ("cust", "gen", "outcome", "partner", "t", "unit")

    def __missing__(self, key: str) -> str:
        value = _SLOT_FUNCS[key](self)
        self[key] = value
        return value


@lru_cache(maxsize=8192)
def _calendar(day: int) -> tuple[str, str, str, str]:
    """For a day number: its year, the next year, the coming quarter, and "07 Mar"."""
    tm = time.gmtime(day * DAY)
    q = time.gmtime((day + 45) * DAY)
    return (
        str(tm.tm_year),
        str(tm.tm_year + 1),
        f"Q{(q.tm_mon - 1) // 3 + 1} {q.tm_year}",
        time.strftime("%d %b", tm),
    )


def _ri(s: _Slots, lo: int, hi: int) -> int:
    """A random integer in [lo, hi]; cheaper than Random.randint."""
    return lo + int(s.gen.rnd() * (hi - lo + 1))


def _site(s: _Slots) -> str:
    if s.unit.kind == "site":
        return s.unit.name
    sites = s.cust.sites
    if sites:
        return sites[int(s.gen.rnd() * len(sites))]
    return f"the {s.unit.city or s.cust.city} site"


def _nps(s: _Slots) -> str:
    if s.outcome == "positive":
        return str(_ri(s, 9, 10))
    return str(_ri(s, 7, 8)) if s.outcome == "neutral" else str(_ri(s, 0, 6))


def _csat(s: _Slots) -> str:
    if s.outcome == "positive":
        return str(_ri(s, 4, 5))
    return "3" if s.outcome == "neutral" else str(_ri(s, 1, 2))


def _pick(seq: Sequence[str]) -> Callable[[_Slots], str]:
    return lambda s: seq[int(s.gen.rnd() * len(seq))]


_SLOT_FUNCS: dict[str, Callable[[_Slots], str]] = {
    "site": _site,
    "product": _pick(PRODUCTS),
    "module": _pick(MODULES),
    "topic": _pick(TOPICS),
    "event": _pick(EVENTS),
    "webinar": _pick(WEBINARS),
    "whitepaper": _pick(WHITEPAPERS),
    "competitor": _pick(COMPETITORS),
    "fault": _pick(FAULTS),
    "version": _pick(VERSIONS),
    "industry": lambda s: s.cust.industry.label.lower(),
    "year": lambda s: _calendar(s.t // DAY)[0],
    "next_year": lambda s: _calendar(s.t // DAY)[1],
    "quarter": lambda s: _calendar(s.t // DAY)[2],
    "due": lambda s: _calendar(s.t // DAY + _ri(s, 5, 21))[3],
    "n": lambda s: str(_ri(s, 2, 40)),
    "quote": lambda s: f"Q-{_calendar(s.t // DAY)[0]}-{_ri(s, 1000, 9999)}",
    "invoice": lambda s: f"INV-{_calendar(s.t // DAY)[0]}-{_ri(s, 10000, 99999)}",
    "po": lambda s: f"PO-45{_ri(s, 10_000_000, 99_999_999)}",
    "ticket": lambda s: f"#{_ri(s, 10000, 99999)}",
    "req": lambda s: f"REQ-{_ri(s, 10000, 99999)}",
    "partner": lambda s: s.partner,
    "nps": _nps,
    "csat": _csat,
}
# Working hours of conversations (07:00-17:59, most around 10:00).
_HOURS = tuple(
    h
    for h, w in zip(range(7, 18), (2, 6, 9, 10, 9, 6, 7, 8, 7, 5, 3), strict=True)
    for _ in range(w)
)


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, size: str, seed: int, progress: Callable[[str], None]) -> None:
        if size not in SIZES:
            raise DemoError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        self.p = SIZES[size]
        self.seed = seed
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.say = progress
        self.w = _Writer()
        today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor = int(today.timestamp())
        self.start = self.anchor - HISTORY_DAYS * DAY
        self.counts: dict[str, int] = {}
        self.next_id: dict[type[models.Model], int] = {}
        self.names = _names(seed)
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.fresh = True
        self.hq_locales = [v[0] for v in COUNTRIES.values() if v[3]]

    # -- ids ------------------------------------------------------------------------------

    def _ids(self, model: type[models.Model], n: int) -> int:
        """Reserve ``n`` primary keys; returns the first."""
        first = self.next_id[model]
        self.next_id[model] = first + n
        return first

    def _load_state(self) -> None:
        for m in (
            Account,
            LifecycleChange,
            Contact,
            ContactIdentity,
            Employment,
            BuyingRole,
            Partner,
            PartnerLink,
            Interaction,
            Participant,
        ):
            self.next_id[m] = (m._base_manager.aggregate(m=Max("id"))["m"] or 0) + 1
        self.fresh = self.next_id[Account] == 1 and self.next_id[Partner] == 1
        if not self.fresh:
            # Adding to existing data: avoid colliding with identities already stored.
            for kind, norm in (
                ContactIdentity.all_objects.filter(
                    deleted_at__isnull=True, kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE]
                )
                .values_list("kind", "normalized")
                .iterator()
            ):
                (self.emails if kind == IdentityKind.EMAIL else self.phones).add(norm)

    # -- users ----------------------------------------------------------------------------

    def users(self) -> None:
        rng = self.rng
        pw = _password_hash()
        pool_first = self.names.first("en_GB") + self.names.first("en_US")
        pool_last = self.names.last("en_GB") + self.names.last("en_US")
        specs: list[tuple[str, str, str]] = [(f"demo@{DEMO_DOMAIN}", "Dana Demo", Role.ADMIN)]
        used = {"Dana Demo"}

        def person() -> str:
            while True:
                name = f"{rng.choice(pool_first)} {rng.choice(pool_last)}"
                if name not in used:
                    used.add(name)
                    return name

        for role, n in (
            (Role.MANAGER, self.p["managers"]),
            (Role.REP, self.p["reps"]),
            (Role.ANALYST, 1),
        ):
            for k in range(n):
                local = role if k == 0 else f"{role}{k + 1}"
                specs.append((f"{local}@{DEMO_DOMAIN}", person(), role))
        self.managers: list[int] = []
        self.reps: list[int] = []
        self.user_names: dict[int, str] = {}
        created = 0
        for email, full_name, user_role in specs:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email)
                created += 1
            user.full_name, user.role, user.password = full_name, user_role, pw
            user.is_active = True
            user.is_staff = user.is_superuser = user_role == Role.ADMIN
            user.partner = user.account = None
            user.save()
            if user_role == Role.MANAGER:
                self.managers.append(user.pk)
            elif user_role == Role.REP:
                self.reps.append(user.pk)
            self.user_names[user.pk] = full_name.split()[0]
        self.writers = self.managers + self.reps
        self.counts["users"] = len(specs)
        self.say(f"users: {len(specs)} ({created} new), password {DEMO_PASSWORD!r}")

    # -- partners ---------------------------------------------------------------------------

    def partners(self) -> None:
        rng = self.rng
        n = self.p["partners"]
        kinds = list(PARTNER_SUFFIX)
        existing = (
            set(Partner._base_manager.values_list("name", flat=True)) if not self.fresh else set()
        )
        hq = [c for c, v in COUNTRIES.items() if v[3]]
        hq_w = [COUNTRIES[c][3] for c in hq]
        rows, self.partner_list = [], []
        first = self._ids(Partner, n)
        for k in range(n):
            kind = rng.choices(kinds, weights=(30, 25, 15, 15, 15))[0]
            while True:
                name = (
                    f"{rng.choice(PARTNER_HEADS)}{rng.choice(PARTNER_TAILS)} "
                    f"{rng.choice(PARTNER_SUFFIX[kind])}"
                )
                if name not in existing:
                    existing.add(name)
                    break
            country = rng.choices(hq, weights=hq_w)[0]
            since = self.start - rng.randint(0, 6 * 365) * DAY
            note = rng.choice(PARTNER_NOTES).format(
                country=country,
                year=time.gmtime(since).tm_year,
                industry=rng.choice(INDUSTRIES).label.lower(),
            )
            pid = first + k
            created = self.w.ts(since)
            website = f"https://www.{_slug(name, '-')}.{COUNTRIES[country][1]}"
            rows.append((pid, created, created, name, str(kind), website, country, note))
            self.partner_list.append((pid, name, kind))
        self.w.write(
            Partner,
            ("id", "created_at", "updated_at", "name", "kind", "website", "country", "notes"),
            rows,
        )
        # Heavy-tailed partner sizes: a few partners serve many accounts.
        self.partner_weights = [rng.paretovariate(1.2) for _ in range(n)]
        self.partner_names = {pid: name for pid, name, _ in self.partner_list}
        self.counts["partners"] = n

    # -- customers: names, trees, lifecycle -------------------------------------------------

    def plan_customers(self) -> None:
        rng, p = self.rng, self.p
        n, n_contacts = p["accounts"], p["contacts"]
        weights = [min(rng.lognormvariate(0, 1.1), 40.0) for _ in range(n)]
        contacts = _largest_remainder(weights, n_contacts, 2)
        hq = [c for c, v in COUNTRIES.items() if v[3]]
        hq_w = [COUNTRIES[c][3] for c in hq]
        ind_w = [i.weight for i in INDUSTRIES]
        stage_names = [s for s, _ in STAGES]
        stage_w = [w for _, w in STAGES]
        taken_names: set[str] = set()
        if not self.fresh:
            taken_names = set(Account.objects.filter(depth=1).values_list("name", flat=True))
        taken_domains: set[str] = set()
        customers = []
        for i in range(n):
            c = _Customer()
            c.industry = rng.choices(INDUSTRIES, weights=ind_w)[0]
            c.country = rng.choices(hq, weights=hq_w)[0]
            c.city = rng.choice(COUNTRIES[c.country][4][:10])
            c.n_contacts = contacts[i]
            c.name, c.core = self._company_name(c, taken_names)
            c.domain = self._domain(c, taken_domains)
            c.manager = rng.choice(self.writers) if rng.random() < 0.7 else rng.choice(self.reps)
            c.stage = rng.choices(stage_names, weights=stage_w)[0]
            self._lifecycle(c)
            self._tree(c)
            customers.append(c)
        # Roots in name order (treebeard's node_order_by = ["name"]), appended after any
        # roots already present.
        customers.sort(key=lambda c: c.name)
        last_root = (
            Account.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
        )
        offset = Account._str2int(last_root) if last_root else 0
        next_id = self._ids(Account, sum(len(c.units) for c in customers))
        steplen = Account.steplen
        pad = Account.alphabet[0]
        for seq, c in enumerate(customers):
            c.seq = offset + seq + 1  # unique over all roots, so ERP ids are too
            key = Account._int2str(offset + seq + 1)
            c.root.path = pad * (steplen - len(key)) + key
            ordered: list[_Unit] = []
            stack = [c.root]
            while stack:  # depth-first, children in name order: ids follow the path order
                u = stack.pop()
                u.id = next_id
                next_id += 1
                u.idx = len(ordered)
                ordered.append(u)
                u.children.sort(key=lambda x: x.name)
                for j, ch in enumerate(u.children):
                    key = Account._int2str(j + 1)
                    ch.path = u.path + pad * (steplen - len(key)) + key
                stack.extend(reversed(u.children))
            for u in ordered:
                u.div = u if u.depth <= 2 else u.parent.div  # type: ignore[union-attr]
            c.units = ordered
        self.customers = customers
        # Interactions: heavy-tailed over customers, a few hold much of the history.
        activity = []
        for c in customers:
            span = max(c.win_end - c.win_start, DAY) / (HISTORY_DAYS * DAY)
            activity.append(
                rng.lognormvariate(0, 0.8) * c.n_contacts * STAGE_ACTIVITY[c.stage] * span**0.7
            )
        # Soften the very largest (beyond ~3 % of all) so that no customer dominates.
        cap = 0.03 * sum(activity)
        activity = [a if a <= cap else cap * (1 + math.log(a / cap)) for a in activity]
        for c, k in zip(customers, _largest_remainder(activity, p["interactions"], 1), strict=True):
            c.n_interactions = k
        self.say(
            f"planned {n:,} customers with {sum(len(c.units) - 1 for c in customers):,} "
            f"units, {n_contacts:,} contacts, {p['interactions']:,} interactions"
        )

    def _company_name(self, c: _Customer, taken: set[str]) -> tuple[str, str]:
        rng = self.rng
        ind, country = c.industry, c.country
        loc = COUNTRIES[country][0]
        cities = list(COUNTRIES[country][4]) + self.names.cities(loc)
        last_names = self.names.last(loc)
        forms = LEGAL_FORMS.get(country, ("Ltd",))
        for attempt in range(60):
            town = c.city
            if ind.key in ("public", "education"):
                core = town = rng.choice(cities)
                if attempt >= 20:
                    core = f"{rng.choice(QUALIFIERS)} {core}"
                suffix = rng.choice(ind.suffixes)
                if ind.key == "education" and suffix in ("University", "Institute of Technology"):
                    name = f"{suffix} of {core}" if rng.random() < 0.5 else f"{core} {suffix}"
                elif ind.key == "public" and country == "United States" and rng.random() < 0.5:
                    core = f"{rng.choice(last_names)} County"
                    name = f"{core} {suffix}"
                else:
                    name = f"{core} {suffix}"
            else:
                r = rng.random()
                if r < 0.35:
                    core = rng.choice(last_names)
                elif r < 0.45:
                    a, b = rng.sample(last_names, 2)
                    core = f"{a} & {b}"
                elif r < 0.85:
                    core = rng.choice(CORE_HEADS) + rng.choice(CORE_TAILS)
                else:
                    core = rng.choice(PLACE_CORES)
                if attempt >= 30:
                    core = f"{core} {rng.choice(cities)}"
                name = f"{core} {rng.choice(ind.suffixes)} {rng.choice(forms)}"
            if name not in taken and len(name) <= 120:
                taken.add(name)
                c.city = town  # a city's authority or university sits in that city
                return name, core
        k = 2
        while f"{name} {k}" in taken:
            k += 1
        taken.add(f"{name} {k}")
        return f"{name} {k}", core

    def _domain(self, c: _Customer, taken: set[str]) -> str:
        tld = COUNTRIES[c.country][1]
        words = _slug(c.name.replace(c.core, "").strip(), "-").split("-")
        core = _slug(c.core, "-")
        base = f"{core}-{words[0]}" if words and words[0] else core
        for cand in (base, base.replace("-", ""), f"{base}-group", f"{core}-{c.industry.key}"):
            if cand and f"{cand}.{tld}" not in taken:
                taken.add(f"{cand}.{tld}")
                return f"{cand}.{tld}"
        k = 2
        while f"{base}{k}.{tld}" in taken:
            k += 1
        taken.add(f"{base}{k}.{tld}")
        return f"{base}{k}.{tld}"

    def _lifecycle(self, c: _Customer) -> None:
        rng = self.rng
        stage = c.stage
        legacy = stage in ("customer", "at_risk", "dormant") and rng.random() < 0.5
        sales = ["prospect", "lead", "opportunity", "customer"]
        if stage == "prospect":
            path = ["prospect"]
        elif stage == "lead":
            path = ["prospect", "lead"]
        elif stage == "opportunity":
            path = ["prospect", "lead", "opportunity"]
        elif stage == "lost" and rng.random() < 0.4:
            path = ["prospect", "lead", "opportunity", "lost"]
        else:
            path = ["customer"] if legacy else list(sales)
            if stage == "customer" and rng.random() < 0.12:
                path += ["at_risk", "customer"]
            elif stage == "at_risk":
                path += ["at_risk"]
            elif stage == "dormant":
                path += ["at_risk", "dormant"] if rng.random() < 0.4 else ["dormant"]
            elif stage == "lost":
                path += ["at_risk", "lost"]
        gaps = {
            "lead": (14, 120),
            "opportunity": (20, 150),
            "customer": (30, 200),
            "at_risk": (90, 500),
            "dormant": (60, 300),
            "lost": (20, 200),
        }
        end_back = {
            "prospect": (3, 300),
            "lead": (3, 240),
            "opportunity": (3, 200),
            "customer": (30, 800),
            "at_risk": (3, 200),
            "dormant": (40, 400),
            "lost": (10, 600),
        }[stage]
        t_end = self.anchor - rng.randint(*end_back) * DAY - rng.randint(8, 18) * 3600
        times = [t_end]
        for s in reversed(path[1:]):
            times.append(times[-1] - rng.randint(*gaps[s]) * DAY)
        times.reverse()
        t_first = self.start + rng.randint(0, 10) * DAY + rng.randint(8, 17) * 3600
        free = 0
        if legacy:  # a customer from before the three years, imported at their start
            times[0] = t_first
            free = 1
        lower = t_first + (30 * DAY if legacy else 0)
        if free < len(times) and times[free] < lower:
            # squeeze the history into the three years, keeping its order
            t0 = times[free]
            for k in range(free, len(times)):
                times[k] = lower + (times[k] - t0) * (t_end - lower) // max(t_end - t0, 1)
        c.stages = list(zip(path, times, strict=True))
        c.created = times[0] - rng.randint(0, 20) * DAY if not legacy else self.start
        c.win_start = times[0]
        c.presale = "customer" not in path
        if stage == "dormant":
            c.win_end = min(self.anchor - DAY, times[-1] + 20 * DAY)
        elif stage == "lost":
            c.win_end = min(self.anchor - DAY, times[-1] + 10 * DAY)
        else:
            c.win_end = self.anchor - 3600
        c.win_end = max(c.win_end, c.win_start + DAY)
        c.trouble = next((t for s, t in c.stages if s in ("at_risk", "lost")), 0)
        c.trouble_end = self.anchor if stage != "customer" else c.trouble + 120 * DAY
        c.shape = {"customer": 0.85, "at_risk": 1.3, "dormant": 1.0, "lost": 1.0}.get(stage, 0.7)

    def _tree(self, c: _Customer) -> None:
        rng = self.rng
        n = c.n_contacts
        ind = c.industry
        root = _Unit(None, c.name, AccountKind.LEGAL_ENTITY, None, "root", c.city, c.country)
        c.units = [root]
        used_cities = {c.city}
        group_level = False

        def add(
            parent: _Unit,
            name: str,
            kind: str,
            func: str | None,
            family: str,
            city: str,
            country: str,
        ) -> _Unit:
            u = _Unit(parent, name, kind, func, family, city, country)
            parent.children.append(u)
            c.units.append(u)
            return u

        def dept(parent: _Unit, func: str) -> _Unit:
            name = rng.choice(FUNCTIONS[func]["names"])
            if group_level and parent.depth == 1 and rng.random() < 0.6:
                name = f"Group {name}"  # a corporate function beside the divisions
            return add(
                parent, name, AccountKind.DEPARTMENT, func, "dept", parent.city, parent.country
            )

        def site(parent: _Unit, country: str) -> _Unit | None:
            loc = COUNTRIES[country][0]
            cities = [
                x for x in (*COUNTRIES[country][4], *self.names.cities(loc)) if x not in used_cities
            ]
            if not cities:
                return None
            city = rng.choice(cities)
            used_cities.add(city)
            name = rng.choice(SITE_FAMILIES[ind.site]["names"]).format(city=city)
            c.sites.append(name)
            return add(parent, name, AccountKind.SITE, None, ind.site, city, country)

        def teams(parent: _Unit) -> None:
            if parent.kind == AccountKind.SITE:
                names = SITE_FAMILIES[parent.family]["teams"]
            else:
                names = FUNCTIONS[parent.func]["teams"]  # type: ignore[index]
            for name in rng.sample(names, min(len(names), rng.randint(2, 3))):
                add(
                    parent,
                    name,
                    AccountKind.DEPARTMENT,
                    TEAM_FUNCS.get(name, parent.func),
                    "team",
                    parent.city,
                    parent.country,
                )

        if n < 8:
            pass
        elif n < 25:
            funcs = ["procurement", "finance", "it", *ind.ops]
            k = 2 + (n >= 14) + (n >= 18 and rng.random() < 0.5)
            for f in rng.sample(list(dict.fromkeys(funcs)), k):
                dept(root, f)
            if rng.random() < 0.4:
                site(root, c.country)
        else:
            big = n >= 120
            n_div = min(7, 3 + n // 180) if big else 2 + (n >= 60)
            kinds: list[str] = []
            if rng.random() < (0.75 if big else 0.5):
                kinds.append("shared")
            regions: list[str] = []
            if big and rng.random() < 0.5:
                regions = rng.sample(list(REGIONS), rng.randint(1, 2))
            kinds += ["region"] * len(regions)
            lines = rng.sample(ind.divisions, min(len(ind.divisions), max(1, n_div - len(kinds))))
            kinds += ["line"] * len(lines)
            for kind in kinds:
                if kind == "shared":
                    d = add(
                        root,
                        rng.choice(("Group Functions", "Corporate Services", "Shared Services")),
                        AccountKind.DIVISION,
                        None,
                        "division",
                        c.city,
                        c.country,
                    )
                    for f in rng.sample(SHARED_FUNCTIONS, rng.randint(3, 5 if big else 4)):
                        dept(d, f)
                elif kind == "region":
                    region = regions.pop()
                    countries = REGIONS[region]
                    d = add(root, region, AccountKind.DIVISION, None, "division", "", countries[0])
                    for _ in range(rng.randint(2, 3)):
                        s = site(d, rng.choice(countries))
                        if s and d.city == "":
                            d.city, d.country = s.city, s.country
                    dept(d, "sales")
                else:
                    d = add(
                        root, lines.pop(), AccountKind.DIVISION, None, "division", c.city, c.country
                    )
                    for _ in range(rng.randint(1, 3 if big else 2)):
                        site(
                            d,
                            c.country
                            if rng.random() < 0.8
                            else rng.choice([x for x, v in COUNTRIES.items() if v[3]]),
                        )
                    for f in rng.sample(ind.ops, min(len(ind.ops), rng.randint(1, 3))):
                        dept(d, f)
            if "shared" not in kinds:
                group_level = ind.key not in ("public", "education")
                for f in rng.sample(("procurement", "finance"), rng.randint(1, 2)):
                    dept(root, f)
            if big:
                for u in list(c.units):
                    if u.depth == 3 and rng.random() < (0.5 if u.kind == AccountKind.SITE else 0.3):
                        teams(u)
        # Make sibling names unique (Group Procurement twice, same plant name twice).
        for u in c.units:
            seen: dict[str, int] = {}
            for ch in u.children:
                if ch.name in seen:
                    seen[ch.name] += 1
                    ch.name = (
                        f"{ch.name} {ch.city}"
                        if ch.city and ch.city not in ch.name
                        else f"{ch.name} {seen[ch.name]}"
                    )
                seen.setdefault(ch.name, 1)
        self._allocate(c)

    def _allocate(self, c: _Customer) -> None:
        """Spread the customer's contacts over its units: leaders first, then staff."""
        rng = self.rng
        n = c.n_contacts
        units = c.units
        root = units[0]
        if len(units) == 1:
            root.n_lead = min(n, 1 + (n >= 3) + (n >= 6))
            root.n_staff = n - root.n_lead
        else:
            root.n_lead = 1 if n < 12 else 2 if n < 25 else min(6, 2 + n // 80)
            for u in units[1:]:
                if u.kind == AccountKind.DIVISION:
                    u.n_lead = 1 + (n >= 150) + (n >= 400)
                else:
                    u.n_lead = 1
            over = sum(u.n_lead for u in units) - n
            if over > 0:
                droppable = [u for u in units[1:] if u.kind != AccountKind.DIVISION]
                droppable.sort(key=lambda u: -u.depth)
                for u in droppable[:over]:
                    u.n_lead = 0
                over = sum(u.n_lead for u in units) - n
                for u in units[1:]:
                    if over <= 0:
                        break
                    take = min(u.n_lead, over)
                    u.n_lead -= take
                    over -= take
            spare = n - sum(u.n_lead for u in units)
            base: dict[str, float] = {
                AccountKind.LEGAL_ENTITY: 0.5,
                AccountKind.DIVISION: 0.4,
                AccountKind.DEPARTMENT: 2.0,
                AccountKind.SITE: 3.0,
            }
            w = [
                base[u.kind] * (0.75 if u.family == "team" else 1.0) * rng.uniform(0.5, 1.5)
                for u in units
            ]
            for u in rng.choices(units, weights=w, k=spare):
                u.n_staff += 1
        # Employees: heavy-tailed, larger with more known contacts.
        emp = n * rng.lognormvariate(math.log(45), 0.6)
        c.employees = _round_sig(max(emp, 8 + 3 * n))
        subtree: dict[int, int] = {}
        for u in reversed(units):
            subtree[id(u)] = u.n_lead + u.n_staff + sum(subtree[id(ch)] for ch in u.children)
        for u in units:
            share = subtree[id(u)] / max(n, 1)
            u.employees = (
                c.employees
                if u is root
                else _round_sig(max(3.0, c.employees * share * rng.uniform(0.7, 1.3)))
            )

    # -- writing accounts and lifecycle -------------------------------------------------------

    def accounts(self) -> None:
        self.plan_customers()
        self.write_accounts()

    def write_accounts(self) -> None:
        rng, w = self.rng, self.w
        fields = (
            "id",
            "path",
            "depth",
            "numchild",
            "name",
            "kind",
            "customer_id",
            "industry",
            "website",
            "country",
            "city",
            "employees",
            "description",
            "manager_id",
            "lifecycle_stage",
            "created_at",
            "updated_at",
        )
        lc_fields = (
            "id",
            "account_id",
            "customer_id",
            "stage",
            "previous_stage",
            "changed_at",
            "changed_by_id",
            "reason",
        )
        rows: list[tuple] = []
        lc_rows: list[tuple] = []
        n_changes = sum(len(c.stages) for c in self.customers)
        lc_id = self._ids(LifecycleChange, n_changes)
        for c in self.customers:
            ind = c.industry
            root_id = c.root.id
            created = c.created
            updated = max(t for _, t in c.stages)
            website = f"https://www.{c.domain}"
            line = rng.choice(ind.lines)
            desc = (
                f"{ind.label} company in {c.city}, {c.country}, focused on {line}; "
                f"about {c.employees:,} employees."
            )
            for u in c.units:
                t_created = created + (u.depth - 1) * rng.randint(0, 30) * DAY
                rows.append(
                    (
                        u.id,
                        u.path,
                        u.depth,
                        len(u.children),
                        u.name,
                        u.kind,
                        root_id,
                        ind.label,
                        website if u.depth == 1 else "",
                        u.country,
                        u.city,
                        u.employees,
                        desc if u.depth == 1 else "",
                        c.manager,
                        c.stage,
                        w.ts(t_created),
                        w.ts(max(updated, t_created)),
                    )
                )
            prev = ""
            for stage, t in c.stages:
                reasons = LIFECYCLE_REASONS.get((prev, stage), ("",))
                by = c.manager if rng.random() < 0.8 else rng.choice(self.writers)
                lc_rows.append(
                    (lc_id, root_id, root_id, stage, prev, w.ts(t), by, rng.choice(reasons))
                )
                lc_id += 1
                prev = stage
            if len(rows) >= ROW_BATCH:
                w.write(Account, fields, rows)
                rows = []
        w.write(Account, fields, rows)
        w.write(LifecycleChange, lc_fields, lc_rows)
        self.counts["accounts"] = len(self.customers)
        self.counts["units"] = sum(len(c.units) - 1 for c in self.customers)
        self.counts["lifecycle_changes"] = n_changes

    def partner_links(self) -> None:
        rng, w = self.rng, self.w
        n = len(self.customers)
        k = max(1, round(n * self.p["linked_pct"] / 100))
        linked = rng.sample(range(n), k)
        rows = []
        seen = set()
        next_id = self.next_id[PartnerLink]
        n_partners = len(self.partner_list)
        for j, ci in enumerate(linked):
            c = self.customers[ci]
            for extra in range(1 if rng.random() < 0.85 else 2):
                if j < n_partners and extra == 0:
                    pi = j  # every partner serves at least one account where possible
                else:
                    pi = rng.choices(range(n_partners), weights=self.partner_weights)[0]
                pid, _, kind = self.partner_list[pi]
                unit = c.root
                if len(c.units) > 1 and rng.random() < 0.2:
                    unit = rng.choice(c.units[1:])
                role = rng.choice(PARTNER_ROLES[kind])
                if (pid, unit.id, role) in seen:
                    continue
                seen.add((pid, unit.id, role))
                start = max(c.win_start - rng.randint(0, 400) * DAY, self.start - 5 * 365 * DAY)
                end = None
                if rng.random() < 0.1:
                    end = self.anchor - rng.randint(30, 500) * DAY
                    if end <= start + 60 * DAY:
                        end = None
                c.links.append((pid, start, end or self.anchor + DAY))
                created = w.ts(max(start, self.start))
                rows.append(
                    (
                        next_id,
                        created,
                        created,
                        pid,
                        unit.id,
                        c.root.id,
                        str(role),
                        w.day(start),
                        w.day(end) if end else None,
                    )
                )
                next_id += 1
        self.next_id[PartnerLink] = next_id
        w.write(
            PartnerLink,
            (
                "id",
                "created_at",
                "updated_at",
                "partner_id",
                "account_id",
                "customer_id",
                "role",
                "started_on",
                "ended_on",
            ),
            rows,
        )
        self.counts["partner_links"] = len(rows)

    # -- contacts, identities, employments, buying roles ------------------------------------

    def contacts(self) -> None:
        t0 = time.perf_counter()
        rng = self.rng
        self._c_rows: list[tuple] = []
        self._i_rows: list[tuple] = []
        self._e_rows: list[tuple] = []
        self._r_rows: list[tuple] = []
        self.counts.update(contacts=0, identities=0, employments=0, buying_roles=0)
        self._contact_id = self._ids(Contact, self.p["contacts"])
        n_customers = len(self.customers)
        bulk = self.p["contacts"] >= BULK_LOAD_MIN // 5
        tables = [Contact, ContactIdentity, Employment, BuyingRole]
        with _indexes_rebuilt_after(tables, self.say) if bulk else nullcontext():
            for c in self.customers:
                self._contacts_for(c, rng, n_customers)
                if len(self._c_rows) >= ROW_BATCH:
                    self._flush_contacts()
            self._flush_contacts()
        self.say(
            f"contacts: {self.counts['contacts']:,} with {self.counts['identities']:,} "
            f"identities, {self.counts['employments']:,} employments, "
            f"{self.counts['buying_roles']:,} buying roles "
            f"({time.perf_counter() - t0:.1f} s)"
        )

    def _flush_contacts(self) -> None:
        w = self.w
        w.write(
            Contact,
            (
                "id",
                "created_at",
                "updated_at",
                "customer_id",
                "account_id",
                "first_name",
                "last_name",
                "title",
                "reports_to_id",
                "status",
                "notes",
            ),
            self._c_rows,
        )
        w.write(
            ContactIdentity,
            (
                "id",
                "created_at",
                "updated_at",
                "contact_id",
                "customer_id",
                "kind",
                "value",
                "normalized",
                "is_primary",
            ),
            self._i_rows,
        )
        w.write(
            Employment,
            ("id", "contact_id", "account_id", "customer_id", "title", "started_on", "ended_on"),
            self._e_rows,
        )
        w.write(
            BuyingRole,
            (
                "id",
                "created_at",
                "updated_at",
                "contact_id",
                "account_id",
                "customer_id",
                "role",
                "influence",
                "attitude",
                "notes",
            ),
            self._r_rows,
        )
        self.counts["contacts"] += len(self._c_rows)
        self.counts["identities"] += len(self._i_rows)
        self.counts["employments"] += len(self._e_rows)
        self.counts["buying_roles"] += len(self._r_rows)
        self._c_rows, self._i_rows, self._e_rows, self._r_rows = [], [], [], []

    def _title(
        self, u: _Unit, lead_no: int | None, tree_depth: int, ind: _Industry, used: set[str]
    ) -> tuple[str, str]:
        """A title fitting the unit, and the buying kind (tech/buy/money/other)."""
        rng = self.rng
        if lead_no is not None:  # a leader of the unit
            if u.depth == 1:
                pool = SMALL_EXECS if tree_depth <= 2 else ind.execs
                if lead_no == 0:
                    title = pool[0]
                else:
                    rest = [t for t in pool[1:] if t not in used] or list(pool[1:])
                    title = rng.choice(rest)
                used.add(title)
            elif u.kind == AccountKind.DIVISION:
                if lead_no == 0:
                    title = f"{rng.choice(DIV_HEADS)}, {u.name}"
                else:
                    title = DIV_LEADS[(u.idx * 7 + lead_no) % len(DIV_LEADS)]
            elif u.kind == AccountKind.SITE:
                title = rng.choice(SITE_FAMILIES[u.family]["head"])
            elif u.family == "team":
                title = f"{u.name} Manager" if rng.random() < 0.7 else f"Team Lead {u.name}"
            else:
                title = rng.choice(FUNCTIONS[u.func]["head"])  # type: ignore[index]
        else:
            if u.depth == 1:
                title = rng.choice(SMALL_STAFF if tree_depth <= 2 else DIV_STAFF)
            elif u.kind == AccountKind.DIVISION:
                title = rng.choice(DIV_STAFF)
            elif u.kind == AccountKind.SITE or (u.family == "team" and u.func is None):
                fam = u.family if u.kind == AccountKind.SITE else u.parent.family  # type: ignore[union-attr]
                title = rng.choice(SITE_FAMILIES[fam]["staff"])
            else:
                title = rng.choice(FUNCTIONS[u.func]["staff"])  # type: ignore[index]
            if rng.random() < 0.12 and not title.startswith(("Senior", "Head", "Chief")):
                title = f"Senior {title}"
        return title, _buying_kind(title, u)

    def _contacts_for(self, c: _Customer, rng: random.Random, n_customers: int) -> None:
        rnd, w = self.rnd, self.w
        ind = c.industry
        root = c.root
        root_id = root.id
        tree_depth = max(u.depth for u in c.units)
        used_titles: set[str] = set()
        names = self.names
        hq_locales = self.hq_locales
        # members: (id, unit, level, title, buying kind, active, first, last)
        members: list[tuple] = []
        heads: dict[int, int] = {}  # unit idx -> member idx of its first leader
        erp_k = 0
        erp_prefix = rng.choice(("C", "K", "CRM-", "SAP-", "P"))
        erp_lower = rng.random() < 0.3
        for u in c.units:
            loc = COUNTRIES[u.country][0]
            for j in range(u.n_lead + u.n_staff):
                lead_no = j if j < u.n_lead else None
                title, bkind = self._title(u, lead_no, tree_depth, ind, used_titles)
                lc = loc if rnd() < 0.88 else hq_locales[int(rnd() * len(hq_locales))]
                fpool, lpool = names.first(lc), names.last(lc)
                first, last = fpool[int(rnd() * len(fpool))], lpool[int(rnd() * len(lpool))]
                cid = self._contact_id
                self._contact_id += 1
                mi = len(members)
                # Org chart: leaders report up the tree, staff to their unit's head.
                if lead_no == 0 and u.depth == 1:
                    boss = None
                elif lead_no is not None and lead_no > 0:
                    boss = heads.get(u.idx)
                else:
                    boss = None
                    anc = u.parent if lead_no == 0 else u
                    while anc is not None:
                        boss = heads.get(anc.idx)
                        if boss is not None:
                            if anc.depth == 1 and root.n_lead > 1 and rnd() < 0.5:
                                boss = int(rnd() * root.n_lead)  # another executive
                            break
                        anc = anc.parent
                if lead_no == 0:
                    heads[u.idx] = mi
                # Dates: most joined before the three years, some within; a few left.
                r = rnd()
                if r < 0.8:
                    start = self.anchor - int((3.2 + rnd() * 12) * 365) * DAY
                else:
                    start = self.anchor - int(30 + rnd() * (HISTORY_DAYS - 30)) * DAY
                end = None
                status = "active"
                if rnd() < 0.03 and not (lead_no == 0 and u.depth == 1):
                    status = "left"
                    end = max(start + 120 * DAY, self.anchor - int(20 + rnd() * 900) * DAY)
                    if end >= self.anchor:
                        end = self.anchor - DAY
                mover_from = None
                if rnd() < 0.02 and n_customers > 1 and status == "active":
                    mover_from = self.customers[int(rnd() * n_customers)]
                    if mover_from is c:
                        mover_from = None
                    else:
                        start = self.anchor - int(60 + rnd() * 840) * DAY
                created = min(max(c.created, start) + int(rnd() * 30) * DAY, self.anchor - 3600)
                boss_id = members[boss][0] if boss is not None else None
                notes = CONTACT_NOTES[int(rnd() * len(CONTACT_NOTES))] if rnd() < 0.05 else ""
                self._c_rows.append(
                    (
                        cid,
                        w.ts(created),
                        w.ts(max(created, end or 0)),
                        root_id,
                        u.id,
                        first,
                        last,
                        title,
                        boss_id,
                        status,
                        notes,
                    )
                )
                members.append((cid, u, lead_no, title, bkind, status == "active", first, last))
                c.pool.append((cid, u.idx, start, end or self.anchor + DAY, f"{first} {last}"))
                # Identities
                email = self._email(first, last, c.domain)
                value = email if rnd() < 0.8 else _capitalise_email(email)
                ident_ts = w.ts(created)
                iid = self._ids(ContactIdentity, 1)
                self._i_rows.append(
                    (iid, ident_ts, ident_ts, cid, root_id, "email", value, email, True)
                )
                if rnd() < 0.6:
                    phone, norm = self._phone(u.country)
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (iid, ident_ts, ident_ts, cid, root_id, "phone", phone, norm, True)
                    )
                if rnd() < 0.3:
                    erp_k += 1
                    erp = f"{erp_prefix}{c.seq:05d}-{erp_k:04d}"
                    if erp_lower:
                        erp = erp.lower()
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (iid, ident_ts, ident_ts, cid, root_id, "erp_id", erp, erp.upper(), True)
                    )
                # Employment (closed for those who left) and a previous one for movers.
                eid = self._ids(Employment, 1)
                self._e_rows.append(
                    (eid, cid, u.id, root_id, title, w.day(start), w.day(end) if end else None)
                )
                if mover_from is not None:
                    old = mover_from
                    old_unit = old.units[int(rnd() * len(old.units))]
                    old_end = start - int(rnd() * 60) * DAY
                    old_start = old_end - int((1.5 + rnd() * 6) * 365) * DAY
                    old_title = (
                        rng.choice(FUNCTIONS[old_unit.func]["staff"])
                        if old_unit.func
                        else rng.choice(SMALL_STAFF)
                    )
                    eid = self._ids(Employment, 1)
                    self._e_rows.append(
                        (
                            eid,
                            cid,
                            old_unit.id,
                            old.root.id,
                            old_title,
                            w.day(old_start),
                            w.day(old_end),
                        )
                    )
                    old_email = self._email(first, last, old.domain)
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (
                            iid,
                            ident_ts,
                            ident_ts,
                            cid,
                            root_id,
                            IdentityKind.EMAIL,
                            old_email,
                            old_email,
                            False,
                        )
                    )
                    old.alumni.append((cid, old_unit.idx, old_start, old_end, f"{first} {last}"))
        self._roles_for(c, members)

    def _email(self, first: str, last: str, domain: str) -> str:
        f, la = _slug(first, "-") or "info", _slug(last, "-") or "contact"
        for local in (f"{f}.{la}", f"{f[0]}.{la}", f"{f}.{la[0]}"):
            email = f"{local}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        k = 2
        while f"{f}.{la}{k}@{domain}" in self.emails:
            k += 1
        email = f"{f}.{la}{k}@{domain}"
        self.emails.add(email)
        return email

    def _phone(self, country: str) -> tuple[str, str]:
        cc = COUNTRIES[country][2]
        rng = self.rng
        while True:
            if cc == "1":
                value = (
                    f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(0, 9999):04d}"
                )
            else:
                area = str(rng.randint(2, 99) * (10 if rng.random() < 0.4 else 1))
                value = f"+{cc} {area} {rng.randint(100_000, 9_999_999)}"
            norm = "+" + "".join(ch for ch in value if ch.isdigit())
            if norm not in self.phones:
                self.phones.add(norm)
                return value, norm

    def _roles_for(self, c: _Customer, members: list[tuple]) -> None:
        """Buying roles: decision maker and approver at the top, evaluators in the
        divisions, end users in the departments; with deliberate gaps."""
        rng, rnd, w = self.rng, self.rnd, self.w
        root = c.root
        seen: set[tuple[int, int, str]] = set()
        rows = self._r_rows

        def add(
            m: tuple,
            unit: _Unit,
            role: str,
            influence: int,
            attitude: int | None = None,
            notes: str = "",
        ) -> None:
            key = (m[0], unit.id, role)
            if key in seen or not m[5]:
                return
            seen.add(key)
            if m[2] is None:  # staff weigh less than the people who lead units
                influence = min(influence, 3)
            if attitude is None:
                attitude = rng.choices((-2, -1, 0, 1, 2), weights=(2, 8, 45, 35, 10))[0]
            t = w.ts(min(c.created + int(rnd() * 400) * DAY, self.anchor - 3600))
            rid = self._ids(BuyingRole, 1)
            rows.append((rid, t, t, m[0], unit.id, root.id, str(role), influence, attitude, notes))

        active = [m for m in members if m[5]]
        if not active:
            return
        execs = [m for m in active if m[1] is root and m[2] is not None]
        br = BuyingRoleKind
        if execs:
            if rnd() < 0.9:
                add(
                    execs[0],
                    root,
                    br.DECISION_MAKER,
                    5 if rnd() < 0.7 else 4,
                    rng.choice((0, 1, 1, 2)),
                )
            money = [m for m in execs[1:] if m[4] == "money"]
            if money and rnd() < 0.85:
                add(money[0], root, br.APPROVER, rng.randint(4, 5))
            elif len(execs) == 1 and rnd() < 0.5:
                add(execs[0], root, br.APPROVER, 5)
            for m in execs[1:]:
                if m[4] == "buy":
                    add(m, root, br.PURCHASING, rng.randint(3, 4))
                elif m[4] == "tech":
                    add(m, root, br.SPECIFIER if rnd() < 0.6 else br.REVIEWER, rng.randint(3, 4))
                elif m[4] == "other" and rnd() < 0.5:
                    add(m, root, br.INFLUENCER, rng.randint(3, 4))
        by_div: dict[int, list[tuple]] = {}
        for m in active:
            by_div.setdefault(m[1].div.idx, []).append(m)
        for u in c.units:
            if u.depth != 2:
                continue
            group = by_div.get(u.idx, [])
            leads = [m for m in group if m[1] is u and m[2] is not None]
            heads = [m for m in group if m[1] is not u and m[2] == 0]
            others = [m for m in group if m[2] is None]
            if u.kind == AccountKind.DIVISION:
                if rnd() < 0.7:  # ~30 % of divisions have no known approver
                    money = (
                        [m for m in leads if m[4] == "money"]
                        or leads
                        or [m for m in heads if m[4] == "money"]
                    )
                    if money:
                        add(money[0], u, br.APPROVER, rng.randint(4, 5))
                if leads and rnd() < 0.35:
                    add(leads[0], u, br.DECISION_MAKER, rng.randint(4, 5))
            tech = [m for m in heads + leads[1:] if m[4] == "tech"]
            if tech and rnd() < 0.65:
                add(tech[int(rnd() * len(tech))], u, br.SPECIFIER, rng.randint(3, 4))
            pool = [m for m in heads + others if m[4] in ("tech", "money")]
            if pool and rnd() < 0.45:
                add(pool[int(rnd() * len(pool))], u, br.REVIEWER, rng.randint(2, 4))
            buyers = [m for m in heads + others if m[4] == "buy"]
            if buyers and rnd() < 0.75:
                add(buyers[int(rnd() * len(buyers))], u, br.PURCHASING, rng.randint(2, 3))
            for _ in range(2):
                cand = heads + others
                if cand and rnd() < 0.5:
                    add(cand[int(rnd() * len(cand))], u, br.INFLUENCER, rng.randint(2, 4))
        # End users: staff in departments, sites and teams (and in a one-node firm).
        for m in active:
            u = m[1]
            if m[2] is None and (
                (u.depth >= 2 and u.kind != AccountKind.DIVISION) or len(c.units) == 1
            ):
                p = 0.6 if m[4] == "tech" or u.kind == AccountKind.SITE else 0.4
                if rnd() < p:
                    add(m, u, br.END_USER, 1 if rnd() < 0.6 else 2)
                if len(c.units) == 1 and m[4] == "buy" and rnd() < 0.7:
                    add(m, u, br.PURCHASING, rng.randint(2, 3))
            elif m[2] == 0 and u.depth >= 3 and rnd() < 0.3:
                add(m, u, br.END_USER, 2)
        champion = None
        if len(active) >= 3 and rnd() < 0.65:
            cand = [m for m in active if m is not (execs[0] if execs else None)]
            champion = cand[int(rnd() * len(cand))]
            add(
                champion,
                champion[1].div,
                br.CHAMPION,
                rng.randint(3, 4) if champion[2] is not None else rng.randint(2, 3),
                2 if rnd() < 0.75 else 1,
                rng.choice(CHAMPION_NOTES),
            )
        if len(active) >= 6 and rnd() < 0.22:
            cand = [
                m
                for m in active
                if m[2] is not None and m is not champion and m is not (execs[0] if execs else None)
            ]
            if cand:
                b = cand[int(rnd() * len(cand))]
                add(
                    b,
                    b[1].div,
                    br.BLOCKER,
                    rng.randint(3, 5),
                    rng.choice((-2, -1)),
                    rng.choice(BLOCKER_NOTES),
                )

    # -- portal and partner users ----------------------------------------------------------

    def access_users(self) -> None:
        pw = User.objects.get(email=f"demo@{DEMO_DOMAIN}").password
        made = 0
        partner_email, portal_email = f"partner@{DEMO_DOMAIN}", f"portal@{DEMO_DOMAIN}"
        if self.partner_list and not User.objects.filter(email=partner_email).exists():
            first_partner = self.partner_list[0]  # the first partner always serves an account
            User(
                email=partner_email,
                full_name="Pat Partner",
                role=Role.PARTNER,
                partner_id=first_partner[0],
                password=pw,
            ).save()
            made += 1
        if not User.objects.filter(email=portal_email).exists():
            # The first customer (in name order) that buys from us and has units.
            c = next(
                (c for c in self.customers if c.stage == "customer" and len(c.units) > 1),
                self.customers[0],
            )
            User(
                email=portal_email,
                full_name="Polly Portal",
                role=Role.PORTAL,
                account_id=c.root.id,
                password=pw,
            ).save()
            made += 1
        self.counts["users"] += made

    # -- interactions ---------------------------------------------------------------------------

    def interactions(self) -> None:
        t0 = time.perf_counter()
        total = self.p["interactions"]
        self._ix: list[tuple] = []
        self._px: list[tuple] = []
        self.counts.update(interactions=0, participants=0)
        self._iid = self._ids(Interaction, total)
        self._pid = self.next_id[Participant]
        chan_pre = [(ch, wt[0]) for ch, wt in CHANNEL_WEIGHTS.items() if wt[0]]
        chan_cust = [(ch, wt[1]) for ch, wt in CHANNEL_WEIGHTS.items() if wt[1]]
        self._chans = {
            True: ([ch for ch, _ in chan_pre], list(accumulate(w for _, w in chan_pre))),
            False: ([ch for ch, _ in chan_cust], list(accumulate(w for _, w in chan_cust))),
        }
        self._tpls = {
            (ch, pre): [t for t in tpls if t[2] == "a" or t[2] == ("p" if pre else "c")]
            for ch, tpls in TEMPLATES.items()
            for pre in (True, False)
        }
        self._outcome_cum = {
            ch: tuple(list(accumulate(w)) for w in pair) for ch, pair in OUTCOME_WEIGHTS.items()
        }
        self.write_seconds = 0.0
        self._bg: _BackgroundWriter | None = None
        if total >= BULK_LOAD_MIN:
            # One transaction: drop the timeline indexes, load (writing on a second
            # thread while generating), build the indexes again.
            with transaction.atomic(), _indexes_rebuilt_after([Interaction, Participant], self.say):
                for model, fields in ((Interaction, IX_FIELDS), (Participant, PX_FIELDS)):
                    self.w._plan(model, fields)  # prepared here, on the main thread
                self._bg = _BackgroundWriter(self.w)
                try:
                    self._interactions_loop(t0, total)
                finally:
                    bg, self._bg = self._bg, None
                    bg.close()
                self.say(f"interactions written in the background in {bg.busy:.1f} s")
        else:  # small loads keep the indexes and commit per chunk
            self._interactions_loop(t0, total)

    def _interactions_loop(self, t0: float, total: int) -> None:
        done = 0
        for c in self.customers:
            self._interactions_for(c)
            c.pool = []  # no longer needed
            if len(self._ix) >= INTERACTION_CHUNK:
                done += self._flush_interactions()
                elapsed = time.perf_counter() - t0
                self.say(
                    f"interactions: {done:,} / {total:,} ({elapsed:.1f} s, "
                    f"{done / max(elapsed, 1e-9):,.0f}/s, {self.write_seconds:.1f} s waiting on writes)"
                )
        done += self._flush_interactions()
        self.say(
            f"interactions: {done:,} with {self.counts['participants']:,} participants "
            f"({time.perf_counter() - t0:.1f} s)"
        )

    def _flush_interactions(self) -> int:
        n = len(self._ix)
        if not n:
            return 0
        t0 = time.perf_counter()
        batch = [(Interaction, IX_FIELDS, self._ix), (Participant, PX_FIELDS, self._px)]
        if self._bg is not None:
            self._bg.submit(batch)
        else:
            with transaction.atomic():
                for model, fields, rows in batch:
                    self.w.write(model, fields, rows)
        self.write_seconds += time.perf_counter() - t0
        self.counts["interactions"] += n
        self.counts["participants"] += len(self._px)
        self._ix, self._px = [], []
        return n

    def _interactions_for(self, c: _Customer) -> None:
        n = c.n_interactions
        if n <= 0:
            return
        rng, rnd = self.rng, self.rnd
        ts = self.w.ts
        units = c.units
        pool = c.pool + c.alumni
        # Which contacts can take part in an interaction on a unit: its subtree's people.
        unit_pool: list[list[int]] = [[] for _ in units]
        for k, person in enumerate(pool):
            u: _Unit | None = units[person[1]]
            while u is not None:
                unit_pool[u.idx].append(k)
                u = u.parent
        all_pool = unit_pool[0]
        weights = [u.n_lead + u.n_staff + (2.0 if u.depth == 1 else 0.3) for u in units]
        chosen_units = rng.choices(units, weights=weights, k=n)
        chans, chan_cum = self._chans[c.presale]
        chan_total = chan_cum[-1]
        tpls, outcome_cum = self._tpls, self._outcome_cum
        ws, span, shape = c.win_start, c.win_end - c.win_start, c.shape
        anchor = self.anchor
        manager, writers = c.manager, self.writers
        links = c.links
        root_id = c.root.id
        trouble, trouble_end = c.trouble, c.trouble_end
        ix, px = self._ix, self._px
        iid, pid = self._iid, self._pid
        partner_names, user_names = self.partner_names, self.user_names
        hours, n_hours = _HOURS, len(_HOURS)
        for unit in chosen_units:
            t = ws + int(span * rnd() ** shape)
            day = t // DAY
            wd = (day + 3) % 7  # 0 = Monday
            if wd == 5:
                day -= 1
            elif wd == 6:
                day += 1 if (day + 2) * DAY < anchor else -2
            partner_id = None
            partner_name = ""
            if links and rnd() < 0.08:
                link = links[int(rnd() * len(links))]
                if link[1] <= t <= link[2]:
                    partner_id = link[0]
            if partner_id is not None and rnd() < 0.45:
                ch = "partner"
            else:
                ch = chans[bisect(chan_cum, rnd() * chan_total)]
            choices = tpls[(ch, c.presale)]
            subject_t, summary_t, _, direction = choices[int(rnd() * len(choices))]
            if (ch == "email" or ch == "call") and rnd() < 0.12:
                direction = "two_way"
            if ch in AUTOMATIC and ch != "email":
                t = day * DAY + int(rnd() * DAY)
            else:
                hour = hours[int(rnd() * n_hours)]
                minute = int(rnd() * 60) if ch == "email" else int(rnd() * 12) * 5
                t = day * DAY + hour * 3600 + minute * 60
            if t >= anchor:
                t = anchor - 1800 - int(rnd() * 6 * 3600)
            if t < ws:
                t = ws + int(rnd() * 3600)
            # Participants on the customer side: people of that unit (or the firm), employed then.
            m = (
                1
                if ch not in CONVERSATIONAL
                else (1 + (rnd() < 0.45) + (rnd() < (0.35 if ch == "meeting" else 0.15)))
            )
            cands = unit_pool[unit.idx]
            if len(cands) < m or rnd() < 0.15:
                cands = all_pool
            picked: list[tuple] = []
            n_cands = len(cands)
            for _ in range(m * 4):
                person = pool[cands[int(rnd() * n_cands)]]
                if person[2] <= t <= person[3] and person not in picked:
                    picked.append(person)
                    if len(picked) == m:
                        break
            if not picked:
                person = next(
                    (pool[k] for k in all_pool if pool[k][2] <= t <= pool[k][3]), pool[all_pool[0]]
                )
                picked.append(person)
            # Outcome
            oc = outcome_cum[ch][0 if direction == "outbound" else 1]
            outcome = OUTCOMES[bisect(oc, rnd() * oc[-1])]
            if trouble and trouble - 90 * DAY < t < trouble_end and outcome and rnd() < 0.3:
                outcome = "negative"
            logged_by = manager if rnd() < 0.75 else writers[int(rnd() * len(writers))]
            if partner_id is not None:
                partner_name = partner_names[partner_id]
            s = _Slots(contact=picked[0][4], unit=unit.name, rep=user_names[logged_by])
            s.gen, s.cust, s.unit, s.t, s.outcome, s.partner = (
                self,
                c,
                unit,
                t,
                outcome,
                partner_name,
            )
            subject = subject_t.format_map(s)
            summary = summary_t.format_map(s)
            if outcome and ch in CONVERSATIONAL:
                sentences = OUTCOME_SENTENCES.get(ch, SALES_OUTCOMES)[outcome]
                summary = f"{summary} {sentences[int(rnd() * len(sentences))].format_map(s)}"
            next_step = ""
            if (ch in CONVERSATIONAL and rnd() < 0.62) or (ch == "web" and rnd() < 0.25):
                steps = NEXT_STEPS.get(ch, SALES_STEPS)
                next_step = steps[int(rnd() * len(steps))].format_map(s)
            if ch in AUTOMATIC:
                created = t + int(rnd() * 120)
            else:
                created = t + 600 + int(rnd() ** 2 * 2 * DAY)
            if created > anchor:
                created = anchor
            occ, cts = ts(t), ts(created)
            ix.append(
                (
                    iid,
                    cts,
                    cts,
                    root_id,
                    unit.id,
                    ch,
                    direction,
                    occ,
                    subject,
                    summary,
                    outcome,
                    next_step,
                    partner_id,
                    logged_by,
                )
            )
            for person in picked:
                px.append((pid, iid, root_id, "customer", person[0], None, occ))
                pid += 1
            px.append((pid, iid, root_id, "us", None, logged_by, occ))
            pid += 1
            iid += 1
        self._iid, self._pid = iid, pid

    # -- roll-ups -------------------------------------------------------------------------

    def rollups(self) -> None:
        t0 = time.perf_counter()
        qn = connection.ops.quote_name
        acc, itx = qn(Account._meta.db_table), qn(Interaction._meta.db_table)
        con, par = qn(Contact._meta.db_table), qn(Participant._meta.db_table)
        br = qn(BuyingRole._meta.db_table)
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                for m in (Account, Contact, BuyingRole, Interaction, Participant):
                    cur.execute(f"ANALYZE {qn(m._meta.db_table)}")
            cur.execute(
                f"UPDATE {acc} SET interaction_count = s.n, last_interaction_at = s.last "
                f"FROM (SELECT account_id AS aid, COUNT(*) AS n, MAX(occurred_at) AS last "
                f"FROM {itx} WHERE deleted_at IS NULL GROUP BY account_id) AS s "
                f"WHERE {acc}.id = s.aid"
            )
            cur.execute(
                f"UPDATE {con} SET last_engaged_at = s.last "
                f"FROM (SELECT contact_id AS cid, MAX(occurred_at) AS last FROM {par} "
                f"WHERE contact_id IS NOT NULL GROUP BY contact_id) AS s "
                f"WHERE {con}.id = s.cid"
            )
            cur.execute(
                f"UPDATE {br} SET last_engaged_at = c.last_engaged_at FROM {con} AS c "
                f"WHERE {br}.contact_id = c.id AND c.last_engaged_at IS NOT NULL"
            )
            sql = connection.ops.sequence_reset_sql(
                no_style(),
                [
                    Account,
                    LifecycleChange,
                    Contact,
                    ContactIdentity,
                    Employment,
                    BuyingRole,
                    Partner,
                    PartnerLink,
                    Interaction,
                    Participant,
                ],
            )
            for stmt in sql:
                cur.execute(stmt)
        self.say(f"roll-up counters set ({time.perf_counter() - t0:.1f} s)")

    # -- threads and commitments (X2) ------------------------------------------------------

    def threads_and_commitments(self) -> None:
        """What a team would have open now: for the last months' interactions with a next
        step, one thread per unit and one commitment per such interaction (mostly ours, due
        one to three weeks later; the older ones mostly done, some late, a few cancelled)."""
        t0 = time.perf_counter()
        ts, day = self.w.ts, self.w.day
        rnd = self.rnd
        since = datetime.fromtimestamp(self.anchor - THREAD_WINDOW_DAYS * DAY, UTC)
        recent = (
            Interaction.objects.filter(occurred_at__gte=since)
            .exclude(next_step="")
            .order_by("account_id", "occurred_at", "id")
            .values_list(
                "id",
                "customer_id",
                "account_id",
                "occurred_at",
                "logged_by_id",
                "next_step",
                "subject",
            )
        )
        threads: list[tuple] = []
        commitments: list[tuple] = []
        members: dict[int, list[int]] = {}
        tid = (Thread.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        cid = (Commitment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        current: tuple | None = None
        last: tuple | None = None

        def close_thread() -> None:
            if current is None or last is None:
                return
            at = int(last[3].timestamp())
            opened = int(current[3].timestamp())
            is_open = at >= self.anchor - THREAD_OPEN_DAYS * DAY
            threads.append(
                (
                    current[7], ts(opened), ts(at), current[1], current[2],
                    f"Follow-up: {current[6]}"[:200], "open" if is_open else "closed",
                    current[4], None if is_open else ts(min(at + 14 * DAY, self.anchor)),
                    last[0], ts(at),
                )
            )  # fmt: skip

        for row in recent.iterator(chunk_size=ROW_BATCH):
            if current is None or row[2] != current[2]:
                close_thread()
                current, tid = (*row, tid), tid + 1
            last = row
            members.setdefault(current[7], []).append(row[0])
            made = int(row[3].timestamp())
            due = made + (7 + int(rnd() * 15)) * DAY
            ours = rnd() < 0.7
            status, done_at, done_by = "open", None, None
            if due < self.anchor - 3 * DAY:
                roll = rnd()
                if roll < 0.05:
                    status, done_at = "cancelled", ts(due - DAY)
                elif roll < 0.9:
                    # Most are kept; one in five of the kept ones a few days late.
                    late = int(rnd() * 6) * DAY if rnd() < 0.2 else -int(rnd() * 5) * DAY
                    status, done_at = "done", ts(min(due + late, self.anchor - 3600))
                if status != "open":
                    done_by = row[4] if ours else None
            commitments.append(
                (
                    cid, ts(made), ts(made), row[1], row[2], row[0], current[7],
                    "us" if ours else "customer", row[4] if ours else None,
                    row[5][:500], day(due), status, done_at, done_by, row[4],
                )
            )  # fmt: skip
            cid += 1
        close_thread()
        for start in range(0, len(threads), ROW_BATCH):
            self.w.write(Thread, TH_FIELDS, threads[start : start + ROW_BATCH])
        for start in range(0, len(commitments), ROW_BATCH):
            self.w.write(Commitment, CM_FIELDS, commitments[start : start + ROW_BATCH])
        for thread_id, interaction_ids in members.items():
            Interaction.all_objects.filter(pk__in=interaction_ids).update(thread_id=thread_id)
        with connection.cursor() as cur:
            for stmt in connection.ops.sequence_reset_sql(no_style(), [Thread, Commitment]):
                cur.execute(stmt)
        self.counts.update(threads=len(threads), commitments=len(commitments))
        self.say(
            f"threads: {len(threads):,}, commitments: {len(commitments):,} "
            f"({time.perf_counter() - t0:.1f} s)"
        )


STAGES = (
    ("customer", 58),
    ("prospect", 7),
    ("lead", 6),
    ("opportunity", 8),
    ("at_risk", 8),
    ("dormant", 6),
    ("lost", 7),
)
STAGE_ACTIVITY = {
    "prospect": 0.15,
    "lead": 0.3,
    "opportunity": 0.6,
    "customer": 1.0,
    "at_risk": 0.8,
    "dormant": 0.5,
    "lost": 0.4,
}
assert {s for s, _ in STAGES} == set(LifecycleStage.values)


def _buying_kind(title: str, unit: _Unit) -> str:
    t = title.lower()
    if any(k in t for k in ("financ", "controller", "controlling", "accountant", "treasury")):
        return "money"
    if any(k in t for k in ("procurement", "purchasing", "buyer", "sourcing", "category")):
        return "buy"
    if any(
        k in t
        for k in (
            "engineer",
            "technical",
            "technology",
            "information",
            "it ",
            "maintenance",
            "operations",
            "quality",
            "production",
            "plant",
            "architect",
            "administrator",
            "technician",
            "digital",
        )
    ):
        return "tech"
    if unit.func:
        return FUNCTIONS[unit.func]["kind"]
    return "tech" if unit.kind == AccountKind.SITE else "other"


def _capitalise_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _match_keys_fill() -> None:
    """The bulk writer skips Contact/Account.save(): give the rows their blocking keys."""
    from rapport.resolution.runners import match_keys_fill

    match_keys_fill()


def generate(
    *,
    size: str = "small",
    seed: int = 42,
    flush: bool = False,
    progress: Callable[[str], None] | None = None,
    recompute: bool = True,
) -> dict[str, int]:
    """Generate demo data of the given size; returns the number of rows made per kind.

    ``flush`` first deletes all customer data (accounts, contacts, partners,
    interactions and everything that hangs off them, with their history rows) and the
    partner and portal users; staff users are kept and reused. ``recompute`` runs the
    value, tier and segment models at the end (with two past runs, for tier history).
    """
    say = progress or (lambda _msg: None)
    gen = _Generator(size, seed, say)
    t_start = time.perf_counter()
    saved_pragmas: dict[str, Any] = {}
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # For the load only: no fsync, a large page cache (random inserts into the
        # timeline indexes), temporary b-trees in memory.
        with connection.cursor() as cur:
            for pragma, value in (
                ("synchronous", 0),
                ("cache_size", -1_000_000),
                ("temp_store", 2),
            ):
                saved_pragmas[pragma] = cur.execute(f"PRAGMA {pragma}").fetchone()[0]
                cur.execute(f"PRAGMA {pragma} = {value}")
    try:
        if flush:
            _flush(say)
        elif (
            User.objects.filter(
                email__in=[f"partner@{DEMO_DOMAIN}", f"portal@{DEMO_DOMAIN}"]
            ).exists()
            and Account.objects.exists()
        ):
            raise DemoError("demo data is already present; run with flush=True (--flush)")

        def phase(name: str, fn: Callable[[], None]) -> None:
            t0 = time.perf_counter()
            with transaction.atomic():
                fn()
            say(f"{name} done in {time.perf_counter() - t0:.1f} s")

        with transaction.atomic():
            gen._load_state()
            gen.users()
        phase("partners", gen.partners)
        phase("accounts", gen.accounts)
        phase("partner links", gen.partner_links)
        phase("contacts", gen.contacts)
        phase("duplicate-check keys", _match_keys_fill)
        phase("portal and partner users", gen.access_users)
        gen.interactions()  # commits per chunk
        phase("roll-ups", gen.rollups)
        phase(
            "learning memory",
            lambda: gen.counts.update(demo_memory.generate(seed=seed, progress=say)),
        )
        phase("threads and commitments", gen.threads_and_commitments)
        phase(
            "orders, contracts, wallets and needs",
            lambda: gen.counts.update(demo_value.generate(seed=seed, progress=say)),
        )
        if recompute:
            gen.counts["model_runs"] = demo_value.recompute_with_history(say)
    finally:
        if saved_pragmas:
            with connection.cursor() as cur:
                for pragma, value in saved_pragmas.items():
                    cur.execute(f"PRAGMA {pragma} = {int(value)}")
    say(f"generated in {time.perf_counter() - t_start:.1f} s")
    order = (
        "users",
        "partners",
        "partner_links",
        "accounts",
        "units",
        "lifecycle_changes",
        "contacts",
        "identities",
        "employments",
        "buying_roles",
        "interactions",
        "participants",
        "threads",
        "commitments",
        "facts",
        "contradictions",
        "askings",
        "communication_preferences",
        "consents",
        "frequency_caps",
        "product_categories",
        "order_lines",
        "subscriptions",
        "wallet_estimates",
        "judgement_scores",
        "need_facts",
        "model_runs",
    )
    return {k: gen.counts.get(k, 0) for k in order}
