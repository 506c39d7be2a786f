"""Word banks for the demo world: countries, legal forms, departments, industries, titles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapport.accounts.models import (
    PartnerKind,
    PartnerRole,
)

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
# The state, province or territory of the named cities where addresses carry one.
CITY_REGIONS: dict[tuple[str, str], str] = {
    **{("United States", city): state for city, state in (
        ("Chicago", "IL"), ("Houston", "TX"), ("Atlanta", "GA"), ("Dallas", "TX"),
        ("Boston", "MA"), ("Detroit", "MI"), ("Pittsburgh", "PA"), ("Charlotte", "NC"),
        ("Denver", "CO"), ("Seattle", "WA"), ("Columbus", "OH"), ("Milwaukee", "WI"),
        ("Minneapolis", "MN"), ("Cleveland", "OH"), ("Phoenix", "AZ"),
        ("Indianapolis", "IN"), ("Nashville", "TN"), ("Cincinnati", "OH"),
        ("Louisville", "KY"))},
    **{("Canada", city): province for city, province in (
        ("Toronto", "ON"), ("Montreal", "QC"), ("Calgary", "AB"), ("Vancouver", "BC"))},
    **{("Australia", city): state for city, state in (
        ("Sydney", "NSW"), ("Melbourne", "VIC"), ("Brisbane", "QLD"), ("Perth", "WA"))},
}  # fmt: skip

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


class Industry:
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


INDUSTRIES: tuple[Industry, ...] = (
    Industry("manufacturing", "Manufacturing", 14,
              ("Industries", "Manufacturing", "Precision", "Machine Works", "Components",
               "Engineering", "Maschinenbau", "Technik"),
              ("Industrial Automation Division", "Drive Systems Division", "Components Division",
               "Aftermarket Services Division", "Hydraulics Division"),
              "plant", ("production", "maintenance", "quality", "engineering", "logistics", "sales"),
              ("hydraulic components", "packaging machinery", "precision bearings",
               "industrial pumps", "CNC machine tools", "conveyor systems")),
    Industry("logistics", "Logistics", 8,
              ("Logistics", "Freight", "Transport", "Shipping", "Cargo", "Spedition"),
              ("Contract Logistics Division", "Road Freight Division", "Air & Ocean Division",
               "Warehousing Division"),
              "logistics", ("logistics", "maintenance", "it", "sales"),
              ("contract logistics", "temperature-controlled freight", "parcel distribution",
               "port handling")),
    Industry("healthcare", "Healthcare", 7,
              ("Health", "Medical", "Healthcare", "Clinics", "Care Group", "Diagnostics"),
              ("Acute Care Division", "Outpatient Services", "Diagnostics Division",
               "Rehabilitation Division"),
              "hospital", ("facilities", "it", "procurement", "quality"),
              ("acute care hospitals", "diagnostic laboratories", "rehabilitation clinics"),
              ("Chief Executive Officer", "Chief Medical Officer", "Chief Financial Officer",
               "Chief Nursing Officer", "Chief Information Officer", "Chief Procurement Officer")),
    Industry("financial", "Financial Services", 6,
              ("Bank", "Capital", "Financial", "Insurance", "Asset Management", "Versicherung"),
              ("Retail Banking", "Corporate Banking", "Wealth Management", "Insurance Operations"),
              "office", ("it", "facilities", "procurement", "sales"),
              ("commercial banking", "insurance", "leasing", "asset management")),
    Industry("retail", "Retail", 7,
              ("Retail", "Stores", "Markets", "Trading", "Home & Garden", "Fashion"),
              ("Grocery Division", "Home & Living Division", "E-Commerce Division",
               "Fashion Division"),
              "retail", ("logistics", "facilities", "it", "sales"),
              ("grocery retail", "DIY stores", "consumer electronics", "fashion retail")),
    Industry("energy", "Energy", 6,
              ("Energy", "Power", "Utilities", "Renewables", "Stadtwerke", "Grid"),
              ("Generation Division", "Grid Operations Division", "Renewables Division",
               "Energy Services Division"),
              "energy", ("maintenance", "engineering", "it", "facilities"),
              ("power generation", "district heating", "wind and solar parks",
               "electricity distribution")),
    Industry("public", "Public Sector", 5,
              ("City Council", "Municipal Services", "Water Authority", "Transit Authority",
               "Public Works", "Waste Management"),
              ("Department of Transport", "Environmental Services", "Public Health Directorate",
               "Housing & Planning"),
              "public", ("facilities", "it", "procurement", "finance"),
              ("municipal services", "public transport", "water supply"),
              ("Chief Executive", "Director of Finance", "Director of Operations",
               "Head of Procurement", "Chief Digital Officer")),
    Industry("telecom", "Telecommunications", 5,
              ("Telecom", "Networks", "Communications", "Connect", "Broadband", "Mobile"),
              ("Consumer Division", "Enterprise Division", "Network Division",
               "Wholesale Division"),
              "datacenter", ("it", "engineering", "facilities", "sales"),
              ("fibre broadband", "mobile networks", "data centre services")),
    Industry("pharma", "Pharmaceuticals", 6,
              ("Pharma", "Pharmaceuticals", "Biotech", "Life Sciences", "Therapeutics",
               "Biologics"),
              ("Generics Division", "Biologics Division", "Consumer Health Division",
               "Clinical Operations"),
              "plant", ("production", "quality", "maintenance", "engineering"),
              ("generic drugs", "biologics", "active pharmaceutical ingredients",
               "contract manufacturing")),
    Industry("automotive", "Automotive", 8,
              ("Automotive", "Motors", "Auto Parts", "Vehicle Systems", "Mobility", "Drivetrain"),
              ("Powertrain Division", "Interior Systems Division", "Chassis Division",
               "E-Mobility Division"),
              "plant", ("production", "quality", "maintenance", "engineering", "logistics"),
              ("powertrain components", "seating systems", "brake systems",
               "battery modules")),
    Industry("construction", "Construction", 6,
              ("Construction", "Building", "Bau", "Infrastructure", "Contractors",
               "Civil Engineering"),
              ("Building Construction Division", "Civil Engineering Division",
               "Facility Services Division", "Project Development"),
              "construction", ("engineering", "procurement", "logistics", "facilities"),
              ("civil engineering", "commercial buildings", "road construction")),
    Industry("education", "Education", 4,
              ("University", "College", "Academy", "Institute of Technology", "Business School",
               "University of Applied Sciences"),
              ("Faculty of Engineering", "Faculty of Medicine", "Faculty of Business",
               "Central Administration"),
              "campus", ("facilities", "it", "procurement", "finance"),
              ("higher education", "applied research", "vocational training"),
              ("President", "Chief Financial Officer", "Provost", "Chief Information Officer",
               "Director of Estates")),
    Industry("software", "Software", 6,
              ("Software", "Technologies", "Digital", "Labs", "Cloud", "Data"),
              ("Cloud Platform Division", "Enterprise Solutions", "Professional Services",
               "Customer Success"),
              "devcenter", ("engineering", "it", "sales"),
              ("ERP software", "cloud infrastructure", "industrial software")),
    Industry("food", "Food & Beverage", 7,
              ("Foods", "Dairy", "Beverages", "Brewery", "Bakeries", "Nutrition"),
              ("Dairy Division", "Beverages Division", "Snacks Division", "Food Service Division"),
              "plant", ("production", "quality", "maintenance", "logistics"),
              ("dairy products", "soft drinks", "baked goods", "frozen foods")),
    Industry("chemicals", "Chemicals", 5,
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


# fmt: on
