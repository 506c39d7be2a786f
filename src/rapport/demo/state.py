"""The plan of one demo customer and the state every demo subject shares."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC

from django.db import models
from django.db.models import Max
from django.utils import timezone

from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    Employment,
    IdentityKind,
    LifecycleChange,
    Partner,
    PartnerKind,
    PartnerLink,
)
from rapport.demo.names import seeded_names
from rapport.demo.sizes import DAY, HISTORY_DAYS, SIZES, DemoError
from rapport.demo.world import COUNTRIES, Industry
from rapport.demo.writer import Writer
from rapport.interactions.models import Interaction, Participant

# --------------------------------------------------------------------------------------
# The plan of one customer
# --------------------------------------------------------------------------------------


class Unit:
    parent: Unit | None
    name: str
    kind: str
    func: str | None
    family: str
    city: str
    country: str
    depth: int
    children: list[Unit]
    contacts: list[int]
    n_lead: int
    n_staff: int
    id: int
    idx: int
    path: str
    street: str
    postcode: str
    region: str
    employees: int
    div: Unit
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
        "postcode",
        "region",
        "street",
    )

    def __init__(
        self,
        parent: Unit | None,
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
        self.street = self.postcode = self.region = ""  # the site's address (accounts.py)
        self.depth = parent.depth + 1 if parent else 1
        self.children = []
        self.contacts = []  # local indices into the customer's members
        self.n_lead = self.n_staff = 0
        self.id = self.idx = 0
        self.path = ""
        self.employees = 0
        self.div = self  # the division-level unit (depth 2) above, or the root


class Customer:
    alumni: list[tuple]
    city: str
    core: str
    country: str
    created: int
    domain: str
    employees: int
    industry: Industry
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
    units: list[Unit]
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
    def root(self) -> Unit:
        return self.units[0]


# --------------------------------------------------------------------------------------
# The state every subject shares
# --------------------------------------------------------------------------------------


class DemoState:
    """What every subject of one demo run reads and adds to: seed, ids, people, plans."""

    # Set by the subjects that make them, read by the later ones.
    managers: list[int]
    reps: list[int]
    writers: list[int]
    user_names: dict[int, str]
    partner_list: list[tuple[int, str, PartnerKind]]
    partner_names: dict[int, str]
    partner_weights: list[float]
    customers: list[Customer]

    def __init__(self, size: str, seed: int, progress: Callable[[str], None]) -> None:
        if size not in SIZES:
            raise DemoError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        self.p = SIZES[size]
        self.seed = seed
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        # Addresses, phone numbers and switchboards draw from their own stream, so that
        # their details can change without reshuffling the rest of the seed's world.
        self.place_rng = random.Random(f"{seed}:places")
        self.say = progress
        self.w = Writer()
        today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor = int(today.timestamp())
        self.start = self.anchor - HISTORY_DAYS * DAY
        self.counts: dict[str, int] = {}
        self.next_id: dict[type[models.Model], int] = {}
        self.names = seeded_names(seed)
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
