"""Reads of customers' needs and needs segments, every one scoped by core.access.

The needs catalogue is the learning memory's attributes of kind "need"; a subject's needs
are its current facts of them. How the answers of units and people add up to the
organisation's is the rule in `rapport.needs.rollup`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import RunStatus, User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.memory import selectors as memory_selectors
from rapport.memory.models import Attribute, AttributeKind, Fact
from rapport.memory.values import display_value
from rapport.needs import rollup
from rapport.needs.models import NeedsSegment, PortfolioPicture, SegmentMembership
from rapport.valuation.models import ModelRun, RunKind

# --- the catalogue ----------------------------------------------------------------------


def need_attributes() -> list[Attribute]:
    """The live needs of the catalogue, most important first."""
    return list(Attribute.objects.filter(kind=AttributeKind.NEED).order_by("-importance", "label"))


def current_need_facts(user: User | None = None) -> QuerySet[Fact]:
    """Current, still valid facts of live needs about live organisations (scoped when a user)."""
    facts = Fact.objects.filter(
        superseded_at__isnull=True,
        attribute__kind=AttributeKind.NEED,
        attribute__deleted_at__isnull=True,
        customer__deleted_at__isnull=True,
    ).exclude(valid_until__lt=timezone.localdate())
    return facts if user is None else access.scope(user, facts)


@dataclass
class CatalogueEntry:
    """One need of the catalogue and how many organisations we know it for."""

    attribute: Attribute
    organisations: int
    ordered: bool


def need_catalogue(*, user: User) -> list[CatalogueEntry]:
    """Every need with the number of organisations (that the user sees) we know it for.

    Two queries whatever the size.
    """
    attributes = need_attributes()
    counts = dict(
        current_need_facts(user)
        .values("attribute_id")
        .annotate(n=Count("customer_id", distinct=True))
        .values_list("attribute_id", "n")
    )
    return [
        CatalogueEntry(
            attribute=a,
            organisations=counts.get(a.pk, 0),
            ordered=rollup.is_ordered(a.key, a.value_type, a.choices or []),
        )
        for a in attributes
    ]


# --- profiles ---------------------------------------------------------------------------


@dataclass
class NeedEntry:
    """One need on a profile: the answer, how we know it (own / rolled up / inherited), from what."""

    attribute: Attribute
    value: Any = None
    how: str = ""
    facts: list[Fact] = field(default_factory=list)

    @property
    def is_known(self) -> bool:
        return self.value is not None

    @property
    def display(self) -> str:
        return display_value(self.attribute, self.value) if self.is_known else ""

    @property
    def how_display(self) -> str:
        if self.how == rollup.OWN:
            return "Told us directly"
        if self.how == rollup.INHERITED:
            names = {f.account.name for f in self.facts}
            return f"Inherited from {', '.join(sorted(names))}"
        if self.how == rollup.ROLLED_UP:
            units = {f.account_id for f in self.facts if f.contact_id is None}
            people = {f.contact_id for f in self.facts if f.contact_id is not None}
            parts = []
            if units:
                parts.append(f"{len(units)} unit{'s' if len(units) != 1 else ''}")
            if people:
                parts.append(f"{len(people)} {'person' if len(people) == 1 else 'people'}")
            return f"Rolled up from {' and '.join(parts)}"
        return ""


@dataclass
class NeedsProfile:
    """What an organisation or unit needs, need by need, and its organisation's segment."""

    account: Account
    entries: list[NeedEntry]
    membership: SegmentMembership | None

    @property
    def known(self) -> list[NeedEntry]:
        return [e for e in self.entries if e.is_known]

    @property
    def unknown(self) -> list[NeedEntry]:
        return [e for e in self.entries if not e.is_known]

    @property
    def segment(self) -> NeedsSegment | None:
        return self.membership.segment if self.membership else None


