"""CRM-shaped people with planted, labelled duplicates, as a CRM's export would hold them.

Pure Python, seeded, no Django: the same `seed` and size give the same rows on every
machine. Used by the resolution tests (through `rapport import` + `rapport dedupe`), the
online-check tests and `make bench` (300,000 contacts).

    people = generate(10_000, seed=7)
    write_csv(people.accounts, ACCOUNT_COLUMNS, tmp / "accounts.csv")
    write_csv(people.contacts, CONTACT_COLUMNS, tmp / "contacts.csv")
    people.true_pairs()          # {("C000012", "C004711"), ...}, smaller id first
    people.pairs_of("job move")  # the true pairs of one kind
    people.kind_of(pair)         # the kind a true pair was planted as (None if not true)

What is in it:
- Organisations of very different sizes (one large customer with ~5% of all people, a
  long tail of small ones), each with a legal form by country ("Pty Ltd", "GmbH", ...),
  a web domain, one to three sites (street, city, postcode, region, country) and a
  switchboard number per site. Large organisations have departments: child accounts
  ("Acme Pty Ltd - Finance", parent "Acme Pty Ltd") that their people belong to.
- People with work e-mails in the organisation's pattern (jane.doe@, jdoe@, jane@),
  direct lines, mobiles, or only the shared switchboard; some only reachable through a
  role mailbox (info@, sales@) that several people share; titles; the site's address.
- True non-duplicates that look alike: common names repeated across organisations (two
  John Smiths at two companies are two people), colleagues sharing a switchboard number
  or a role mailbox, colleagues sharing a surname.
- Planted duplicates, one kind each (see KINDS): the duplicate is a second row for the
  same person, typed in again by someone else, with that kind's difference plus the
  ordinary noise of a re-entry (title or address left out, a field missing).

Columns (ACCOUNT_COLUMNS, CONTACT_COLUMNS) are what an export from another CRM carries;
`Contact ID`/`Account ID` are that CRM's ids, kept through an import as external ids so
that found pairs can be mapped back onto the ground truth.
"""

from __future__ import annotations

import csv
import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapport.analytics.names import NICKNAMES

# The kinds of planted duplicate, each a way the same person ends up in a CRM twice.
KINDS: tuple[str, ...] = (
    "re-entered",  # same name and organisation, typed in again with less detail
    "typo",  # one slip of the keyboard in the given name or surname
    "nickname",  # Bob for Robert
    "initial",  # "J." for John
    "swapped names",  # given name and surname in each other's fields
    "missing first name",  # only the surname was typed
    "second e-mail",  # another address of the same person (private, or an alias)
    "phone format",  # the same number written nationally instead of internationally
    "job move",  # the same person at a new company, with a new work address
    "legal form",  # at "Acme" and at "Acme Pty Ltd", the organisation entered twice
)
# Share of planted duplicates per kind (sums to 1).
_KIND_SHARE: dict[str, float] = {
    "re-entered": 0.12,
    "typo": 0.14,
    "nickname": 0.10,
    "initial": 0.08,
    "swapped names": 0.08,
    "missing first name": 0.07,
    "second e-mail": 0.11,
    "phone format": 0.10,
    "job move": 0.12,
    "legal form": 0.08,
}

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "Account ID",
    "Company",
    "Parent",
    "Website",
    "Phone",
    "Street",
    "City",
    "Postcode",
    "Region",
    "Country",
)
CONTACT_COLUMNS: tuple[str, ...] = (
    "Contact ID",
    "Company",
    "First name",
    "Last name",
    "Email",
    "Phone",
    "Title",
    "Street",
    "City",
    "Postcode",
    "Region",
    "Country",
)


@dataclass(frozen=True)
class PlantedDuplicate:
    """Contact `duplicate` is a second row for the person of contact `original`."""

    original: str
    duplicate: str
    kind: str

    @property
    def pair(self) -> tuple[str, str]:
        return (
            (self.original, self.duplicate)
            if self.original < self.duplicate
            else (self.duplicate, self.original)
        )


