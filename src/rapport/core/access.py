"""The one permission choke point: which accounts (and so which rows) a user may see.

Every selector starts here. Staff roles see every account; a partner user sees the
accounts its partner serves (with their units); a portal user sees its own account's
subtree. Missing and forbidden rows are answered alike, with NotFound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet

from rapport.core.errors import NotFound, PermissionDenied
from rapport.core.models import STAFF_ROLES, Role

if TYPE_CHECKING:
    from rapport.accounts.models import Account

M = TypeVar("M", bound=Model)

_NOTHING = Q(pk__in=[])
_CACHE_ATTR = "_rapport_account_prefixes"


def _subtree_prefixes(user: Any) -> list[str] | None:
    """Tree paths whose subtrees the user may see; None means every account."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.role in STAFF_ROLES:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return list(cached)
    from rapport.accounts.models import Account, PartnerLink

    if user.role == Role.PORTAL and user.account_id:
        prefixes = list(Account.objects.filter(pk=user.account_id).values_list("path", flat=True))
    elif user.role == Role.PARTNER and user.partner_id:
        prefixes = list(
            PartnerLink.objects.filter(
                partner_id=user.partner_id,
                partner__deleted_at__isnull=True,
                ended_on__isnull=True,
                account__deleted_at__isnull=True,
            ).values_list("account__path", flat=True)
        )
    else:
        prefixes = []
    setattr(user, _CACHE_ATTR, tuple(prefixes))
    return prefixes


def account_filter(user: Any, via: str = "") -> Q | None:
    """A Q limiting rows to the user's accounts, through the account field named by `via`.

    `via=""` filters Account itself; `via="account"` any row with an `account` FK.
    Returns None when the user sees everything (no filter needed).
    """
    prefixes = _subtree_prefixes(user)
    if prefixes is None:
        return None
    if not prefixes:
        return _NOTHING
    field = f"{via}__path__startswith" if via else "path__startswith"
    q = Q()
    for prefix in prefixes:
        q |= Q(**{field: prefix})
    return q


def scope(user: Any, queryset: QuerySet[M], via: str = "account") -> QuerySet[M]:
    """Restrict any queryset of account-scoped rows to what the user may see."""
    q = account_filter(user, via)
    return queryset if q is None else queryset.filter(q)


def visible_accounts(user: Any) -> QuerySet[Account]:
    """Every account the user may see (live ones only)."""
    from rapport.accounts.models import Account

    return scope(user, Account.objects.filter(deleted_at__isnull=True), via="")


def get_visible(queryset: QuerySet[M], user: Any, via: str = "account", **lookup: Any) -> M:
    """One row the user may see, or NotFound whether it is missing or forbidden."""
    try:
        return scope(user, queryset, via).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound(f"{queryset.model._meta.verbose_name} not found") from None


def sees_everything(user: Any) -> bool:
    """True for staff roles, whose queries need no account filter."""
    return _subtree_prefixes(user) is None


def ensure_can_write(user: Any) -> None:
    """Raise PermissionDenied unless the user may change customer data."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "can_write", False):
        raise PermissionDenied("Your role may not change customer data.")


def ensure_admin(user: Any) -> None:
    """Raise PermissionDenied unless the user is an admin."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.ADMIN:
        raise PermissionDenied("Only an admin may do this.")
