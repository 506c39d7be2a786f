"""Export of the lists: the same filters and the same selectors as the list pages.

Each list reads its filters from a query string with the list page's own form, then walks
the list page's selector a page at a time (keyset cursors), so an export holds one page
in memory, honours the user's scope exactly as the page does, and streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import QueryDict

from rapport.accounts import selectors as account_selectors
from rapport.accounts.forms import (
    AccountFilterForm,
    ContactFilterForm,
    EndUserFilterForm,
    SearchForm,
    read_query,
)
from rapport.accounts.models import Account
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page

PAGE = 200
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportList:
    """A list that can be exported: its title, its columns and its rows for a user's filters.

    `columns` is the header, or a function giving it where a setting decides the columns
    (contacts carry a date of birth only where the deployment keeps one).
    """

    name: str
    title: str
    columns: tuple[str, ...] | Callable[[], tuple[str, ...]]
    rows: Callable[[User, QueryDict], Iterator[Sequence[Any]]]

    @property
    def header(self) -> tuple[str, ...]:
        """The column names, first row of the file."""
        return self.columns() if callable(self.columns) else self.columns


def _pages(fetch: Callable[[str | None], Page[Any]]) -> Iterator[Any]:
    """Every item of a keyset-paginated selector, a page at a time."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _account(user: User, pk: int | None) -> Account | None:
    if pk is None:
        return None
    try:
        return account_selectors.account_get(user=user, pk=pk)
    except NotFound:
        raise InvalidInput(
            "Invalid value for 'account': no such account.", field="account"
        ) from None


def _account_param(user: User, query: QueryDict) -> Account | None:
    raw = query.get("account") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput("Invalid value for 'account': enter a whole number.", field="account")
    return _account(user, int(raw))


# --- accounts and people -------------------------------------------------------------------