@dataclass(frozen=True)
class CrmPeople:
    """Account rows, contact rows (dicts keyed by the column names) and the planted truth."""

    accounts: list[dict[str, str]]
    contacts: list[dict[str, str]]
    duplicates: list[PlantedDuplicate]
    # Pairs of different people who share a full name at different organisations.
    namesakes: list[tuple[str, str]] = field(default_factory=list)

    def true_pairs(self) -> set[tuple[str, str]]:
        """Every planted duplicate pair, smaller Contact ID first."""
        return {planted.pair for planted in self.duplicates}

    def pairs_of(self, kind: str) -> set[tuple[str, str]]:
        """The true pairs planted as `kind` (one of KINDS)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return {planted.pair for planted in self.duplicates if planted.kind == kind}

    def kind_of(self, pair: tuple[str, str]) -> str | None:
        """The kind of a true pair (either order), None for a pair of two people."""
        key = pair if pair[0] < pair[1] else (pair[1], pair[0])
        return self._kinds.get(key)

    @property
    def _kinds(self) -> dict[tuple[str, str], str]:
        cached = self.__dict__.get("_kind_cache")
        if cached is None:
            cached = {planted.pair: planted.kind for planted in self.duplicates}
            object.__setattr__(self, "_kind_cache", cached)
        return cached


def write_csv(rows: Iterable[dict[str, str]], columns: Sequence[str], path: Path) -> Path:
    """Write rows as a UTF-8 CSV with a header, as a CRM export would be."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    return path


