"""The demo's product catalog: a few hundred products over the demo's categories, with options.

The catalog is ours, not a customer's: like the product categories it is made once and
kept when customer data is flushed, and it is the same whatever the seed (its prices come
from a fixed stream), so a catalog kept from an earlier run is the one a new run expects.
Products are named after the lines the rest of the demo talks about (Atlas, Meridian,
Helix, Nova, Orion, Vector); each family comes in variants, each variant is one SKU.
Some families are modular: option groups with a required single choice, optional extras
that exclude each other, options that need another, options only for some industries.
A few old variants are no longer sold (``active_until`` in the past), a few new ones
not yet (``active_from`` ahead).

Written in bulk: products with their first history entry, then groups, then options.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from simple_history.utils import bulk_create_with_history

from rapport.core.models import Role, User
from rapport.demo.buying import CATEGORIES, categories
from rapport.offers import configurator
from rapport.offers.models import Option, OptionGroup, Product

# Industries (as the demo's organisations name theirs) that options are only for.
EX_ZONES = ("Chemicals", "Energy", "Pharmaceuticals")
HYGIENIC = ("Food & Beverage", "Pharmaceuticals")
CLINICAL = ("Healthcare", "Pharmaceuticals")
REGULATED = ("Pharmaceuticals", "Healthcare", "Food & Beverage")
SOVEREIGN = ("Public Sector", "Financial Services", "Healthcare")
CLEANROOM = ("Pharmaceuticals", "Healthcare", "Food & Beverage")

# Training languages, by the customer's country.
LANGUAGES = {
    "Germany": "de", "Austria": "de", "Switzerland": "de", "France": "fr", "Belgium": "nl",
    "Netherlands": "nl", "Spain": "es", "Mexico": "es", "Italy": "it", "Poland": "pl",
    "Sweden": "sv",
}  # fmt: skip


def _g(
    code: str, name: str, low: int, high: int | None, options: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    return {"code": code, "name": name, "min_choices": low, "max_choices": high, "options": options}


def _o(code: str, name: str, price: float = 0, **rules: Sequence[str]) -> dict[str, Any]:
    return {"code": code, "name": name, "price": price, **rules}


HOSTING = _g(
    "hosting",
    "Hosting",
    1,
    1,
    [
        _o("on-prem", "On premises (your data centre)"),
        _o("eu-cloud", "EU cloud (Frankfurt)", 0),
        _o("global-cloud", "Global cloud", 0),
    ],
)

# Option structures of the modular families: groups as `offers.services.product_options_set`
# takes them. A required single choice is 1..1, optional extras 0..n.
STRUCTURES: dict[str, list[dict[str, Any]]] = {
    "gateway": [
        _g("connectivity", "Connectivity", 1, 1, [
            _o("lan", "Ethernet only"), _o("lte", "4G LTE modem", 180),
            _o("5g", "5G modem", 390)]),
        _g("power", "Power supply", 1, 1, [
            _o("psu-24", "24 V DC input"), _o("psu-230", "100-240 V AC supply", 45),
            _o("poe", "Power over Ethernet", 30)]),
        _g("housing", "Housing", 0, 1, [
            _o("ip67", "IP67 housing", 160),
            # Intrinsically safe: no mains inside a zone 2 housing.
            _o("atex", "ATEX zone 2 housing", 640, requires=["psu-24"], only_for=EX_ZONES)]),
        _g("extras", "Extras", 0, None, [
            _o("tpm", "TPM 2.0 security chip", 60),
            _o("hardened", "IEC 62443 hardened firmware", 220, requires=["tpm"]),
            _o("din-rail", "DIN-rail kit", 25, excludes=["wall-mount"]),
            _o("wall-mount", "Wall-mount kit", 25), _o("gps", "GPS receiver", 70)]),
    ],
    "drive": [
        _g("fieldbus", "Fieldbus", 1, 1, [
            _o("profinet", "PROFINET"), _o("ethercat", "EtherCAT"),
            _o("modbus-tcp", "Modbus TCP"), _o("ethernet-ip", "EtherNet/IP", 40)]),
        _g("extras", "Extras", 0, None, [
            _o("sto", "Safe Torque Off (STO)", 120),
            _o("brake-chopper", "Brake chopper", 95),
            _o("regen", "Regenerative supply unit", 640, excludes=["brake-chopper"]),
            _o("emc-c1", "EMC filter class C1", 85), _o("coating", "Conformal coating", 60)]),
    ],
    "meter": [
        _g("comms", "Communication", 1, 1, [
            _o("modbus-rtu", "Modbus RTU"), _o("mbus", "M-Bus"),
            _o("ethernet", "Ethernet (Modbus TCP)", 55)]),
        _g("certification", "Certification", 0, 1, [
            _o("mid", "MID certified for billing", 70)]),
        _g("extras", "Extras", 0, None, [
            _o("pulse", "Pulse outputs", 20), _o("remote-display", "Remote display", 90)]),
    ],
    "panelpc": [
        _g("cpu", "Processor", 1, 1, [
            _o("celeron", "Intel Celeron"), _o("i5", "Intel Core i5", 240),
            _o("i7", "Intel Core i7", 460)]),
        _g("memory", "Memory", 1, 1, [
            _o("8gb", "8 GB RAM"), _o("16gb", "16 GB RAM", 90),
            _o("32gb", "32 GB RAM", 210, requires=["i7"])]),
        _g("extras", "Extras", 0, None, [
            _o("glove-touch", "Glove-touch glass", 80),
            _o("stainless", "Stainless-steel front (IP69K)", 390, only_for=HYGIENIC),
            _o("wifi", "Wi-Fi module", 45),
            _o("vesa", "VESA arm mount", 35, excludes=["panel-mount"]),
            _o("panel-mount", "Panel-mount frame", 30)]),
    ],
    "tablet": [
        _g("connectivity", "Connectivity", 1, 1, [
            _o("wifi", "Wi-Fi"), _o("lte", "Wi-Fi and 4G LTE", 120)]),
        _g("accessories", "Accessories", 0, 3, [
            _o("vehicle-dock", "Vehicle dock", 210, excludes=["desk-dock"]),
            _o("desk-dock", "Desk dock", 140), _o("barcode", "Barcode scanner", 160),
            _o("hand-strap", "Hand strap", 25),
            _o("disinfect", "Disinfectant-ready housing", 95, only_for=CLINICAL)]),
    ],
    "server": [
        _g("storage", "Storage", 1, 1, [
            _o("ssd-1tb", "2 x 1 TB SSD (RAID 1)"), _o("ssd-4tb", "2 x 4 TB SSD (RAID 1)", 520)]),
        _g("extras", "Extras", 0, None, [
            _o("redundant-psu", "Redundant power supply", 180),
            _o("ups", "UPS module", 240, requires=["redundant-psu"]),
            _o("rack-kit", "19-inch rack kit", 60, excludes=["desk-stand"]),
            _o("desk-stand", "Desk stand", 40)]),
    ],
    "vibration": [
        _g("axes", "Axes", 1, 1, [_o("uniaxial", "Uniaxial"), _o("triaxial", "Triaxial", 140)]),
        _g("mounting", "Mounting", 1, 1, [
            _o("stud", "Stud mount"), _o("magnet", "Magnetic base", 18),
            _o("adhesive", "Adhesive pad", 6)]),
        _g("extras", "Extras", 0, None, [
            _o("ex-ia", "Ex ia certification", 190, requires=["stud"], only_for=EX_ZONES),
            _o("cable-10m", "10 m integral cable", 35, excludes=["m12"]),
            _o("m12", "M12 connector", 12)]),
    ],
    "probe": [
        _g("length", "Insertion length", 1, 1, [
            _o("50mm", "50 mm"), _o("100mm", "100 mm", 8), _o("250mm", "250 mm", 22)]),
        _g("extras", "Extras", 0, None, [
            _o("hygienic", "Hygienic sheath (EHEDG)", 65, only_for=HYGIENIC),
            _o("transmitter", "Head-mounted 4-20 mA transmitter", 48)]),
    ],
    "wireless": [
        _g("radio", "Radio", 1, 1, [
            _o("lorawan", "LoRaWAN"), _o("wirelesshart", "WirelessHART", 60),
            _o("ble", "Bluetooth LE")]),
        _g("battery", "Battery", 1, 1, [
            _o("standard", "Standard battery (5 years)"),
            _o("extended", "Extended-life battery (10 years)", 35)]),
    ],
    "software": [
        HOSTING,
        _g("add-ons", "Add-ons", 0, None, [
            _o("ha", "High-availability cluster", 2400, requires=["on-prem"]),
            _o("sso", "Single sign-on (SAML/OIDC)", 600), _o("api", "Reporting API", 900)]),
    ],
    "analytics": [
        HOSTING,
        _g("modules", "Modules", 0, None, [
            _o("predictive", "Predictive maintenance module", 120),
            _o("energy", "Energy reporting module", 60),
            _o("spc", "Quality SPC module", 80),
            _o("sso", "Single sign-on (SAML/OIDC)", 15),
            # Named, signed records need named users: single sign-on.
            _o("audit", "Audit trail (21 CFR Part 11)", 70, requires=["sso"],
               only_for=REGULATED)]),
    ],
    "mobile": [
        _g("platform", "Platform", 1, 1, [_o("android", "Android"), _o("ios", "iOS")]),
        _g("extras", "Extras", 0, None, [
            _o("offline", "Offline mode", 30), _o("mdm", "MDM enrolment", 12)]),
    ],
    "cloud": [
        _g("region", "Region", 1, 1, [
            _o("eu-fra", "EU (Frankfurt)"), _o("eu-dub", "EU (Dublin)"),
            _o("us", "US (Virginia)"), _o("apac", "APAC (Singapore)", 40)]),
        _g("backup", "Backup", 0, 1, [
            _o("backup-daily", "Daily backup, 30 days", 90),
            _o("backup-hourly", "Hourly backup, 90 days", 260)]),
        _g("extras", "Extras", 0, None, [
            _o("sovereign", "EU sovereign cloud", 350, excludes=["us", "apac"],
               only_for=SOVEREIGN),
            _o("private-link", "Private network link", 180),
            _o("sla-999", "99.9% availability SLA", 120)]),
    ],
    "service": [
        _g("coverage", "Coverage", 1, 1, [
            _o("office", "Office hours (Mon-Fri 8-18)"),
            _o("extended", "Extended hours (Mon-Sat 7-22)", 1800),
            _o("24-7", "24/7", 4200)]),
        _g("response", "Response time", 1, 1, [
            _o("nbd", "Next business day"), _o("8h", "8 hours", 900),
            _o("4h", "4 hours", 2100), _o("2h", "2 hours", 3900, requires=["24-7"])]),
        _g("extras", "Extras", 0, None, [
            _o("resident", "Resident engineer", 48000, requires=["24-7"]),
            _o("spares", "On-site spare stock", 2600),
            _o("remote", "Remote monitoring included", 1500)]),
    ],
    "training": [
        _g("language", "Language", 1, 1, [
            _o("en", "English"), _o("de", "German"), _o("fr", "French"), _o("nl", "Dutch"),
            _o("es", "Spanish"), _o("it", "Italian"), _o("pl", "Polish"),
            _o("sv", "Swedish")]),
        _g("delivery", "Delivery", 1, 1, [
            _o("onsite", "At your site", 150), _o("virtual", "Virtual classroom"),
            _o("academy", "At our academy (Hanover)")]),
        _g("extras", "Extras", 0, None, [
            _o("certificate", "Exam and certificate", 90),
            _o("recording", "Session recording", 40, requires=["virtual"])]),
    ],
    "install": [
        _g("shift", "Working hours", 1, 1, [
            _o("weekday", "Weekdays"), _o("night", "Night shift", 320),
            _o("weekend", "Weekend", 450)]),
        _g("extras", "Extras", 0, None, [
            _o("cleanroom", "Cleanroom-certified crew", 380, only_for=CLEANROOM),
            _o("ex-crew", "Ex-zone certified crew", 420, only_for=EX_ZONES),
            _o("lift", "Lifting platform", 260)]),
    ],
    "cable": [
        _g("connector", "Connector", 1, 1, [
            _o("straight", "Straight M12"), _o("angled", "Angled M12", 4)]),
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Family:
    """Products sold in variants: ``name`` and ``sku`` take the variant's label and code."""

    category: str
    sku: str  # "HW-AG-{v}"
    name: str  # "Atlas Edge Gateway AG-{v}"
    unit: str
    price: float  # list price of a variant whose factor is 1
    variants: tuple[tuple[str, str, float], ...]  # (code, label, price factor)
    description: str
    structure: str = ""  # a key of STRUCTURES
    retired: tuple[str, ...] = ()  # variant codes no longer sold
    coming: tuple[str, ...] = ()  # variant codes not sold yet