def _ancestor_paths(account: Account) -> list[str]:
    step = Account.steplen
    return [account.path[: step * depth] for depth in range(1, len(account.path) // step)]


def needs_profile(*, user: User, account: Account) -> NeedsProfile:
    """The account's needs: its own answers, else its units' and people's rolled up, else
    what the units above told us; and its organisation's current segment.

    Three queries whatever the size: the catalogue, the facts, the membership.
    """
    attributes = need_attributes()
    above = _ancestor_paths(account)
    facts = list(
        current_need_facts(user)
        .filter(customer_id=account.customer_pk)
        .filter(
            Q(account__path__startswith=account.path)
            | Q(account__path__in=above, contact__isnull=True)
        )
        .select_related("account", "contact", "said_by", "recorded_by")
        .order_by("-recorded_at", "-id")
    )
    by_attribute: dict[int, list[Fact]] = {}
    for fact in facts:
        by_attribute.setdefault(fact.attribute_id, []).append(fact)
    entries = []
    for attribute in attributes:
        spec = rollup.spec_of(attribute)
        mine = by_attribute.get(attribute.pk, [])
        own = [f for f in mine if f.account_id == account.pk and f.contact_id is None]
        below = [f for f in mine if f.account.path.startswith(account.path) and f not in own]
        inherited = sorted(
            (f for f in mine if f.account.path in above), key=lambda f: -f.account.depth
        )
        value, how = rollup.resolve(
            spec,
            own=own[0].value if own else None,
            below=[f.value for f in below],
            inherited=inherited[0].value if inherited else None,
        )
        used = {rollup.OWN: own[:1], rollup.ROLLED_UP: below, rollup.INHERITED: inherited[:1]}
        entries.append(NeedEntry(attribute, value, how, used.get(how, [])))
    return NeedsProfile(
        account=account, entries=entries, membership=membership_of(user=user, account=account)
    )


def membership_of(*, user: User, account: Account) -> SegmentMembership | None:
    """The current segment membership of the account's organisation, if the user sees it.

    Its segment (and so the segment's lineage) and run come joined: no further query.
    """
    return (
        access.scope(user, SegmentMembership.objects.all(), via="customer")
        .filter(customer_id=account.customer_pk, is_current=True)
        .select_related("segment", "run")
        .first()
    )


@dataclass
class ContactNeeds:
    """A person's needs: their own answers and those of their unit and organisation."""

    contact: Contact
    entries: list[memory_selectors.ProfileEntry]

    @property
    def known(self) -> list[memory_selectors.ProfileEntry]:
        return [e for e in self.entries if e.is_known]

    @property
    def unknown(self) -> list[memory_selectors.ProfileEntry]:
        return [e for e in self.entries if not e.is_known]


def contact_needs(*, user: User, contact: Contact) -> ContactNeeds:
    """The needs on a person's profile (theirs, their unit's, inherited), three queries."""
    profile = memory_selectors.profile(user=user, contact=contact)
    entries = [e for e in profile.entries if e.attribute.kind == AttributeKind.NEED]
    return ContactNeeds(contact=contact, entries=entries)


# --- segments ---------------------------------------------------------------------------


def latest_run(*, kind: str = RunKind.SEGMENTS) -> ModelRun | None:
    """The newest finished run of an analysis."""
    return (
        ModelRun.objects.filter(kind=kind, run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-run__finished_at", "-id")
        .first()
    )


def _segments(user: User) -> QuerySet[NeedsSegment]:
    """Segments with their run and the segment they continue, each with `visible`: how
    many of its members the user may see."""
    q = access.account_filter(user, via="members__customer")
    visible = Count("members", filter=q) if q is not None else Count("members")
    return NeedsSegment.objects.select_related("run", "continues").annotate(visible=visible)


def segment_list(*, user: User) -> list[NeedsSegment]:
    """The current segments, largest first, with how many of their members the user sees."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    return list(_segments(user).filter(is_current=True).order_by("number"))


def segment_get(*, user: User, pk: int) -> NeedsSegment:
    """One segment (of any run)."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    try:
        return _segments(user).get(pk=pk)
    except (NeedsSegment.DoesNotExist, ValueError, TypeError):
        raise NotFound("segment not found") from None


def current_segment_by_lineage(*, user: User, lineages: Collection[int]) -> dict[int, NeedsSegment]:
    """The current segment of each lineage asked for, by lineage; an ended lineage is absent.

    What is attached to a segment (offers' segment treatment) is attached to its lineage,
    so it finds today's segment through this whatever the recomputes since. One query.
    """
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    current = _segments(user).filter(is_current=True, lineage__in=list(lineages))
    return {s.lineage: s for s in current}


def segment_members(
    *, user: User, segment: NeedsSegment, cursor: str | None = None, limit: int | None = None
) -> Page[SegmentMembership]:
    """The segment's members the user sees, most typical first (keyset on distance, id)."""
    limit = clamp_limit(limit, default=50)
    members = access.scope(
        user, SegmentMembership.objects.filter(segment=segment), via="customer"
    ).select_related("customer")
    if cursor:
        distance, last_id = decode_cursor(cursor, 2)
        if not isinstance(distance, int | float) or isinstance(distance, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        if not isinstance(last_id, int) or isinstance(last_id, bool):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        members = members.filter(Q(distance__gt=distance) | Q(distance=distance, id__gt=last_id))
    rows = list(members.order_by("distance", "id")[: limit + 1])
    return page_of(rows, limit, lambda m: [m.distance, m.pk])


# --- the Differentiate page's stored pictures ------------------------------------------


def portfolio_inputs() -> str:
    """The newest finished run of each analysis, as the key of the pictures drawn from them."""
    newest = (
        ModelRun.objects.filter(run__status=RunStatus.DONE)
        .order_by()
        .values("kind")
        .annotate(last=Max("id"))
        .values_list("kind", "last")
    )
    return ",".join(f"{kind}:{pk}" for kind, pk in sorted(newest))


def portfolio_picture(*, user: User, inputs: str, measure: str) -> str | None:
    """The stored pictures of these runs, for those who read the whole portfolio; else None.

    Only a user who sees every account gets the stored pictures: anyone else's picture is
    of their accounts alone, and is drawn for them on each request.
    """
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    if not access.sees_everything(user):
        return None
    return (
        PortfolioPicture.objects.filter(inputs=inputs, measure=measure)
        .values_list("html", flat=True)
        .first()
    )


def current_lineages(*, lineages: Collection[int]) -> dict[int, int]:
    """Each organisation in a current segment of one of these lineages, with its lineage.

    One query, for runners (a treatment's cadence applied to every member): not scoped.
    """
    if not lineages:
        return {}
    return dict(
        SegmentMembership.objects.filter(
            is_current=True, segment__lineage__in=list(lineages)
        ).values_list("customer_id", "segment__lineage")
    )


def members_with(*, user: User, customer_ids: Any) -> dict[int, int]:
    """How many of these organisations each current segment holds (that the user sees)."""
    access.ensure(user, access.Capability.READ_PORTFOLIO)
    rows = access.scope(user, SegmentMembership.objects.all(), via="customer").filter(
        is_current=True, customer_id__in=customer_ids
    )
    return dict(rows.values("segment_id").annotate(n=Count("id")).values_list("segment_id", "n"))
