"""What every Identify page shares: the writer check, query-string parsing, error display."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.dateformat import format as date_format

from rapport.accounts import selectors
from rapport.accounts.forms import read_query
from rapport.accounts.models import Account
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.requests import AuthenticatedRequest


def filters(form_class: type, request: HttpRequest) -> dict[str, Any]:
    """The request's query-string filters, cleaned; bad values are a 400 naming the parameter."""
    return read_query(form_class(request.GET))


def account_param(
    request: AuthenticatedRequest, pk: int | None, name: str = "account"
) -> Account | None:
    """The account a query-string parameter names; an unknown or hidden one is bad input."""
    if pk is None:
        return None
    try:
        return selectors.account_get(user=request.user, pk=pk)
    except NotFound:
        raise InvalidInput(f"Invalid value for '{name}': no such account.", field=name) from None


# Tree bookkeeping and derived columns a reader of the audit has no use for.
HIDDEN_FIELDS = frozenset(
    {"path", "depth", "numchild", "customer", "normalized", "match_key", "web_domain"}
)


def _shown(value: Any, names: dict[Any, str]) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "strftime"):
        return date_format(value, "j M Y")
    return str(names.get(value, value))


def readable_changes(
    changes: list[Any], names: dict[str, dict[Any, str]]
) -> list[tuple[str, str, str]]:
    """An audit entry's field changes as (label, before, after), with ids and codes named."""
    return [
        (
            change.label,
            _shown(change.old, names.get(change.field, {})),
            _shown(change.new, names.get(change.field, {})),
        )
        for change in changes
        if change.field not in HIDDEN_FIELDS
    ]