def _v(*specs: str | tuple[str, float]) -> tuple[tuple[str, str, float], ...]:
    """Variants from labels (factor 1) or (label, factor); the code is the label, cleaned."""
    out = []
    for spec in specs:
        label, factor = (spec, 1.0) if isinstance(spec, str) else spec
        # "1.5 kW" -> "1-5KW" (not "15KW", the 15 kW variant's)
        clean = label.upper().replace(".", "-")
        code = "".join(ch for ch in clean if ch.isalnum() or ch == "-")
        out.append((code[:16], label, factor))
    return tuple(out)


H, S, SW, CL = "Hardware", "Sensors", "Software licences", "Cloud services"
MS, CS, IN, TR = "Maintenance & support", "Consulting", "Installation", "Training"
SP, CO = "Spare parts", "Consumables"

FAMILIES: tuple[Family, ...] = (
    # Hardware
    Family(H, "HW-AG-{v}", "Atlas Edge Gateway AG-{v}", "piece", 690,
           _v(("100", 0.7), "200", ("400", 1.5), ("800", 2.4)),
           "Industrial edge gateway collecting machine and sensor data.", "gateway",
           retired=("100",)),
    Family(H, "HW-VD-{v}", "Vector Drive Controller {v}", "piece", 780,
           _v(("1.5 kW", 0.8), "2.2 kW", ("4 kW", 1.3), ("7.5 kW", 1.8), ("11 kW", 2.4),
              ("15 kW", 3.0), ("22 kW", 4.1)),
           "Variable-frequency drive controller for pumps, fans and conveyors.", "drive"),
    Family(H, "HW-NM-{v}", "Nova Energy Meter {v}", "piece", 240,
           _v(("E1 single-phase", 0.55), "E3 three-phase", ("E3 CT-operated", 1.2),
              ("E3 Pro four-quadrant", 1.9)),
           "Energy meter for sub-metering machines, lines and buildings.", "meter",
           retired=("E1SINGLE-PHASE",)),
    Family(H, "HW-IPC-{v}", "IPC-40 Panel PC {v}", "piece", 1_450,
           _v(("12 inch", 0.8), "15 inch", ("19 inch", 1.3), ("22 inch", 1.55),
              ("24 inch", 1.7)),
           "Fanless panel PC for the shop floor, front IP65.", "panelpc", retired=("22INCH",)),
    Family(H, "HW-IO-{v}", "Atlas I/O Module {v}", "piece", 210,
           _v("8 DI", ("16 DI", 1.4), "8 DO", ("16 DO", 1.45), ("4 AI", 1.3), ("8 AI", 1.9),
              ("4 AO", 1.4), ("8DI 8DO", 1.6)),
           "Remote I/O for the Atlas gateways."),
    Family(H, "HW-SW-{v}", "Atlas Industrial Switch {v}", "piece", 320,
           _v(("5-port", 0.6), "8-port", ("8-port PoE", 1.5), ("16-port managed", 2.6),
              ("24-port managed", 3.4)),
           "DIN-rail Ethernet switch for machine networks.", retired=("5-PORT",)),
    Family(H, "HW-TAB-{v}", "Meridian Field Tablet {v}", "piece", 1_290,
           _v(("T8", 0.8), "T10", ("T12", 1.25)),
           "Rugged tablet for field engineers, MIL-STD-810H.", "tablet"),
    Family(H, "HW-{v}", "Atlas Edge Server {v}", "piece", 3_900,
           _v(("ES-1", 0.75), "ES-2", ("ES-4", 1.6)),
           "On-site edge server for local analytics and buffering.", "server",
           retired=("ES-1",)),
    Family(H, "HW-{v}", "Nova Data Logger {v}", "piece", 460,
           _v("DL-4", ("DL-16", 1.8)), "Battery-buffered data logger for meters and sensors."),
    Family(H, "HW-ST-{v}", "Atlas Signal Tower {v}", "piece", 150,
           _v("3-tier", ("5-tier", 1.4)), "Networked signal tower for machine status."),
    Family(H, "HW-PLC-{v}", "Atlas PLC Controller {v}", "piece", 890,
           _v(("C1", 0.7), "C2", ("C3", 1.6)), "Compact PLC for retrofits, IEC 61131-3.",
           coming=("C3",)),
    # Sensors
    Family(S, "SN-{v}", "Helix Vibration Sensor {v}", "piece", 210,
           _v("VS-100", ("VS-200", 1.35), ("VS-300", 1.6)),
           "Accelerometer for condition monitoring of rotating machines (VS-200: low "
           "frequencies, VS-300: up to 180 °C).", "vibration"),
    Family(S, "SN-TP-{v}", "Helix Temperature Probe {v}", "piece", 68,
           _v("PT100", ("PT1000", 1.1), ("Type K thermocouple", 0.8),
              ("Type J thermocouple", 0.8)),
           "Resistance and thermocouple probes with M12 connection.", "probe",
           retired=("TYPEJTHERMOCOUPL",)),
    Family(S, "SN-CM-{v}", "Nova Clamp-on Meter {v}", "piece", 120,
           _v("100 A", ("400 A", 1.3), ("1000 A", 1.8), ("2000 A", 2.6)),
           "Split-core current clamp for non-invasive energy measurement."),
    Family(S, "SN-{v}", "Helix Wireless Node {v}", "piece", 175,
           _v(("WN-1", 0.85), "WN-2", ("WN-2X", 1.35)),
           "Battery-powered wireless node for two sensor inputs.", "wireless",
           retired=("WN-1",)),
    Family(S, "SN-PT-{v}", "Helix Pressure Transmitter {v}", "piece", 190,
           _v("0-1 bar", "0-10 bar", "0-40 bar", ("0-100 bar", 1.15), ("0-400 bar", 1.4)),
           "Piezoresistive pressure transmitter, 4-20 mA and IO-Link."),
    Family(S, "SN-HU-{v}", "Helix Humidity Sensor {v}", "piece", 95,
           _v("room", ("duct", 1.2), ("outdoor", 1.35)), "Humidity and temperature sensor."),
    Family(S, "SN-{v}", "Helix Oil Condition Sensor {v}", "piece", 640,
           _v("OC-1", ("OC-2", 1.5)), "Inline oil quality and wear-particle sensor.",
           retired=("OC-1",)),
    Family(S, "SN-{v}", "Helix Acoustic Leak Detector {v}", "piece", 880,
           _v("AL-1"), "Ultrasonic leak detector for compressed air and steam."),
    Family(S, "SN-FM-{v}", "Helix Flow Meter {v}", "piece", 520,
           _v(("DN15", 0.8), "DN25", ("DN50", 1.4), ("DN80", 1.9), ("DN100", 2.3)),
           "Electromagnetic flow meter for water, coolant and process media."),
    Family(S, "SN-CT-{v}", "Helix Current Transformer {v}", "piece", 38,
           _v("50 A", "100 A", ("250 A", 1.3), ("600 A", 1.8)),
           "Split-core current transformer for Nova meters."),
    Family(S, "SN-SP-{v}", "Helix Speed Sensor {v}", "piece", 85,
           _v("inductive", ("magnetic", 1.2)), "Shaft speed and position sensor."),
    Family(S, "SN-LV-{v}", "Helix Level Sensor {v}", "piece", 340,
           _v(("radar", 1.6), "ultrasonic", ("hydrostatic", 0.8)),
           "Level sensor for tanks and silos."),
    # Software licences
    Family(SW, "SW-AM-{v}", "Atlas Asset Monitor licence, {v}", "licence", 2_400,
           _v(("25 assets", 0.45), "100 assets", ("500 assets", 3.2), ("unlimited", 7.5)),
           "Condition monitoring of machines and assets, perpetual licence.", "software"),
    Family(SW, "SW-MA-{v}", "Meridian Analytics licence, {v}", "user", 240,
           _v(("Classic", 0.8), ("Standard", 0.75), "Professional", ("Enterprise", 1.6)),
           "Analytics and dashboards across sites, per named user.", "analytics",
           retired=("CLASSIC",)),
    Family(SW, "SW-MM-{v}", "Meridian Mobile seat, {v}", "seat", 96,
           _v("named user", ("shared device", 1.4)), "The Meridian app for phones and tablets.",
           "mobile"),
    Family(SW, "SW-AS-{v}", "Atlas Site licence, {v}", "site", 6_800,
           _v(("small site", 0.6), "medium site", ("large site", 1.7), ("campus", 2.8)),
           "All Atlas modules for one site, any number of assets.", "software"),
    Family(SW, "SW-NER-{v}", "Nova Energy Reporting module ({v})", "site", 1_900,
           _v("ISO 50001"), "Energy reporting and EnPI tracking per site."),
    Family(SW, "SW-OT-{v}", "Atlas OT Security Monitor, {v}", "licence", 4_200,
           _v(("50 devices", 0.5), "250 devices", ("1000 devices", 2.6)),
           "Passive OT network monitoring and asset inventory.", "software"),
    Family(SW, "SW-WO-{v}", "Meridian Work Orders module", "user", 55,
           _v("per user"), "Maintenance work orders linked to alarms."),
    Family(SW, "SW-ALM-{v}", "Atlas Alarm Management", "site", 2_300,
           _v("per site"), "Alarm shelving, escalation and EEMUA 191 reports."),
    Family(SW, "SW-SH-{v}", "Meridian Shift Handover", "user", 38,
           _v("per user"), "Digital shift logbook and handover."),
    Family(SW, "SW-RA-{v}", "Atlas Remote Access, {v}", "licence", 290,
           _v("per gateway"), "Secure remote access to machines through the gateway."),
    Family(SW, "SW-OEE-{v}", "Meridian OEE Dashboard, {v}", "licence", 1_150,
           _v("per line"), "OEE, downtime reasons and shift reports per production line."),
    Family(SW, "SW-SDK-{v}", "Atlas SDK, {v}", "licence", 3_500,
           _v("developer licence"), "SDK for custom apps on the Atlas gateway.",
           coming=("DEVELOPERLICENCE",)),
    Family(SW, "SW-SSO-{v}", "Single Sign-On connector ({v})", "site", 1_200,
           _v("SAML/OIDC"), "Connects Atlas and Meridian to the customer's identity provider."),
    # Cloud services
    Family(CL, "CL-MCH-{v}", "Meridian Cloud hosting, {v}", "month", 820,
           _v(("S", 0.5), "M", ("L", 2.0), ("XL", 3.8)),
           "Hosted Meridian, sized by assets and users, per month.", "cloud"),
    Family(CL, "CL-NED-{v}", "Nova Energy Dashboard (SaaS), {v}", "month", 390,
           _v(("Starter, 5 sites", 0.45), "Business, 20 sites", ("Enterprise, unlimited", 2.4)),
           "Hosted energy dashboard for every site, per month.", "cloud"),
    Family(CL, "CL-DR-{v}", "Data retention add-on, {v}", "month", 140,
           _v(("1 year", 0.5), "3 years", ("7 years", 1.8), ("10 years", 2.4)),
           "Longer retention of raw time series, per month.", retired=("1YEAR",)),
    Family(CL, "CL-API-{v}", "Reporting API access, {v}", "month", 260,
           _v(("Basic", 0.5), "Pro", ("Unlimited", 2.3)), "REST and OData access to reports."),
    Family(CL, "CL-BDR-{v}", "Backup and disaster recovery, {v}", "month", 310,
           _v("Standard", ("Premium", 1.9)), "Off-site backup and a warm standby."),
    Family(CL, "CL-DM-{v}", "Atlas Device Management, {v}", "month", 190,
           _v("100 devices", ("1000 devices", 5.5)),
           "Firmware rollout and configuration of gateways from the cloud."),
    Family(CL, "CL-PL-{v}", "Private network link, {v}", "month", 450,
           _v("100 Mbit/s", ("1 Gbit/s", 2.2)), "Private connection to the Meridian cloud."),
    Family(CL, "CL-SBX-{v}", "Meridian Sandbox environment", "month", 240,
           _v("test tenant"), "A second tenant for tests and training."),
    Family(CL, "CL-SIM-{v}", "Edge-to-cloud data plan, {v}", "SIM/month", 9,
           _v(("1 GB", 1.0), ("5 GB", 2.2), ("20 GB", 5.0)),
           "Managed LTE SIM for gateways, per SIM and month."),
    # Maintenance & support
    Family(MS, "MS-ORN-{v}", "Orion Service Contract, {v}", "year", 6_400,
           _v(("Bronze", 0.5), ("Silver", 0.75), "Gold", ("Platinum", 1.7)),
           "Yearly service contract for the installed base.", "service"),
    Family(MS, "MS-ESH-{v}", "Extended support hours, {v}", "year", 4_200,
           _v(("evenings", 0.6), "weekends", ("24/7", 2.4)),
           "Support outside office hours, per year.", retired=("EVENINGS",)),
    Family(MS, "MS-RMS-{v}", "Remote monitoring service, {v}", "year", 7_800,
           _v(("10 machines", 0.35), "50 machines", ("200 machines", 3.1)),
           "We watch the alarms and call you before the machine stops."),
    Family(MS, "MS-VIS-{v}", "On-site service visit, {v}", "visit", 980,
           _v("standard", ("same day", 1.9)), "A service engineer at your site."),
    Family(MS, "MS-PM-{v}", "Preventive maintenance plan, {v}", "year", 260,
           _v("per gateway", ("per drive", 1.4), ("per panel PC", 1.2)),
           "Yearly inspection, firmware and parts per device."),
    Family(MS, "MS-SPS-{v}", "Spare-part stocking agreement, {v}", "year", 3_600,
           _v("small", ("large", 2.5)), "We keep your critical spares in stock."),
    Family(MS, "MS-SWM-{v}", "Software maintenance, {v}", "year", 18,
           _v("standard", ("premium", 1.6)), "Updates and support per licence, per year."),
    Family(MS, "MS-CAL-{v}", "Calibration service, {v}", "sensor", 85,
           _v("yearly"), "Yearly calibration with certificate, per sensor."),
    Family(MS, "MS-SPP-{v}", "Orion Spare Parts Portal {v}", "site", 600,
           _v("access"), "Ordering portal for spares with your own prices, per site."),
    Family(MS, "MS-EW-{v}", "Extended warranty, {v}", "device", 120,
           _v("+2 years", ("+3 years", 1.6)), "Hardware warranty beyond the first two years."),
    # Consulting
    Family(CS, "CS-ROL-{v}", "Rollout consulting, {v}", "day", 1_150,
           _v(("consultant", 0.85), "senior consultant", ("principal", 1.3)),
           "Planning and leading a multi-site rollout."),
    Family(CS, "CS-ERP-{v}", "ERP integration project, {v}", "day", 1_300,
           _v("SAP", "Oracle", ("Microsoft Dynamics", 0.95), ("Salesforce", 0.95),
              ("Workday", 0.95)),
           "Integrating work orders, assets and costs with the ERP."),
    Family(CS, "CS-EA-{v}", "Energy audit, {v}", "site", 4_800,
           _v(("small site", 0.6), "medium site", ("large site", 1.8)),
           "Energy audit to EN 16247 with savings report."),
    Family(CS, "CS-OTS-{v}", "OT security assessment, {v}", "day", 1_350,
           _v("baseline", ("IEC 62443 gap analysis", 1.15)), "OT network and device review."),
    Family(CS, "CS-PMP-{v}", "Predictive maintenance pilot, {v}", "project", 24_000,
           _v("3 months"), "Pilot on up to twenty machines with a business case."),
    Family(CS, "CS-DSW-{v}", "Data science workshop", "day", 1_600,
           _v("on site"), "Finding the use cases in your machine data."),
    Family(CS, "CS-PM-{v}", "Project management", "day", 1_050,
           _v("per day"), "A project manager for your rollout."),
    Family(CS, "CS-SA-{v}", "Solution architecture", "day", 1_450,
           _v("per day"), "Target architecture for edge, cloud and ERP."),
    Family(CS, "CS-ISO-{v}", "ISO 50001 readiness", "day", 1_250,
           _v("per day"), "Preparing an energy management system for certification."),
    Family(CS, "CS-CHG-{v}", "Change management and adoption", "day", 1_100,
           _v("per day"), "Getting operators and planners to use it."),
    # Installation
    Family(IN, "IN-SIT-{v}", "Site installation, {v}", "day", 960,
           _v("technician", ("two-person crew", 1.8)),
           "Installing gateways, sensors and cabinets on site.", "install"),
    Family(IN, "IN-SRF-{v}", "Sensor retrofit, {v}", "sensor", 85,
           _v("standard", ("hard to reach", 1.8), ("Ex zone", 2.6)),
           "Mounting and wiring one sensor point on a running machine."),
    Family(IN, "IN-COM-{v}", "Commissioning, {v}", "device", 420,
           _v("per gateway", ("per drive", 1.3), ("per panel PC", 0.8)),
           "Commissioning and handover with test report."),
    Family(IN, "IN-CAB-{v}", "Network cabling, {v}", "run", 160,
           _v("Cat 6", ("fibre", 2.4)), "One cable run, pulled, terminated and tested."),
    Family(IN, "IN-CB-{v}", "Cabinet build, {v}", "cabinet", 2_600,
           _v("small", ("large", 2.1)), "Control cabinet built and tested in our workshop."),
    Family(IN, "IN-DEC-{v}", "Decommissioning and disposal", "device", 140,
           _v("per device"), "Removing old devices and WEEE-compliant disposal."),
    Family(IN, "IN-SUR-{v}", "Site survey", "site", 1_100,
           _v("per site"), "Survey of machines, cabinets and network before a rollout."),
    # Training
    Family(TR, "TR-OPR-{v}", "Operator training, {v}", "participant", 390,
           _v("1 day", ("2 days", 1.8)), "Using Atlas and Meridian on the shop floor.",
           "training"),
    Family(TR, "TR-ADM-{v}", "Administrator course, {v}", "participant", 1_350,
           _v("3 days"), "Installing, configuring and maintaining Atlas.", "training"),
    Family(TR, "TR-PDM-{v}", "Predictive maintenance workshop, {v}", "participant", 690,
           _v("1 day"), "From vibration data to maintenance decisions.", "training"),
    Family(TR, "TR-TTT-{v}", "Train-the-trainer, {v}", "participant", 1_900,
           _v("2 days"), "Certifies your own people to train operators."),
    Family(TR, "TR-EL-{v}", "E-learning licence, {v}", "user", 140,
           _v("12 months"), "Every Atlas and Meridian course online for a year."),
    Family(TR, "TR-EM-{v}", "Energy management course, {v}", "participant", 540,
           _v("1 day"), "Energy baselines, EnPIs and savings projects."),
    Family(TR, "TR-OTA-{v}", "OT security awareness, {v}", "participant", 260,
           _v("half day"), "Security basics for operators and maintenance staff."),
    Family(TR, "TR-EX-{v}", "Certification exam, {v}", "exam", 220,
           _v("Atlas Certified Administrator"), "Proctored exam with certificate."),
    # Spare parts
    Family(SP, "SP-PSU-{v}", "Gateway power supply {v}", "piece", 68,
           _v("24 V", ("48 V", 1.2), ("100-240 V AC", 1.4)), "Replacement power supply."),
    Family(SP, "SP-CBL-{v}", "Sensor cable kit {v}", "piece", 24,
           _v(("2 m", 0.8), "5 m", ("10 m", 1.5), ("20 m", 2.4), ("50 m", 4.8)),
           "Shielded sensor cable with moulded connector.", "cable"),
    Family(SP, "SP-FAN-{v}", "Controller fan module {v}", "piece", 58,
           _v("VD small frame", ("VD large frame", 1.7)), "Replacement fan for Vector drives."),
    Family(SP, "SP-DSP-{v}", "Display unit {v}", "piece", 420,
           _v(("12 inch", 0.8), "15 inch", ("19 inch", 1.4), ("22 inch", 1.7)),
           "Replacement display for IPC-40 panel PCs.", retired=("22INCH",)),
    Family(SP, "SP-ANT-{v}", "Antenna kit {v}", "piece", 46,
           _v("LTE", ("5G", 1.6), ("GPS", 0.7)), "External antenna with 3 m cable."),
    Family(SP, "SP-BAT-{v}", "Backup battery module {v}", "piece", 120,
           _v("gateway", ("edge server", 2.4)), "Buffer battery for a clean shutdown."),
    Family(SP, "SP-BRK-{v}", "Mounting bracket {v}", "piece", 19,
           _v("wall", "pole", ("DIN rail", 0.6)), "Stainless bracket for gateways and nodes."),
    Family(SP, "SP-TS-{v}", "Replacement touch screen {v}", "piece", 310,
           _v(("12 inch", 0.8), "15 inch", ("19 inch", 1.45)), "Touch glass for IPC-40."),
    Family(SP, "SP-BR-{v}", "Drive braking resistor {v}", "piece", 75,
           _v(("100 W", 0.7), "500 W", ("1 kW", 1.6)), "Braking resistor for Vector drives."),
    Family(SP, "SP-SD-{v}", "Gateway SD card {v}", "piece", 29,
           _v("32 GB", ("128 GB", 1.9)), "Industrial-grade SD card, preloaded firmware."),
    Family(SP, "SP-SHK-{v}", "Sensor housing kit {v}", "piece", 34,
           _v("standard", ("ATEX", 2.8)), "Replacement housing and seals for Helix sensors."),
    Family(SP, "SP-TB-{v}", "Terminal block set {v}", "piece", 22,
           _v("for I/O modules"), "Spring-clamp terminal blocks."),
    Family(SP, "SP-M12-{v}", "M12 connector set {v}", "piece", 16,
           _v("4-pin", ("8-pin", 1.3)), "Field-wireable M12 connectors, set of five."),
    Family(SP, "SP-FLT-{v}", "Cooling filter mat {v}", "piece", 12,
           _v("small", ("large", 1.6)), "Filter mats for cabinet fans, set of five."),
    # Consumables
    Family(CO, "CO-BAT-{v}", "Battery pack, {v}", "pack", 24,
           _v("AA lithium 10-pack", ("C lithium 4-pack", 1.1), ("D lithium 2-pack", 0.9),
              ("ER34615 cell", 0.7)),
           "Batteries for Helix wireless nodes and loggers."),
    Family(CO, "CO-MNT-{v}", "Mounting kit, {v}", "pack", 32,
           _v("magnetic", "stud", ("adhesive", 0.6), ("cement pads", 0.8)),
           "Mounting material for ten sensor points."),
    Family(CO, "CO-CAL-{v}", "Calibration set, {v}", "pack", 95,
           _v("vibration", "temperature", ("pressure", 1.2)),
           "Reference parts and certificate forms for field calibration."),
    Family(CO, "CO-TIE-{v}", "Cable ties and labels, {v}", "pack", 14,
           _v("100 pieces", ("500 pieces", 3.6)), "UV-resistant ties and printable labels."),
    Family(CO, "CO-TP-{v}", "Thermal paste {v}", "pack", 11,
           _v("10 g"), "Thermal paste for temperature probes."),
    Family(CO, "CO-CLN-{v}", "Cleaning kit, {v}", "pack", 18,
           _v("display", "sensor"), "Cleaning agents and cloths, ESD-safe."),
    Family(CO, "CO-GSK-{v}", "Sealing gasket set, {v}", "pack", 21,
           _v("IP67", ("IP69K", 1.7)), "Gaskets for housings and cable glands."),
    Family(CO, "CO-DES-{v}", "Desiccant packs, {v}", "pack", 9,
           _v("10 pieces"), "Keeps cabinets and housings dry."),
    Family(CO, "CO-SPR-{v}", "Contact spray {v}", "pack", 8,
           _v("400 ml"), "Contact cleaner for connectors."),
    Family(CO, "CO-HST-{v}", "Heat-shrink tubing assortment", "pack", 16,
           _v("box"), "Assorted sizes, halogen-free."),
    Family(CO, "CO-LBL-{v}", "Label printer tape {v}", "pack", 19,
           _v("12 mm", ("24 mm", 1.4)), "Tape for the asset-tag printer."),
    Family(CO, "CO-EPX-{v}", "Epoxy adhesive {v}", "pack", 27,
           _v("for sensor mounting"), "Two-part adhesive for mounting pads."),
    Family(CO, "CO-GLD-{v}", "Cable gland set {v}", "pack", 15,
           _v("M16", "M20", ("M25", 1.3)), "Nickel-plated brass glands, set of ten."),
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One product of the catalog as the demo writes it."""

    sku: str
    name: str
    category: str
    unit: str
    list_price: Decimal
    cost: Decimal
    description: str
    structure: str
    active_from: date | None
    active_until: date | None


def _list_price(amount: float) -> Decimal:
    """Prices as a price list has them: 12.49, 385, 1,240."""
    if amount < 50:
        return Decimal(max(1, round(amount * 2))) / 2 - Decimal("0.01")
    if amount < 1_000:
        return Decimal(round(amount / 5) * 5)
    return Decimal(round(amount / 10) * 10)


def items(today: date) -> list[Item]:
    """Every product of the demo catalog, the same list for any seed."""
    rng = random.Random("rapport demo catalog")
    out = []
    for family in FAMILIES:
        ratio = CATEGORIES[family.category][1]
        for code, label, factor in family.variants:
            amount = family.price * factor * rng.uniform(0.96, 1.04)
            price = _list_price(amount)
            cost = (price * Decimal(ratio * rng.uniform(0.9, 1.1))).quantize(Decimal("0.01"))
            active_from: date | None = None
            active_until: date | None = None
            if code in family.retired:
                active_from = today - timedelta(days=rng.randint(4 * 365, 6 * 365))
                active_until = today - timedelta(days=rng.randint(60, 420))
            elif code in family.coming:
                active_from = today + timedelta(days=rng.randint(20, 90))
            out.append(
                Item(
                    sku=family.sku.format(v=code),
                    name=family.name.format(v=label),
                    category=family.category,
                    unit=family.unit,
                    list_price=price,
                    cost=cost,
                    description=family.description,
                    structure=family.structure,
                    active_from=active_from,
                    active_until=active_until,
                )
            )
    return out


def _rules(structure: list[dict[str, Any]]) -> configurator.ProductRules:
    """The structure as the configurator reads it: refuses duplicate codes and lost options."""
    rules = configurator.ProductRules(
        groups=tuple(
            configurator.Group(g["code"], g["name"], g["min_choices"], g["max_choices"])
            for g in structure
        ),
        options=tuple(
            configurator.Option(
                o["code"],
                o["name"],
                g["code"],
                requires=tuple(o.get("requires", ())),
                excludes=tuple(o.get("excludes", ())),
                only_for=tuple(o.get("only_for", ())),
            )
            for g in structure
            for o in g["options"]
        ),
    )
    codes = {o.code for o in rules.options}
    for option in rules.options:
        for other in (*option.requires, *option.excludes):
            if other not in codes or other == option.code:
                raise ValueError(f"option {option.code!r} names {other!r}, no other option")
    return rules


def catalog_products(skus: Sequence[str]) -> dict[str, Product]:
    """The live products of these SKUs with their groups and options (three queries)."""
    options = Prefetch("options", queryset=Option.objects.order_by("position", "id"))
    groups = Prefetch(
        "option_groups",
        queryset=OptionGroup.objects.order_by("position", "id").prefetch_related(options),
    )
    rows = (
        Product.objects.filter(sku__in=list(skus), deleted_at__isnull=True)
        .select_related("category")
        .prefetch_related(groups)
    )
    return {p.sku: p for p in rows}


def ensure(today: date) -> tuple[dict[str, Product], int]:
    """Write the catalog's missing products (all of them the first time); returns the live
    products by SKU, with their options, and how many were written now."""
    wanted = items(today)
    existing = set(
        Product.objects.filter(sku__in=[i.sku for i in wanted]).values_list("sku", flat=True)
    )
    missing = [i for i in wanted if i.sku not in existing]
    if missing:
        cat_ids = categories()
        author = User.objects.filter(role=Role.ADMIN).order_by("id").first()
        made = bulk_create_with_history(
            [
                Product(
                    sku=i.sku,
                    name=i.name,
                    category_id=cat_ids[i.category],
                    unit=i.unit,
                    list_price=i.list_price,
                    cost=i.cost,
                    active_from=i.active_from,
                    active_until=i.active_until,
                    description=i.description,
                )
                for i in missing
            ],
            Product,
            batch_size=1_000,
            default_user=author,
            default_change_reason="demo catalog",
        )
        by_sku = {p.sku: p for p in made}
        if any(p.pk is None for p in made):  # a backend that returns no ids
            by_sku = {p.sku: p for p in Product.objects.filter(sku__in=list(by_sku))}
        structured = [(by_sku[i.sku], STRUCTURES[i.structure]) for i in missing if i.structure]
        groups: list[OptionGroup] = []
        for product, structure in structured:
            _rules(structure)
            groups.extend(
                OptionGroup(
                    product=product,
                    code=g["code"],
                    name=g["name"],
                    min_choices=g["min_choices"],
                    max_choices=g["max_choices"],
                    position=position,
                )
                for position, g in enumerate(structure)
            )
        OptionGroup.objects.bulk_create(groups, batch_size=1_000)
        options: list[Option] = []
        at = 0
        for product, structure in structured:
            for g in structure:
                group = groups[at]
                at += 1
                options.extend(
                    Option(
                        product=product,
                        group=group,
                        code=o["code"],
                        name=o["name"],
                        price=Decimal(str(o["price"])),
                        requires=list(o.get("requires", ())),
                        excludes=list(o.get("excludes", ())),
                        only_for=list(o.get("only_for", ())),
                        position=position,
                    )
                    for position, o in enumerate(g["options"])
                )
        Option.objects.bulk_create(options, batch_size=1_000)
    return catalog_products([i.sku for i in wanted]), len(missing)