# --- vocabulary -------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_GIVEN = _words(
    "james john robert michael william david richard joseph thomas charles christopher "
    "daniel matthew anthony andrew joshua kenneth stephen edward benjamin samuel "
    "alexander nicholas jonathan timothy peter patrick gregory henry jacob nathan "
    "oliver noah jack leo lucas ethan mason hugo oscar archie finn theo max arlo louis "
    "hudson levi ezra liam harrison lachlan cooper riley connor declan rohan arjun "
    "vikram wei jun hiroshi kenji mohammed omar ahmed ali yusuf tariq mateo diego "
    "carlos javier luca marco giovanni pierre etienne lars sven jurgen klaus stefan "
    "mary patricia jennifer elizabeth susan jessica margaret barbara deborah rebecca "
    "catherine christine samantha victoria alexandra isabella olivia amelia isla ava "
    "mia grace charlotte zoe chloe ruby ella lily sophie harper evie matilda willow "
    "sienna ivy frankie violet hazel emma hannah laura sarah rachel natalie megan "
    "priya ananya mei ling yuki sakura fatima aisha leila sofia lucia elena giulia "
    "marie camille ingrid astrid anna katrin heike sabine niamh siobhan aoife"
)
_SURNAMES = _words(
    "smith jones williams brown taylor wilson johnson white martin anderson thompson "
    "nguyen thomas walker harris lee ryan robinson kelly king davis wright evans roberts "
    "green hall wood jackson clarke patel khan singh chen wang li zhang liu tran pham "
    "murphy obrien sullivan byrne walsh mccarthy oconnor gallagher doyle lynch "
    "mueller schmidt schneider fischer weber meyer wagner becker hoffmann schulz "
    "rossi russo ferrari esposito bianchi romano garcia martinez rodriguez lopez "
    "hernandez gonzalez perez sanchez ramirez torres dubois moreau laurent lefebvre "
    "andersson johansson karlsson nilsson larsson hansen nielsen jensen pedersen "
    "campbell stewart morrison macdonald fraser reid hamilton graham mitchell "
    "baker carter phillips turner parker collins edwards morris cook rogers morgan "
    "cooper peterson bailey reed bell howard ward cox richardson watson brooks "
    "bennett gray james hughes price sanders myers long ross foster powell jenkins "
    "perry russell sullivan fisher henderson coleman simmons patterson jordan "
    "reynolds hamilton graham kim gonzales alexander ramos wallace griffin west cole "
    "hayes chavez gibson bryant ellis stevens murray ford marshall owens harrison "
    "fernandez mcdonald woods washington kennedy wells vargas henry freeman webb "
    "tucker guzman burns crawford olson simpson porter hunter gordon mendez silva "
    "shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson "
    "boyd rose stone salazar fox warren mills meyer rice schmidt garza daniels "
    "ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley "
    "spencer hawkins arnold pierce hansen peters santos hart bradley knight elliott "
    "cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray "
    "delgado berry perkins hoffman johnston matthews pena richards contreras willis "
    "carpenter lawrence sandoval guerrero george chapman rios estrada ortega watkins "
    "greene nunez wheeler valdez harper burke larson santiago maldonado morrison "
    "franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega "
    "bishop montgomery oliver jensen harvey williamson gilbert dean sims espinoza "
    "howell li wong reyes fuller moreno trujillo oneill fitzgerald kaur sharma gupta "
    "iyer menon nair reddy rao joshi kapoor malhotra tanaka suzuki takahashi watanabe "
    "yamamoto nakamura kobayashi yoshida abe sato ito hashimoto novak horvat kowalski "
    "nowak wisniewski kovac popescu ionescu papadopoulos georgiou yilmaz demir kaya "
    "petrov ivanov smirnov volkov"
)
# A few spellings with accents and apostrophes, as people type them.
_SURNAME_DISPLAY = {
    "obrien": "O'Brien",
    "oconnor": "O'Connor",
    "oneill": "O'Neill",
    "mueller": "Müller",
    "mcdonald": "McDonald",
    "mccarthy": "McCarthy",
    "macdonald": "MacDonald",
}
_TITLES = (
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Head of Procurement",
    "Procurement Manager",
    "Purchasing Officer",
    "IT Manager",
    "Operations Manager",
    "Finance Manager",
    "Accounts Payable",
    "Office Manager",
    "Engineer",
    "Senior Engineer",
    "Project Manager",
    "Sales Manager",
    "Marketing Manager",
    "Plant Manager",
    "Logistics Coordinator",
    "Quality Manager",
    "HR Business Partner",
    "Director",
    "",
)
_DEPARTMENTS = ("Finance", "Procurement", "Operations", "IT", "Engineering", "Sales", "Logistics")
_ORG_FIRST = _words(
    "Harbour Northwind Summit Pacific Southern Eastern Western Coastal Red Gum Ironbark "
    "Silver Fern Blue Ridge Granite Cedar Maple Oak Willow Falcon Eagle Kestrel Osprey "
    "Atlas Apex Vertex Zenith Orbit Nova Quantum Delta Sigma Omega Alpine Glacier River "
    "Lakeside Meadow Prairie Canyon Highland Lowland Bridge Anchor Beacon Compass Harvest "
    "Keystone Pioneer Frontier Heritage Liberty Crown Royal Sterling Golden Emerald "
    "Sapphire Cobalt Copper Bronze Titan Vulcan Phoenix Griffin Pegasus Orion Polaris"
)
_ORG_SECOND = _words(
    "Logistics Foods Engineering Mining Health Energy Systems Software Labs Construction "
    "Freight Partners Holdings Industries Manufacturing Pharmaceuticals Retail Farms "
    "Timber Steel Plastics Electrical Plumbing Textiles Brewing Wines Dairy Metals Marine "
    "Aviation Rail Water Power Telecom Media Print Packaging Chemicals Solutions Consulting"
)


@dataclass(frozen=True)
class _Country:
    name: str
    legal_forms: tuple[str, ...]
    tld: str
    calling_code: str
    # (area code as dialled nationally, digits after it) for landlines; mobile prefix.
    areas: tuple[tuple[str, str, str, str], ...]  # (city, region, national area, postcode stem)
    mobile: str
    subscriber_digits: int
    postcode_digits: int