def _accounts(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    params = read_query(AccountFilterForm(query))
    items = _pages(
        lambda cursor: account_selectors.account_list(
            user=user,
            q=params["q"],
            stage=params["stage"],
            industry=params["industry"],
            manager_id=params["manager"],
            cursor=cursor,
            limit=PAGE,
        )
    )
    for account in items:
        yield (
            account.pk,
            account.name,
            account.get_kind_display(),
            account.customer.name if account.customer_id != account.pk and account.customer else "",
            account.get_lifecycle_stage_display(),
            account.industry,
            account.website,
            account.street,
            account.postcode,
            account.city,
            account.region,
            account.country,
            account.employees,
            account.manager.email if account.manager else "",
            account.interaction_count,
            account.last_interaction_at,
        )


def _contact_rows(user: User, contacts: Iterator[Any]) -> Iterator[Sequence[Any]]:
    batch: list[Any] = []

    birth_date = settings.RAPPORT_CONTACT_BIRTH_DATE

    def flush() -> Iterator[Sequence[Any]]:
        emails = account_selectors.primary_emails(user=user, contacts=batch)
        phones = account_selectors.primary_phones(user=user, contacts=batch)
        for contact in batch:
            roles = ", ".join(
                r.get_role_display() for r in contact.buying_roles.all() if not r.deleted_at
            )
            row = (
                contact.pk,
                contact.first_name,
                contact.last_name,
                contact.title,
                contact.account.name,
                contact.customer.name,
                contact.get_status_display(),
                emails.get(contact.pk, ""),
                phones.get(contact.pk, ""),
                contact.street,
                contact.postcode,
                contact.city,
                contact.region,
                contact.country,
                roles,
                contact.last_engaged_at,
            )
            yield (*row, contact.date_of_birth) if birth_date else row

    for contact in contacts:
        batch.append(contact)
        if len(batch) == PAGE:
            yield from flush()
            batch = []
    yield from flush()


def _contacts(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    params = read_query(ContactFilterForm(query))
    account = _account(user, params["account"])
    items = _pages(
        lambda cursor: account_selectors.contact_list(
            user=user,
            q=params["q"],
            account=account,
            role=params["role"],
            status=params["status"],
            cursor=cursor,
            limit=PAGE,
        )
    )
    return _contact_rows(user, items)


def _end_users(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    params = read_query(EndUserFilterForm(query))
    account = _account(user, params["account"])
    items = _pages(
        lambda cursor: account_selectors.end_users(
            user=user, account=account, q=params["q"], cursor=cursor, limit=PAGE
        )
    )
    return _contact_rows(user, items)


def _partners(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    q = read_query(SearchForm(query))["q"]
    for partner in account_selectors.partner_list(user=user, q=q).iterator(chunk_size=PAGE):
        yield (
            partner.pk,
            partner.name,
            partner.get_kind_display(),
            partner.website,
            partner.country,
            partner.account_count,  # type: ignore[attr-defined]
        )


# --- the timeline --------------------------------------------------------------------------


def _interactions(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    from rapport.interactions import selectors as interaction_selectors
    from rapport.interactions.forms import TimelineFilterForm

    form = TimelineFilterForm(query)
    data = read_query(form)
    account = _account_param(user, query)
    items = _pages(
        lambda cursor: interaction_selectors.timeline(
            user=user,
            account=account,
            channels=data["channel"],
            since=data["since"],
            until=data["until"],
            cursor=cursor,
            limit=PAGE,
        )
    )
    for interaction in items:
        people = list(interaction.participants.all())
        yield (
            interaction.pk,
            interaction.occurred_at,
            interaction.get_channel_display(),
            interaction.get_direction_display(),
            interaction.subject,
            interaction.account.name,
            "; ".join(p.contact.full_name for p in people if p.contact_id and p.contact),
            "; ".join(p.user.email for p in people if p.user_id and p.user),
            interaction.get_outcome_display() if interaction.outcome else "",
            interaction.next_step,
            interaction.summary,
        )


# --- orders and contracts ----------------------------------------------------------------


def _order_lines(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    from rapport.valuation import selectors as valuation_selectors

    account = _account_param(user, query)
    costs = access.can(user, access.Capability.SEE_COSTS)
    items = _pages(
        lambda cursor: valuation_selectors.order_line_list(
            user=user, account=account, cursor=cursor, limit=PAGE
        )
    )
    for line in items:
        yield (
            line.pk,
            line.ordered_on,
            line.account.name,
            line.order_ref,
            line.product,
            line.category.name,
            line.quantity,
            line.revenue,
            line.cost if costs else "",
            line.discount if costs else "",
            line.external_id,
        )


def _subscriptions(user: User, query: QueryDict) -> Iterator[Sequence[Any]]:
    from rapport.valuation import selectors as valuation_selectors

    account = _account_param(user, query)
    costs = access.can(user, access.Capability.SEE_COSTS)
    status = query.get("status", "")
    items = _pages(
        lambda cursor: valuation_selectors.subscription_list(
            user=user, account=account, status=status, cursor=cursor, limit=PAGE
        )
    )
    for item in items:
        yield (
            item.pk,
            item.name,
            item.account.name,
            item.category.name,
            item.get_status_display(),
            item.started_on,
            item.ends_on,
            item.renewal_on,
            item.get_billing_period_display(),
            item.recurring_revenue,
            item.recurring_cost if costs else "",
            item.external_id,
        )


# Named as the contact import names its columns, so that a file exported and imported
# again maps itself (and adds nobody: its people are found by their e-mail and name).
CONTACT_HEADER = (
    "id", "first name", "last name", "title", "account", "organisation", "status",
    "e-mail", "phone", "street", "postcode", "city", "region", "country",
    "buying roles", "last engaged",
)  # fmt: skip


def contact_header() -> tuple[str, ...]:
    """The contact columns, with the date of birth where the deployment keeps it."""
    if settings.RAPPORT_CONTACT_BIRTH_DATE:
        return (*CONTACT_HEADER, "date of birth")
    return CONTACT_HEADER


LISTS: dict[str, ExportList] = {
    item.name: item
    for item in (
        ExportList(
            "accounts",
            "Accounts",
            (
                "id",
                "name",
                "kind",
                "organisation",
                "lifecycle stage",
                "industry",
                "website",
                "street",
                "postcode",
                "city",
                "region",
                "country",
                "employees",
                "account manager",
                "interactions",
                "last interaction",
            ),
            _accounts,
        ),
        ExportList("contacts", "Contacts", contact_header, _contacts),
        ExportList("end-users", "End users", contact_header, _end_users),
        ExportList(
            "partners",
            "Partners",
            ("id", "name", "kind", "website", "country", "accounts served"),
            _partners,
        ),
        ExportList(
            "interactions",
            "Interactions",
            (
                "id",
                "occurred at",
                "channel",
                "direction",
                "subject",
                "account",
                "contacts",
                "our people",
                "outcome",
                "next step",
                "summary",
            ),
            _interactions,
        ),
        ExportList(
            "order-lines",
            "Order lines",
            (
                "id",
                "ordered on",
                "account",
                "order",
                "product",
                "category",
                "quantity",
                "revenue",
                "cost",
                "discount",
                "external id",
            ),
            _order_lines,
        ),
        ExportList(
            "subscriptions",
            "Subscriptions",
            (
                "id",
                "name",
                "account",
                "category",
                "status",
                "started on",
                "ends on",
                "renewal on",
                "billing period",
                "recurring revenue",
                "recurring cost",
                "external id",
            ),
            _subscriptions,
        ),
    )
}


def list_add(found: ExportList) -> None:
    """Take a list a higher app holds (the catalog, price agreements: offers).

    Called once, from that app's AppConfig.ready: transfer never imports the apps above it.
    """
    LISTS[found.name] = found


def export_list(name: str) -> ExportList:
    """The list of that name, or NotFound."""
    found = LISTS.get(name)
    if found is None:
        raise NotFound(f"No list {name!r} to export; try {', '.join(LISTS)}.")
    return found


def export_rows(
    *, user: User, name: str, query: QueryDict
) -> tuple[ExportList, Iterator[Sequence[Any]]]:
    """The list and its rows for the user and filters; bad filters fail here, before streaming."""
    found = export_list(name)
    rows = found.rows(user, query)
    # Run the generator to its first row now, so bad input is a 400, not a broken stream.
    first = next(rows, None)

    def all_rows() -> Iterator[Sequence[Any]]:
        if first is not None:
            yield first
            yield from rows

    return found, all_rows()
