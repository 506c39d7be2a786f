"""Reads of the timeline, always scoped by core.access and keyset-paginated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django.db.models import Case, Count, F, Max, Model, Prefetch, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core import access, runs
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import Run, RunStatus, User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, newest_after, page_of
from rapport.interactions.models import (
    AccountCadence,
    Channel,
    Commitment,
    CommitmentStatus,
    Direction,
    Interaction,
    Participant,
    Side,
    Thread,
    ThreadStatus,
)

M = TypeVar("M", bound=Model)


def _people(user: User) -> QuerySet[Participant]:
    """Participants the user may see: ours, and people of units the user sees (no others)."""
    people = Participant.objects.select_related("contact", "user").order_by("side", "id")
    q = access.account_filter(user, via="contact__account")
    return people if q is None else people.filter(Q(contact__isnull=True) | q)


def _with_people(queryset: QuerySet[Interaction], user: User) -> QuerySet[Interaction]:
    return queryset.select_related("account", "partner", "logged_by").prefetch_related(
        Prefetch("participants", queryset=_people(user))
    )


def interaction_get(*, user: User, pk: int) -> Interaction:
    """One interaction the user may see, with its people."""
    return access.get_visible(_with_people(Interaction.objects.all(), user), user, pk=pk)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def timeline(
    *,
    user: User,
    account: Account | None = None,
    contact: Contact | None = None,
    subtree: bool = True,
    channels: Sequence[str] = (),
    unit: Account | None = None,
    person: Contact | None = None,
    since: date | None = None,
    until: date | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Interaction]:
    """Interactions newest first: everyone's, an account's (rolled up its tree), or a contact's."""
    limit = clamp_limit(limit)
    queryset = access.scope(user, Interaction.objects.all())
    if account is not None:
        if not subtree:
            queryset = queryset.filter(account=account)
        elif account.is_customer_root:
            queryset = queryset.filter(customer_id=account.pk)
        else:
            queryset = queryset.filter(
                customer_id=account.customer_id, account__path__startswith=account.path
            )
    if unit is not None:
        queryset = queryset.filter(
            customer_id=unit.customer_id, account__path__startswith=unit.path
        )
    if contact is not None:
        queryset = queryset.filter(participants__contact=contact)
    if person is not None:
        queryset = queryset.filter(participants__contact=person)
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        raise InvalidInput(f"Unknown channel {unknown[0]!r}.", field="channel")
    if channels:
        queryset = queryset.filter(channel__in=list(channels))
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=_day_start(since))
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=_day_start(until) + timedelta(days=1))
    if since and until and since > until:
        raise InvalidInput("'since' is after 'until'.", field="since")
    queryset = newest_after(queryset, cursor, "occurred_at")
    rows = list(_timeline_rows(queryset.order_by("-occurred_at", "-id"), user)[: limit + 1])
    return page_of(rows, limit, lambda i: [i.occurred_at, i.id])


def _timeline_rows(queryset: QuerySet[Interaction], user: User) -> QuerySet[Interaction]:
    """`_with_people` for timeline rows: every field of the interaction, and of what it
    points to only the names a row shows (and the API's references carry)."""
    own = [field.attname for field in Interaction._meta.concrete_fields]
    people = _people(user).only(
        "id", "interaction_id", "side", "contact_id", "user_id",
        *(f"contact__{f}" for f in _REF["contact"]),
        *(f"user__{f}" for f in _REF["user"]),
    )  # fmt: skip
    return (
        queryset.select_related("account", "partner", "logged_by")
        .only(
            *own,
            *(f"account__{f}" for f in _REF["account"]),
            "partner__id",
            "partner__name",
            *(f"logged_by__{f}" for f in _REF["user"]),
        )
        .prefetch_related(Prefetch("participants", queryset=people))
    )


# --- search, pickers and the signed-in user's dashboard -------------------------------


def interaction_search(
    *, user: User, q: str, cursor: str | None = None, limit: int | None = None
) -> Page[Interaction]:
    """Interactions whose subject mentions every word of `q`, newest first.

    Only the subject, which PostgreSQL answers from a trigram index; matching summaries
    too would scan every interaction (millions at scale) until full-text search lands.
    """
    limit = clamp_limit(limit, default=10)
    queryset = access.scope(user, Interaction.objects.all())
    for term in q.split()[:4]:
        queryset = queryset.filter(subject__icontains=term)
    queryset = newest_after(queryset, cursor, "occurred_at")
    rows = list(_with_people(queryset.order_by("-occurred_at", "-id"), user)[: limit + 1])
    return page_of(rows, limit, lambda i: [i.occurred_at, i.id])