_COUNTRIES = (
    _Country(
        "Australia",
        ("Pty Ltd", "Pty. Ltd.", "Limited"),
        "com.au",
        "61",
        (
            ("Sydney", "NSW", "02", "2"),
            ("Melbourne", "VIC", "03", "3"),
            ("Brisbane", "QLD", "07", "4"),
            ("Perth", "WA", "08", "6"),
            ("Adelaide", "SA", "08", "5"),
        ),
        "04",
        8,
        4,
    ),
    _Country(
        "United Kingdom",
        ("Ltd", "Limited", "PLC"),
        "co.uk",
        "44",
        (
            ("London", "England", "020", "EC"),
            ("Manchester", "England", "0161", "M"),
            ("Edinburgh", "Scotland", "0131", "EH"),
        ),
        "07",
        7,
        0,
    ),
    _Country(
        "United States",
        ("Inc.", "LLC", "Corp."),
        "com",
        "1",
        (
            ("New York", "NY", "212", "100"),
            ("Chicago", "IL", "312", "606"),
            ("Seattle", "WA", "206", "981"),
        ),
        "917",
        7,
        5,
    ),
    _Country(
        "Germany",
        ("GmbH", "AG", "GmbH & Co. KG"),
        "de",
        "49",
        (
            ("Berlin", "Berlin", "030", "10"),
            ("München", "Bayern", "089", "80"),
            ("Hamburg", "Hamburg", "040", "20"),
        ),
        "0151",
        8,
        5,
    ),
    _Country(
        "New Zealand",
        ("Limited", "Ltd"),
        "co.nz",
        "64",
        (("Auckland", "Auckland", "09", "10"), ("Wellington", "Wellington", "04", "60")),
        "021",
        7,
        4,
    ),
)
_STREETS = (
    "High Street",
    "Station Road",
    "Church Street",
    "George Street",
    "King Street",
    "Queen Street",
    "Market Street",
    "Park Avenue",
    "Harbour Drive",
    "Industrial Way",
    "Enterprise Road",
    "Commerce Boulevard",
    "Mill Lane",
    "River Road",
    "Bridge Street",
)
_ROLE_MAILBOXES = ("info", "sales", "office", "accounts", "purchasing")
_PRIVATE_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "bigpond.com")


@dataclass
class _Site:
    street: str
    city: str
    postcode: str
    region: str
    switchboard: str  # national digits after the trunk prefix, e.g. ("02", "98765432")
    area: str


@dataclass
class _Org:
    number: int
    base: str  # "Harbour Logistics"
    legal_form: str
    country: _Country
    domain: str
    email_pattern: str  # "first.last", "flast", "first"
    sites: list[_Site]
    units: list[str]  # account names people belong to: [name] or its departments
    international: bool  # writes its phones as +CC ... (else nationally)

    @property
    def name(self) -> str:
        return f"{self.base} {self.legal_form}"


@dataclass
class _Person:
    given: str
    surname: str
    org: _Org
    unit: str
    site: _Site
    email: str
    phone: str  # as written
    phone_kind: str  # "direct", "mobile", "switchboard", ""
    mobile: str  # the person's own mobile (digits), may be ""
    title: str
    address: bool


