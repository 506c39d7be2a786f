"""Reads of the timeline, always scoped by core.access and keyset-paginated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import InvalidInput
from rapport.core.models import STAFF_ROLES, User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.interactions.models import Channel, Interaction, Participant


def _with_people(queryset: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return queryset.select_related("account", "partner", "logged_by").prefetch_related(
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("contact", "user").order_by("side", "id"),
        )
    )


def interaction_get(*, user: User, pk: int) -> Interaction:
    """One interaction the user may see, with its people."""
    return access.get_visible(_with_people(Interaction.objects.all()), user, pk=pk)


def _cursor_time(raw: object) -> datetime | None:
    """The aware time a cursor holds, or None for a tampered one (never a ValueError)."""
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


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
    if cursor:
        raw_at, last_id = decode_cursor(cursor, 2)
        last_at = _cursor_time(raw_at)
        if last_at is None or not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        # The redundant <= bound lets the database start its index scan at the cursor.
        queryset = queryset.filter(occurred_at__lte=last_at).filter(
            Q(occurred_at__lt=last_at) | Q(id__lt=last_id)
        )
    rows = list(_with_people(queryset.order_by("-occurred_at", "-id"))[: limit + 1])
    return page_of(rows, limit, lambda i: [i.occurred_at, i.id])


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
    if cursor:
        raw_at, last_id = decode_cursor(cursor, 2)
        last_at = _cursor_time(raw_at)
        if last_at is None or not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(occurred_at__lte=last_at).filter(
            Q(occurred_at__lt=last_at) | Q(id__lt=last_id)
        )
    rows = list(_with_people(queryset.order_by("-occurred_at", "-id"))[: limit + 1])
    return page_of(rows, limit, lambda i: [i.occurred_at, i.id])


def colleague_choices(*, user: User) -> list[User]:
    """Our active staff, for the "our participants" picker; nobody for outside users."""
    if not getattr(user, "is_internal", False):
        return []
    return list(
        User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("full_name", "id")
    )


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


def gone_quiet(rows: Sequence[ManagedAccount], *, days: int = 90) -> list[ManagedAccount]:
    """Of the given managed accounts, those with no interaction for `days`, quietest first."""
    cutoff = timezone.now() - timedelta(days=days)
    quiet = [r for r in rows if r.last_interaction_at is None or r.last_interaction_at < cutoff]
    quiet.sort(key=lambda r: (r.last_interaction_at is not None, r.last_interaction_at))
    return quiet
