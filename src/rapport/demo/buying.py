"""Who buys in the value demo: product categories, needs profiles, one organisation's traits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rapport.offers.models import ProductCategory
from rapport.valuation.models import WalletSource

LINES_PER_ORGANISATION = 100  # large: 20,000 organisations -> 2,000,000 order lines
BATCH = 5_000
LINE_BATCH = 50_000
BULK_LOAD_MIN = 100_000  # from this many lines on, rebuild the order-line indexes after

# name: (description, cost of goods as a share of revenue, typical unit price, products)
CATEGORIES: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    "Hardware": (
        "Gateways, controllers, meters and industrial PCs",
        0.70, 900.0,
        ("Atlas Edge Gateway", "Vector Drive Controller", "Nova Energy Meter", "IPC-40 Panel PC"),
    ),
    "Sensors": (
        "Vibration, temperature and energy sensors",
        0.60, 180.0,
        ("Helix Vibration Sensor", "Helix Temperature Probe", "Nova Clamp-on Meter",
         "Helix Wireless Node"),
    ),
    "Software licences": (
        "Perpetual and term licences per seat or site",
        0.15, 240.0,
        ("Atlas Asset Monitor licence", "Meridian Analytics licence", "Meridian Mobile seat",
         "Atlas Site licence"),
    ),
    "Cloud services": (
        "Hosted Meridian and Nova, data retention, API access",
        0.40, 400.0,
        ("Meridian Cloud hosting", "Nova Energy Dashboard (SaaS)", "Data retention add-on",
         "Reporting API access"),
    ),
    "Maintenance & support": (
        "Service contracts, extended support hours, remote monitoring",
        0.38, 1_500.0,
        ("Orion Service Contract", "Extended support hours", "Remote monitoring service",
         "On-site service visit"),
    ),
    "Consulting": (
        "Rollout, integration and energy consulting (days)",
        0.62, 1_200.0,
        ("Rollout consulting", "ERP integration project", "Energy audit",
         "OT security assessment"),
    ),
    "Installation": (
        "Installation, retrofit and commissioning on site",
        0.66, 900.0,
        ("Site installation", "Sensor retrofit", "Commissioning", "Network cabling"),
    ),
    "Training": (
        "Operator and administrator courses, workshops",
        0.45, 350.0,
        ("Operator training", "Administrator course", "Predictive maintenance workshop",
         "Train-the-trainer"),
    ),
    "Spare parts": (
        "Replacement parts for installed hardware",
        0.52, 60.0,
        ("Gateway power supply", "Sensor cable kit", "Controller fan module", "Display unit"),
    ),
    "Consumables": (
        "Batteries, mounting kits, calibration sets",
        0.68, 15.0,
        ("Battery pack", "Mounting kit", "Calibration set", "Cable ties and labels"),
    ),
}  # fmt: skip
CATEGORY_NAMES = list(CATEGORIES)
N_CAT = len(CATEGORY_NAMES)
# Contracts are sold in these categories: (name pattern, billing periods and their weights).
CONTRACT_CATEGORIES = {
    "Cloud services": ("Meridian Cloud, {n} assets", "Nova Energy Dashboard, {n} sites"),
    "Software licences": ("Atlas subscription, {n} seats", "Meridian Analytics, {n} users"),
    "Maintenance & support": (
        "Orion Service Contract, Gold",
        "Orion Service Contract, Silver",
        "Remote monitoring, {n} machines",
        "24/7 support plan",
    ),
}

# Latent needs profiles: per need attribute, the answers the profile gives and how often.
# Answers are drawn from the profile 80% of the time, uniformly otherwise.
NEEDS_PROFILES: list[dict[str, Any]] = [
    {
        "name": "uptime-critical operators",
        "weight": 0.30,
        "needs": {
            "need-uptime": {"mission-critical": 0.6, "high": 0.4},
            "need-support-hours": {"24/7": 0.8, "extended hours": 0.2},
            "need-cost-reduction": {"low": 0.5, "medium": 0.5},
            "need-sustainability": {False: 0.6, True: 0.4},
            "need-integration": {("SAP",): 0.6, ("SAP", "Oracle"): 0.4},
            "need-training": {"onboarding": 0.7, "none": 0.3},
        },
        # category weights (the mix they buy) and discount appetite
        "mix": {"Hardware": 3, "Sensors": 3, "Maintenance & support": 4, "Spare parts": 3,
                "Installation": 1, "Software licences": 1},
        "size": 1.4,
        "discount": 0.03,
    },
    {
        "name": "cost-driven buyers",
        "weight": 0.30,
        "needs": {
            "need-cost-reduction": {"high": 0.9, "medium": 0.1},
            "need-uptime": {"low": 0.5, "medium": 0.5},
            "need-support-hours": {"office hours": 0.9, "extended hours": 0.1},
            "need-sustainability": {False: 0.85, True: 0.15},
            "need-integration": {("Microsoft Dynamics",): 0.5, ("other",): 0.5},
            "need-training": {"none": 0.8, "onboarding": 0.2},
        },
        "mix": {"Hardware": 2, "Consumables": 4, "Spare parts": 3, "Sensors": 1},
        "size": 0.7,
        "discount": 0.10,
    },
    {
        "name": "sustainability and reporting",
        "weight": 0.22,
        "needs": {
            "need-sustainability": {True: 0.95, False: 0.05},
            "need-integration": {("SAP", "Workday"): 0.5, ("Salesforce", "Workday"): 0.5},
            "need-cost-reduction": {"medium": 0.7, "low": 0.3},
            "need-training": {"ongoing": 0.6, "onboarding": 0.4},
            "need-support-hours": {"extended hours": 0.7, "office hours": 0.3},
            "need-uptime": {"medium": 0.6, "high": 0.4},
        },
        "mix": {"Cloud services": 4, "Software licences": 3, "Consulting": 3, "Sensors": 2,
                "Training": 1},
        "size": 1.1,
        "discount": 0.04,
    },
    {
        "name": "growing and learning",
        "weight": 0.18,
        "needs": {
            "need-training": {"ongoing": 0.85, "onboarding": 0.15},
            "need-support-hours": {"extended hours": 0.6, "office hours": 0.4},
            "need-uptime": {"medium": 0.7, "high": 0.3},
            "need-integration": {("Salesforce",): 0.5, ("Microsoft Dynamics", "Salesforce"): 0.5},
            "need-cost-reduction": {"medium": 0.6, "high": 0.4},
            "need-sustainability": {False: 0.5, True: 0.5},
        },
        "mix": {"Training": 4, "Consulting": 3, "Software licences": 3, "Installation": 2,
                "Cloud services": 1},
        "size": 0.9,
        "discount": 0.05,
    },
]  # fmt: skip

BUYING_STAGES = ("customer", "at_risk", "dormant", "lost")

STRONG_REASONS = (
    "Reference customer in {industry}: prospects call them before they buy from us.",
    "Lighthouse site for the Nova energy line; the board watches this rollout.",
    "Group-wide framework agreement up for renewal next year; losing it loses six sites.",
    "Their CTO sits on our customer advisory board and shapes the roadmap.",
    "Gateway into {country}: first large customer there, partners follow their lead.",
    "Co-developing the predictive-maintenance module with us; joint case study planned.",
)
WEAK_REASONS = (
    "Buys on price only and goes to tender every year; little loyalty beyond the numbers.",
    "Announced a single-vendor strategy with a competitor; we are being phased out.",
    "High support load, low adoption: strategic value is below what the model says.",
)
WALLET_NOTES = {
    WalletSource.CUSTOMER_SAID: (
        "Said in the annual account review.",
        "Told us their budget for this area on a call.",
        "From the tender documents they shared.",
    ),
    WalletSource.REP_ESTIMATED: (
        "From the number of sites and the installed base.",
        "Rep's estimate from the competitor's share at the main plant.",
        "Scaled from a similar customer in the same industry.",
    ),
}


def day_iso(today: date, offset: int, cache: dict[int, str]) -> str:
    text = cache.get(offset)
    if text is None:
        text = cache[offset] = (today + timedelta(days=offset)).isoformat()
    return text


# What customers buy again and again: replenishment predicts these (services, licences
# and contracts are bought once or renewed, and say nothing about running out).
REPLENISHED = frozenset({"Hardware", "Sensors", "Spare parts", "Consumables"})


def categories() -> dict[str, int]:
    """The demo's product categories (made once; kept when customer data is flushed)."""
    existing = dict(ProductCategory.objects.values_list("name", "id"))
    missing = [
        ProductCategory(name=name, description=CATEGORIES[name][0], replenished=name in REPLENISHED)
        for name in CATEGORY_NAMES
        if name not in existing
    ]
    if missing:
        ProductCategory.objects.bulk_create(missing)
        existing = dict(ProductCategory.objects.values_list("name", "id"))
    return {name: existing[name] for name in CATEGORY_NAMES}


class Org:
    acquired: int
    categories: list[int]
    contacts: list[int]
    country: str
    discount: float
    dropout: float
    id: int
    industry: str
    interactions: int
    manager: int | None
    mix: list[float]
    profile: int
    rate: float
    size: float
    spend: float
    stage: str
    stop: int
    units: list[int]
    unprofitable: bool
    __slots__ = (
        "acquired",
        "categories",
        "contacts",
        "country",
        "discount",
        "dropout",
        "id",
        "industry",
        "interactions",
        "manager",
        "mix",
        "profile",
        "rate",
        "size",
        "spend",
        "stage",
        "stop",
        "units",
        "unprofitable",
    )

    def __init__(self, pk: int) -> None:
        self.id = pk
        self.units: list[int] = []
        self.contacts: list[int] = []
        self.unprofitable = False
        self.stop = 0