class _Builder:
    def __init__(self, contacts: int, seed: int, duplicate_share: float) -> None:
        self.rng = random.Random(seed)
        self.target = contacts
        self.duplicate_share = duplicate_share
        self.used_numbers: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_org_names: set[str] = set()
        self.orgs: list[_Org] = []
        # (organisation number, given name, surname) of every person placed so far.
        self.taken: set[tuple[int, str, str]] = set()
        # Zipf-like weights: a few names very common, a long tail of rare ones.
        self.given_weights = [1 / (rank + 3) for rank in range(len(_GIVEN))]
        surnames = list(dict.fromkeys(_SURNAMES))
        self.surnames = surnames
        self.surname_weights = [1 / (rank + 5) ** 0.9 for rank in range(len(surnames))]

    # -- organisations ------------------------------------------------------------------

    def _number(self, country: _Country, prefix: str) -> str:
        while True:
            digits = "".join(
                self.rng.choice(string.digits) for _ in range(country.subscriber_digits)
            )
            if digits[0] == "0":
                continue
            number = prefix + digits
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def _org_name(self) -> str:
        while True:
            name = f"{self.rng.choice(_ORG_FIRST)} {self.rng.choice(_ORG_SECOND)}"
            if self.rng.random() < 0.3:
                name = f"{self.rng.choice(_ORG_FIRST)} {name}"
            if name not in self.used_org_names:
                self.used_org_names.add(name)
                return name

    def organisations(self) -> None:
        sizes: list[int] = []
        remaining = int(self.target * (1 - self.duplicate_share))
        big = max(1, remaining // 20)  # the large customer
        sizes.append(big)
        remaining -= big
        while remaining > 0:
            size = min(remaining, max(1, int(self.rng.paretovariate(1.2) * 3)))
            size = min(size, max(5, self.target // 50))
            sizes.append(size)
            remaining -= size
        self.sizes = sizes
        for number, _size in enumerate(sizes):
            country = self.rng.choices(_COUNTRIES, weights=(5, 2, 2, 1, 1))[0]
            base = self._org_name()
            slug = "".join(ch for ch in base.lower() if ch.isalnum())
            sites = []
            for _ in range(1 + (self.rng.random() < 0.3) + (self.rng.random() < 0.1)):
                city, region, area, stem = self.rng.choice(country.areas)
                postcode = stem + "".join(
                    self.rng.choice(string.digits)
                    for _ in range(max(0, country.postcode_digits - len(stem)))
                )
                if country.postcode_digits == 0:  # UK style
                    postcode = f"{stem}{self.rng.randint(1, 9)} {self.rng.randint(1, 9)}AB"
                sites.append(
                    _Site(
                        street=f"{self.rng.randint(1, 400)} {self.rng.choice(_STREETS)}",
                        city=city,
                        postcode=postcode,
                        region=region,
                        switchboard=self._number(country, area),
                        area=area,
                    )
                )
            legal = self.rng.choice(country.legal_forms)
            org = _Org(
                number=number,
                base=base,
                legal_form=legal,
                country=country,
                domain=f"{slug}.{country.tld}",
                email_pattern=self.rng.choices(("first.last", "flast", "first"), weights=(7, 2, 1))[
                    0
                ],
                sites=sites,
                units=[],
                international=self.rng.random() < 0.7,
            )
            org.units = [org.name]
            if _size >= 30:
                org.units = [
                    f"{org.name} - {dept}"
                    for dept in self.rng.sample(_DEPARTMENTS, self.rng.randint(2, 4))
                ]
            self.orgs.append(org)

    # -- people -------------------------------------------------------------------------

    def _written(self, org: _Org, digits: str, *, international: bool) -> str:
        """A number as the organisation writes it: +61 2 9876 5432 or (02) 9876 5432."""
        country = org.country
        national = digits
        head, tail = (
            national[: len(national) - country.subscriber_digits],
            national[len(national) - country.subscriber_digits :],
        )
        half = len(tail) // 2
        if international:
            trunk = head[1:] if head.startswith("0") else head
            return f"+{country.calling_code} {trunk} {tail[:half]} {tail[half:]}"
        if country.name == "United States":
            return f"({head}) {tail[:3]}-{tail[3:]}"
        return f"({head}) {tail[:half]} {tail[half:]}" if len(head) <= 3 else f"{head} {tail}"

    def _email(self, org: _Org, given: str, surname: str, pattern: str | None = None) -> str:
        """A personal work address in the organisation's pattern, one person's only."""
        local = {
            "first.last": f"{given}.{surname}",
            "flast": f"{given[0]}{surname}",
            "first": given,
        }[pattern or org.email_pattern]
        options = [local, f"{given}.{surname}", *(f"{given}.{surname}{n}" for n in range(2, 999))]
        address = next(
            f"{option}@{org.domain}"
            for option in options
            if f"{option}@{org.domain}" not in self.used_emails
        )
        self.used_emails.add(address)
        return address

    def _private_email(self, given: str, surname: str) -> str:
        """A free-mail address of one person."""
        domain = self.rng.choice(_PRIVATE_DOMAINS)
        for option in (f"{given}.{surname}", *(f"{given}{surname}{n}" for n in range(1, 999))):
            if f"{option}@{domain}" not in self.used_emails:
                self.used_emails.add(f"{option}@{domain}")
                return f"{option}@{domain}"
        raise RuntimeError("no free address")  # pragma: no cover - 999 namesakes per domain

    def person(self, org: _Org, given: str | None = None, surname: str | None = None) -> _Person:
        rng = self.rng
        given = given or rng.choices(_GIVEN, weights=self.given_weights)[0]
        surname = surname or rng.choices(self.surnames, weights=self.surname_weights)[0]
        site = rng.choice(org.sites)
        unit = rng.choice(org.units)
        mobile = self._number(org.country, org.country.mobile) if rng.random() < 0.45 else ""
        roll = rng.random()
        if roll < 0.5:
            phone_kind, digits = "direct", self._number(org.country, site.area)
        elif roll < 0.7 and mobile:
            phone_kind, digits = "mobile", mobile
        elif roll < 0.85:
            phone_kind, digits = "switchboard", site.switchboard
        else:
            phone_kind, digits = "", ""
        phone = self._written(org, digits, international=org.international) if digits else ""
        roll = rng.random()
        if roll < 0.86:
            email = self._email(org, given, surname)
        elif roll < 0.92:
            email = f"{rng.choice(_ROLE_MAILBOXES)}@{org.domain}"
        else:
            email = ""
        return _Person(
            given=given,
            surname=surname,
            org=org,
            unit=unit,
            site=site,
            email=email,
            phone=phone,
            phone_kind=phone_kind,
            mobile=mobile,
            title=rng.choice(_TITLES),
            address=rng.random() < 0.6,
        )

    def people(self) -> list[_Person]:
        people = []
        for org, size in zip(self.orgs, self.sizes, strict=True):
            for _ in range(size):
                person = self.person(org)
                # Two different people of one name at one organisation happen, but rarely;
                # keep them out so that "same name, same organisation" stays a duplicate.
                while (org.number, person.given, person.surname) in self.taken:
                    person = self.person(org)
                self.taken.add((org.number, person.given, person.surname))
                people.append(person)
        return people


def _typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next, or mistyped."""
    if len(word) < 4:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    action = rng.choice(("drop", "double", "swap", "replace"))
    if action == "drop":
        return word[:i] + word[i + 1 :]
    if action == "double":
        return word[:i] + word[i] + word[i:]
    if action == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    letters = [c for c in string.ascii_lowercase if c != word[i]]
    return word[:i] + rng.choice(letters) + word[i + 1 :]


_NICKNAMES_OF: dict[str, list[str]] = {}
for _variant, _canonical in sorted(NICKNAMES.items()):
    _NICKNAMES_OF.setdefault(_canonical, []).append(_variant)


def _display(word: str) -> str:
    return _SURNAME_DISPLAY.get(word, word.capitalize())


def generate(contacts: int = 10_000, *, seed: int = 0, duplicates: float = 0.12) -> CrmPeople:
    """About `contacts` contact rows, a share `duplicates` of them planted duplicates.

    Every planted duplicate is a second row of one original person (no person is planted
    twice), so the true pairs are exactly `duplicates`, one per planted row.
    """
    builder = _Builder(contacts, seed, duplicates)
    rng = builder.rng
    builder.organisations()
    people = builder.people()

    # Namesakes: give some people the full name of someone at another organisation.
    namesake_of: list[tuple[int, int]] = []
    renamed: set[int] = set()
    for _ in range(len(people) // 50):
        a, b = rng.randrange(len(people)), rng.randrange(len(people))
        if people[a].org is people[b].org or a in renamed or b in renamed:
            continue
        key = (people[b].org.number, people[a].given, people[a].surname)
        if key in builder.taken:
            continue
        builder.taken.add(key)
        renamed.update((a, b))
        people[b].given, people[b].surname = people[a].given, people[a].surname
        if people[b].email and people[b].email.split("@")[0] not in _ROLE_MAILBOXES:
            people[b].email = builder._email(people[b].org, people[b].given, people[b].surname)
        namesake_of.append((a, b))

    rows: list[dict[str, str]] = []
    row_person: list[int] = []

    def row(person: _Person, **override: str) -> dict[str, str]:
        site = person.site
        values = {
            "Company": person.unit,
            "First name": person.given.capitalize(),
            "Last name": _display(person.surname),
            "Email": person.email,
            "Phone": person.phone,
            "Title": person.title,
            "Street": site.street if person.address else "",
            "City": site.city if person.address else "",
            "Postcode": site.postcode if person.address else "",
            "Region": site.region if person.address else "",
            "Country": person.org.country.name if person.address else "",
        }
        values.update(override)
        return values

    for index, person in enumerate(people):
        rows.append(row(person))
        row_person.append(index)

    # Duplicate-account organisations for the "legal form" kind: the same company entered
    # again without its legal form, as its own account.
    twins: dict[int, str] = {}

    planted: list[tuple[int, int, str]] = []  # (original row, duplicate row, kind)
    wanted = int(contacts * duplicates)
    kinds = list(_KIND_SHARE)
    weights = [_KIND_SHARE[k] for k in kinds]
    used: set[int] = {b for _, b in namesake_of} | {a for a, _ in namesake_of}
    attempts = 0
    while len(planted) < wanted and attempts < wanted * 50:
        attempts += 1
        kind = rng.choices(kinds, weights=weights)[0]
        index = rng.randrange(len(people))
        if index in used:
            continue
        person = people[index]
        original = rows[index]
        duplicate = _duplicate(rng, builder, kind, person, original, twins, row)
        if duplicate is None:
            continue
        used.add(index)
        rows.append(duplicate)
        row_person.append(index)
        planted.append((index, len(rows) - 1, kind))

    # Contact ids in a shuffled order, so that a duplicate is not next to its original.
    order = list(range(len(rows)))
    rng.shuffle(order)
    ids = {}
    for position, row_index in enumerate(order, start=1):
        ids[row_index] = f"C{position:06d}"
    contact_rows = []
    for row_index in order:
        values = {"Contact ID": ids[row_index], **rows[row_index]}
        contact_rows.append(values)

    accounts: list[dict[str, str]] = []
    account_number = 0

    def account(name: str, parent: str, org: _Org, site: _Site, website: bool) -> None:
        nonlocal account_number
        account_number += 1
        accounts.append(
            {
                "Account ID": f"A{account_number:05d}",
                "Company": name,
                "Parent": parent,
                "Website": f"https://www.{org.domain}" if website else "",
                "Phone": builder._written(org, site.switchboard, international=org.international),
                "Street": site.street,
                "City": site.city,
                "Postcode": site.postcode,
                "Region": site.region,
                "Country": org.country.name,
            }
        )

    for org in builder.orgs:
        account(org.name, "", org, org.sites[0], True)
        if org.units != [org.name]:
            for unit in org.units:
                account(unit, org.name, org, rng.choice(org.sites), False)
        if org.number in twins:
            account(twins[org.number], "", org, org.sites[0], False)

    return CrmPeople(
        accounts=accounts,
        contacts=contact_rows,
        duplicates=[PlantedDuplicate(ids[a], ids[b], kind) for a, b, kind in planted],
        namesakes=[tuple(sorted((ids[a], ids[b]))) for a, b in namesake_of],  # type: ignore[misc]
    )


def _duplicate(
    rng: random.Random,
    builder: _Builder,
    kind: str,
    person: _Person,
    original: dict[str, str],
    twins: dict[int, str],
    row: object,
) -> dict[str, str] | None:
    """A second row for `person` with `kind`'s difference, or None if it cannot have it."""
    make = row  # row(person, **override) -> dict
    given, surname = person.given, person.surname
    noise: dict[str, str] = {}
    # The ordinary noise of a re-entry: the title or the address left out.
    if rng.random() < 0.3:
        noise["Title"] = ""
    if rng.random() < 0.4:
        noise.update({"Street": "", "City": "", "Postcode": "", "Region": "", "Country": ""})
    # Someone typing a person in again seldom has every channel at hand.
    keep_email = rng.random() < 0.6
    keep_phone = rng.random() < 0.6
    channels = {
        "Email": original["Email"] if keep_email else "",
        "Phone": original["Phone"] if keep_phone else "",
    }
    if kind == "re-entered":
        changes = {**channels}
    elif kind == "typo":
        if rng.random() < 0.5:
            changes = {**channels, "Last name": _display(_typo(rng, surname))}
        else:
            changes = {**channels, "First name": _typo(rng, given).capitalize()}
    elif kind == "nickname":
        variants = _NICKNAMES_OF.get(given)
        if not variants:
            return None
        changes = {**channels, "First name": rng.choice(variants).capitalize()}
    elif kind == "initial":
        initial = given[0].upper() + ("." if rng.random() < 0.5 else "")
        changes = {**channels, "First name": initial}
    elif kind == "swapped names":
        changes = {**channels, "First name": _display(surname), "Last name": given.capitalize()}
    elif kind == "missing first name":
        changes = {**channels, "First name": ""}
    elif kind == "second e-mail":
        if rng.random() < 0.5:
            other = builder._private_email(given, surname)
        else:
            pattern = "flast" if person.org.email_pattern != "flast" else "first.last"
            other = builder._email(person.org, given, surname, pattern)
        if other == original["Email"]:
            return None
        changes = {"Email": other, "Phone": channels["Phone"]}
    elif kind == "phone format":
        if person.phone_kind not in ("direct", "mobile"):
            return None
        digits = person.mobile if person.phone_kind == "mobile" else None
        if digits is None:
            # Recover the national digits of the written direct line.
            national = "".join(ch for ch in original["Phone"] if ch.isdigit())
            code = person.org.country.calling_code
            if original["Phone"].startswith("+"):
                national = national[len(code) :]
                if person.org.country.name != "United States":
                    national = "0" + national
            digits = national
        changes = {
            "Email": "",
            "Phone": builder._written(
                person.org, digits, international=not person.org.international
            ),
        }
    elif kind == "job move":
        new_org = rng.choice(builder.orgs)
        key = (new_org.number, given, surname)
        if new_org is person.org or key in builder.taken:
            return None
        builder.taken.add(key)
        moved = builder.person(new_org, given, surname)
        email = builder._email(new_org, given, surname, "first.last")
        phone = moved.phone if rng.random() < 0.5 else ""
        link = rng.random()
        if link < 0.45:
            # The mobile goes with the person: both rows hold it (the old one beside the
            # desk phone it had).
            mobile = person.mobile or builder._number(person.org.country, person.org.country.mobile)
            written = builder._written(person.org, mobile, international=True)
            if person.phone_kind != "mobile":
                as_before = builder._written(
                    person.org, mobile, international=person.org.international
                )
                original["Phone"] = "; ".join(p for p in (original["Phone"], as_before) if p)
            phone = "; ".join(p for p in (written, phone) if p)
        elif link < 0.75:
            # So does a private address, given to both employers' contacts.
            private = builder._private_email(given, surname)
            original["Email"] = "; ".join(e for e in (original["Email"], private) if e)
            email = f"{email}; {private}"
        # Otherwise only the name links the rows: such a pair is for a person to judge.
        changes = {
            "Company": moved.unit,
            "Email": email,
            "Phone": phone,
            "Title": moved.title,
            "Street": moved.site.street if moved.address else "",
            "City": moved.site.city if moved.address else "",
            "Postcode": moved.site.postcode if moved.address else "",
            "Region": moved.site.region if moved.address else "",
            "Country": new_org.country.name if moved.address else "",
        }
        noise = {}
    elif kind == "legal form":
        org = person.org
        if org.units != [org.name]:
            return None  # departments are only entered under the full name
        twins.setdefault(org.number, org.base)
        changes = {**channels, "Company": org.base}
    else:  # pragma: no cover - KINDS and this function are kept in step
        raise ValueError(kind)
    bare = not (changes.get("Email") or changes.get("Phone"))
    # Without a channel such a row may still be the person; keep some of those too.
    if kind in ("re-entered", "legal form", "missing first name", "initial") and bare:
        changes["Email"] = original["Email"] if rng.random() < 0.5 else ""
    return make(person, **{**noise, **changes})  # type: ignore[operator]


@dataclass(frozen=True)
class KindScore:
    """How many true pairs of one kind there are and how many were found."""

    kind: str
    true: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.true if self.true else 1.0


def recall_by_kind(people: CrmPeople, found: set[tuple[str, str]]) -> dict[str, KindScore]:
    """Per kind of planted duplicate, how many of its pairs are among `found`."""
    return {
        kind: KindScore(kind, len(people.pairs_of(kind)), len(people.pairs_of(kind) & found))
        for kind in KINDS
    }