def colleague_choices(*, user: User) -> list[User]:
    """Our active staff, for the "our participants" picker; nobody for outside users."""
    if not access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        return []
    ours = access.roles_with(access.Capability.ACT_FOR_US)
    return list(User.objects.filter(is_active=True, role__in=ours).order_by("full_name", "id"))


@dataclass
class EngagementSummary:
    organisations: int
    contacts: int
    interactions_30d: int


def engagement_summary(*, user: User, days: int = 30) -> EngagementSummary:
    """Headline figures for the home page: three counts, each bounded by an index.

    Interactions are counted over the last `days` only (an `ix_timeline` range scan):
    a full count of millions of rows would dominate the page.
    """
    since = timezone.now() - timedelta(days=days)
    accounts = access.visible_accounts(user)
    if access.sees_everything(user):
        organisations = accounts.filter(depth=1).count()
    else:
        organisations = accounts.values("customer_id").distinct().count()
    return EngagementSummary(
        organisations=organisations,
        contacts=access.scope(user, Contact.objects.all()).count(),
        interactions_30d=access.scope(
            user, Interaction.objects.filter(occurred_at__gte=since)
        ).count(),
    )


@dataclass
class ManagedAccount:
    account: Account
    last_interaction_at: datetime | None
    interactions: int

    @property
    def quiet_days(self) -> int | None:
        if self.last_interaction_at is None:
            return None
        return (timezone.now() - self.last_interaction_at).days


def my_accounts(*, user: User, max_accounts: int = 500) -> list[ManagedAccount]:
    """The accounts the user manages (topmost only), each with its activity rolled up its subtree.

    Two queries: the managed accounts, then every unit of their organisations (the
    per-unit counters kept by the interaction services are summed here, not recounted).
    Most recently active first; never-contacted accounts last.
    """
    managed = list(
        access.visible_accounts(user)
        .filter(manager_id=user.pk)
        .select_related("customer")
        .order_by("path")[:max_accounts]
    )
    # A unit whose ancestor the user also manages is already inside that ancestor's roll-up.
    managed_paths = {a.path for a in managed}
    step = Account.steplen
    managed = [
        a
        for a in managed
        if not any(a.path[: step * depth] in managed_paths for depth in range(1, a.depth))
    ]
    if not managed:
        return []
    by_organisation: dict[int, list[Account]] = {}
    for account in managed:
        by_organisation.setdefault(account.customer_id or account.pk, []).append(account)
    units = (
        access.visible_accounts(user)
        .filter(customer_id__in=by_organisation)
        .values_list("customer_id", "path", "last_interaction_at", "interaction_count")
    )
    latest: dict[int, datetime | None] = {a.pk: None for a in managed}
    counts: dict[int, int] = dict.fromkeys(latest, 0)
    for organisation_id, path, last_at, count in units:
        for account in by_organisation[organisation_id]:
            if path.startswith(account.path):
                counts[account.pk] += count
                seen = latest[account.pk]
                if last_at and (seen is None or last_at > seen):
                    latest[account.pk] = last_at
    rows = [ManagedAccount(a, latest[a.pk], counts[a.pk]) for a in managed]
    rows.sort(
        key=lambda r: (r.last_interaction_at is not None, r.last_interaction_at), reverse=True
    )
    return rows


def gone_quiet(
    rows: Sequence[ManagedAccount],
    *,
    days: int = 90,
    learned: dict[int, tuple[bool, datetime]] | None = None,
) -> list[ManagedAccount]:
    """Of the given managed accounts, those gone quiet, quietest first.

    Where a rhythm was learned (`learned`: account id -> (quiet, computed at), from
    `learned_quiet`), the last recompute decides, unless we were in touch since; else
    no interaction for `days` does.
    """
    cutoff = timezone.now() - timedelta(days=days)
    learned = learned or {}

    def is_quiet(row: ManagedAccount) -> bool:
        if row.account.pk in learned:
            quiet, computed_at = learned[row.account.pk]
            return quiet and (
                row.last_interaction_at is None or row.last_interaction_at <= computed_at
            )
        return row.last_interaction_at is None or row.last_interaction_at < cutoff

    quiet = [r for r in rows if is_quiet(r)]
    quiet.sort(key=lambda r: (r.last_interaction_at is not None, r.last_interaction_at))
    return quiet


# --- threads and commitments: where we left off (X2) --------------------------------------

# Enough for a card at the top of a page; the counts say how many more there are.
LEFT_OFF_THREADS = 8
LEFT_OFF_COMMITMENTS = 10
# The department view groups in Python; these caps keep one organisation's rows bounded.
BY_UNIT_THREADS = 1000
BY_UNIT_COMMITMENTS = 2000
MY_COMMITMENTS = 200

_LISTENING = (Direction.INBOUND, Direction.TWO_WAY)


def _threads(user: User) -> QuerySet[Thread]:
    return access.scope(user, Thread.objects.all()).select_related(
        "account", "opened_by", "last_interaction"
    )


def _commitments(user: User) -> QuerySet[Commitment]:
    queryset = access.scope(user, Commitment.objects.all())
    if not access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        # That we are late with what we owe is our side of the story, not theirs to read.
        overdue = Q(status=CommitmentStatus.OPEN, due_on__lt=timezone.localdate())
        queryset = queryset.exclude(overdue, owed_by=Side.US)
    return queryset.select_related(
        "account", "owner_user", "owner_contact", "thread", "interaction", "done_by"
    )


# What a card row and the API's ThreadOut / CommitmentOut read of each row and its
# relations, and no more: a join's every column costs compiling and building on every
# request, and the rows only ever show names.
_REF = {
    "account": ("id", "name"),
    "user": ("id", "full_name", "email"),
    "contact": ("id", "first_name", "last_name", "title"),
}
THREAD_CARD_FIELDS = (
    "id", "created_at", "customer_id", "account_id", "title", "status", "opened_by_id",
    "closed_at", "last_interaction_id", "last_interaction_at",
    *(f"account__{f}" for f in _REF["account"]),
    *(f"opened_by__{f}" for f in _REF["user"]),
    *(f"last_interaction__{f}" for f in
      ("id", "customer_id", "subject", "occurred_at", "channel", "direction")),
)  # fmt: skip
COMMITMENT_CARD_FIELDS = (
    "id", "version", "created_at", "customer_id", "account_id", "interaction_id", "thread_id",
    "owed_by", "owner_user_id", "owner_contact_id", "description", "due_on", "status",
    "done_at", "done_by_id",
    *(f"account__{f}" for f in _REF["account"]),
    *(f"owner_user__{f}" for f in _REF["user"]),
    *(f"owner_contact__{f}" for f in _REF["contact"]),
    *(f"done_by__{f}" for f in _REF["user"]),
    "thread__id", "thread__title",
)  # fmt: skip

LAST_TOLD_FIELDS = (
    "id", "customer_id", "account_id", "subject", "summary", "occurred_at", "channel",
    "direction", *(f"account__{f}" for f in _REF["account"]),
)  # fmt: skip


def _with_last_exchange(queryset: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    """Threads with the people of their last exchange, in one more query for all of them."""
    return queryset.prefetch_related(
        Prefetch(
            "last_interaction__participants",
            queryset=_people(user).only(
                "id",
                "interaction_id",
                "side",
                "contact_id",
                "user_id",
                *(f"contact__{f}" for f in _REF["contact"]),
                *(f"user__{f}" for f in _REF["user"]),
            ),
        )
    )


def _by_due_date(queryset: QuerySet[Commitment]) -> QuerySet[Commitment]:
    return queryset.order_by(F("due_on").asc(nulls_last=True), "id")


def _in_subtree(queryset: QuerySet[M], account: Account) -> QuerySet[M]:
    """Rows of the account and every unit below it: an organisation is one index range."""
    if account.is_customer_root:
        return queryset.filter(customer_id=account.pk)
    return queryset.filter(customer_id=account.customer_id, account__path__startswith=account.path)


def thread_get(*, user: User, pk: int) -> Thread:
    """One thread the user may see."""
    return access.get_visible(_threads(user), user, pk=pk)


def thread_list(
    *,
    user: User,
    account: Account,
    status: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Thread]:
    """The account's threads (rolled up its subtree), newest first, keyset-paginated."""
    limit = clamp_limit(limit)
    queryset = _in_subtree(_threads(user), account)
    if status:
        if status not in ThreadStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
        queryset = queryset.filter(status=status)
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        if not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(id__lt=last_id)
    rows = list(_with_last_exchange(queryset.order_by("-id"), user)[: limit + 1])
    return page_of(rows, limit, lambda t: [t.id])


def thread_interactions(*, user: User, thread: Thread, limit: int = 100) -> list[Interaction]:
    """The thread's interactions, newest first (the latest `limit`)."""
    queryset = access.scope(user, Interaction.objects.filter(thread=thread))
    return list(_with_people(queryset.order_by("-occurred_at", "-id"), user)[:limit])


def thread_commitments(*, user: User, thread: Thread, limit: int = 200) -> list[Commitment]:
    """Every commitment made on the thread: open ones first, then by due date."""
    queryset = _commitments(user).filter(thread=thread)
    rows = list(_by_due_date(queryset)[:limit])
    rows.sort(key=lambda c: c.status != CommitmentStatus.OPEN)
    return rows


def open_threads_for_picker(*, user: User, account: Account, limit: int = 50) -> list[Thread]:
    """The organisation's open threads, most recently active first, for the logging form."""
    queryset = _threads(user).filter(customer_id=account.customer_pk, status=ThreadStatus.OPEN)
    return list(queryset.order_by(F("last_interaction_at").desc(nulls_last=True), "-id")[:limit])


def commitment_get(*, user: User, pk: int) -> Commitment:
    """One commitment the user may see."""
    return access.get_visible(_commitments(user), user, pk=pk)


def commitment_list(
    *,
    user: User,
    account: Account | None = None,
    status: str | None = None,
    owed_by: str | None = None,
    overdue: bool | None = None,
    owner_user: User | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Commitment]:
    """Commitments by due date (undated last), filtered, keyset-paginated."""
    limit = clamp_limit(limit)
    queryset = _commitments(user)
    if account is not None:
        queryset = _in_subtree(queryset, account)
    if status:
        if status not in CommitmentStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
        queryset = queryset.filter(status=status)
    if owed_by:
        if owed_by not in Side.values:
            raise InvalidInput(f"Unknown side {owed_by!r}.", field="owed_by")
        queryset = queryset.filter(owed_by=owed_by)
    today = timezone.localdate()
    overdue_q = Q(status=CommitmentStatus.OPEN, due_on__lt=today)
    if overdue is True:
        queryset = queryset.filter(overdue_q)
    elif overdue is False:
        queryset = queryset.exclude(overdue_q)
    if owner_user is not None:
        queryset = queryset.filter(owner_user=owner_user)
    if cursor:
        raw_due, last_id = decode_cursor(cursor, 2)
        if not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        if raw_due is None:
            queryset = queryset.filter(due_on__isnull=True, id__gt=last_id)
        else:
            try:
                last_due = date.fromisoformat(str(raw_due))
            except ValueError:
                raise InvalidInput("The cursor is not valid.", field="cursor") from None
            queryset = queryset.filter(
                Q(due_on__gt=last_due) | Q(due_on=last_due, id__gt=last_id) | Q(due_on__isnull=True)
            )
    rows = list(_by_due_date(queryset)[: limit + 1])
    return page_of(rows, limit, lambda c: [c.due_on, c.id])


def my_commitments(*, user: User, limit: int = MY_COMMITMENTS) -> list[Commitment]:
    """What the signed-in user owes customers: open, overdue first, then by due date."""
    queryset = _commitments(user).filter(
        owner_user=user, status=CommitmentStatus.OPEN, owed_by=Side.US
    )
    return list(_by_due_date(queryset)[:limit])


@dataclass
class LeftOff:
    """Where we left off with an account, a unit or a contact: one card's worth."""

    threads: list[Thread]
    open_threads: int
    ours: list[Commitment]
    theirs: list[Commitment]
    open_ours: int
    open_theirs: int
    overdue_count: int
    # The latest inbound or two-way interaction: the last thing they told us.
    last_told: Interaction | None

    @property
    def overdue(self) -> list[Commitment]:
        """The overdue commitments shown, on both sides, most overdue first."""
        late = [c for c in [*self.ours, *self.theirs] if c.is_overdue]
        return sorted(late, key=lambda c: (c.due_on, c.pk))

    @property
    def is_empty(self) -> bool:
        return not (self.threads or self.ours or self.theirs or self.last_told)


def where_we_left_off(
    *,
    user: User,
    account: Account | None = None,
    contact: Contact | None = None,
    unit: Account | None = None,
) -> LeftOff:
    """Open threads with their last exchange, open commitments both ways, the last thing told.

    For an account or a unit, rolled up its subtree; for a contact, the threads and
    commitments of interactions they took part in and what they owe themselves. Four
    queries whatever the size: the threads (with their open count), the last exchanges'
    people, both sides' commitments (each cut to a card's length, with the counts), and
    the last thing told.
    """
    threads = _threads(user).filter(status=ThreadStatus.OPEN)
    commitments = _commitments(user).filter(status=CommitmentStatus.OPEN)
    told = access.scope(user, Interaction.objects.filter(direction__in=_LISTENING))
    target = unit or account
    if contact is not None:
        took_part = Participant.objects.filter(contact=contact).values("interaction_id")
        threads = threads.filter(
            customer_id=contact.customer_id,
            pk__in=Interaction.objects.filter(pk__in=took_part, thread__isnull=False).values(
                "thread_id"
            ),
        )
        commitments = commitments.filter(customer_id=contact.customer_id).filter(
            Q(owner_contact=contact) | Q(interaction_id__in=took_part)
        )
        told = told.filter(customer_id=contact.customer_id, participants__contact=contact)
    elif target is not None:
        threads = _in_subtree(threads, target)
        commitments = _in_subtree(commitments, target)
        told = _in_subtree(told, target)
    else:
        raise InvalidInput("Say whose relationship to show.", field="account")
    # The counts ride along as window aggregates over the whole open set (evaluated before
    # the LIMIT), so a card is one query per list however many rows are open.
    shown_threads = list(
        _with_last_exchange(
            threads.only(*THREAD_CARD_FIELDS)
            .annotate(open_total=Window(Count("id")))
            .order_by(F("last_interaction_at").desc(nulls_last=True), "-id"),
            user,
        )[: LEFT_OFF_THREADS + 1]
    )
    open_threads: int = getattr(shown_threads[0], "open_total", 0) if shown_threads else 0
    today = timezone.localdate()
    ours_first = Case(When(owed_by=Side.US, then=Value(0)), default=Value(1))
    due_order = [F("due_on").asc(nulls_last=True), F("id").asc()]
    both = list(
        _by_due_date(commitments)
        .select_related(None)
        .select_related("account", "owner_user", "owner_contact", "thread", "done_by")
        .only(*COMMITMENT_CARD_FIELDS)
        .annotate(
            side_rank=Window(RowNumber(), partition_by=[ours_first], order_by=due_order),
            side_total=Window(Count("id"), partition_by=[ours_first]),
            overdue_total=Window(Count("id", filter=Q(due_on__lt=today))),
        )
        .filter(side_rank__lte=LEFT_OFF_COMMITMENTS)
    )
    ours: list[Commitment] = [c for c in both if c.owed_by == Side.US]
    theirs: list[Commitment] = [c for c in both if c.owed_by != Side.US]
    open_ours: int = getattr(ours[0], "side_total", 0) if ours else 0
    open_theirs: int = getattr(theirs[0], "side_total", 0) if theirs else 0
    overdue = both[0].overdue_total if both else 0
    last_told = (
        told.select_related("account")
        .only(*LAST_TOLD_FIELDS)
        .order_by("-occurred_at", "-id")
        .first()
    )
    return LeftOff(
        threads=shown_threads[:LEFT_OFF_THREADS],
        open_threads=open_threads,
        ours=ours,
        theirs=theirs,
        open_ours=open_ours,
        open_theirs=open_theirs,
        overdue_count=overdue,
        last_told=last_told,
    )


@dataclass
class UnitLeftOff:
    """One department's section of the department view."""

    unit: Account
    threads: list[Thread] = field(default_factory=list)
    ours: list[Commitment] = field(default_factory=list)
    theirs: list[Commitment] = field(default_factory=list)

    @property
    def overdue(self) -> list[Commitment]:
        return sorted(
            (c for c in [*self.ours, *self.theirs] if c.is_overdue), key=lambda c: (c.due_on, c.pk)
        )


@dataclass
class LeftOffByUnit:
    sections: list[UnitLeftOff]
    quiet_units: int
    truncated: bool


def where_we_left_off_by_unit(*, user: User, account: Account) -> LeftOffByUnit:
    """The same view for every unit below `account` (itself included), one section each.

    Four queries: the units, the open threads with their last exchange's people, the
    open commitments; grouped here by the unit each row belongs to (not rolled up, so
    nothing shows twice).
    """
    units = list(
        access.visible_accounts(user)
        .filter(customer_id=account.customer_pk, path__startswith=account.path)
        .order_by("path")
    )
    sections = {u.pk: UnitLeftOff(unit=u) for u in units}
    threads = list(
        _with_last_exchange(
            _in_subtree(_threads(user).filter(status=ThreadStatus.OPEN), account).order_by(
                F("last_interaction_at").desc(nulls_last=True), "-id"
            ),
            user,
        )[: BY_UNIT_THREADS + 1]
    )
    commitments = list(
        _by_due_date(_in_subtree(_commitments(user).filter(status=CommitmentStatus.OPEN), account))[
            : BY_UNIT_COMMITMENTS + 1
        ]
    )
    truncated = len(threads) > BY_UNIT_THREADS or len(commitments) > BY_UNIT_COMMITMENTS
    for thread in threads[:BY_UNIT_THREADS]:
        if thread.account_id in sections:
            sections[thread.account_id].threads.append(thread)
    for commitment in commitments[:BY_UNIT_COMMITMENTS]:
        if commitment.account_id in sections:
            section = sections[commitment.account_id]
            (section.ours if commitment.owed_by == Side.US else section.theirs).append(commitment)
    busy = [s for s in sections.values() if s.threads or s.ours or s.theirs]
    return LeftOffByUnit(sections=busy, quiet_units=len(sections) - len(busy), truncated=truncated)


# --- quiet intervals (X8) -----------------------------------------------------------------


def _sees_alerts(user: User) -> bool:
    """Staff and partner users see quiet alerts (of their accounts); portal users do not."""
    return access.can(user, access.Capability.WATCH_CADENCE)


@dataclass
class QuietAlert:
    """One organisation gone quiet: its learned rhythm, and how long it has been silent now."""

    cadence: AccountCadence
    quiet_days: int
    overdue_days: int

    @property
    def organisation(self) -> Account:
        return self.cadence.customer


def quiet_alerts(
    *, user: User, cursor: str | None = None, limit: int | None = None
) -> Page[QuietAlert]:
    """Organisations quiet beyond their own rhythm, most valuable first, keyset-paginated."""
    if not _sees_alerts(user):
        raise NotFound("alerts not found")
    limit = clamp_limit(limit)
    queryset = access.scope(
        user,
        AccountCadence.objects.filter(is_quiet=True, customer__deleted_at__isnull=True),
        via="customer",
    ).select_related("customer", "customer__manager")
    if cursor:
        weight, last_id = decode_cursor(cursor, 2)
        if not isinstance(weight, int | float) or not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(
            Q(value_weight__lt=weight) | Q(value_weight=weight, customer_id__gt=last_id)
        )
    rows = list(queryset.order_by("-value_weight", "customer_id")[: limit + 1])
    page = page_of(rows, limit, lambda c: [c.value_weight, c.customer_id])
    now = timezone.now()
    alerts = []
    for row in page.items:
        quiet = (now - row.last_exchange_at).days if row.last_exchange_at else 0
        overdue = max(quiet - round(row.allowed_gap_days or 0), 0)
        alerts.append(QuietAlert(row, quiet, overdue))
    return Page(alerts, page.next_cursor)


def cadence_last_run(*, user: User) -> datetime | None:
    """When the rhythms were last learned (None before the first run)."""
    if not _sees_alerts(user):
        raise NotFound("alerts not found")
    return AccountCadence.objects.aggregate(last=Max("computed_at"))["last"]


def cadence_run_state(*, user: User) -> str:
    """The state of the latest recompute while it is queued or running ("" otherwise)."""
    if not _sees_alerts(user):
        raise NotFound("alerts not found")
    latest = Run.objects.filter(job="cadence").only("status", "heartbeat_at").first()
    if latest is None or latest.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return ""
    if latest.status == RunStatus.RUNNING and runs.sweep():
        latest.refresh_from_db(fields=["status"])  # its worker died: it reads as failed
    return latest.status if latest.status != RunStatus.FAILED else ""


def learned_quiet(*, accounts: Sequence[Account]) -> dict[int, tuple[bool, datetime]]:
    """For those accounts that are organisations with a learned rhythm: quiet?, and as of when."""
    roots = [a.pk for a in accounts if a.is_customer_root]
    if not roots:
        return {}
    rows = AccountCadence.objects.filter(customer_id__in=roots).values_list(
        "customer_id", "is_quiet", "computed_at"
    )
    return {pk: (quiet, computed_at) for pk, quiet, computed_at in rows}
