"""The one permission choke point: what a user may do, and which rows a user may see.

Every role decision is answered here. What a role may do is one table, ROLE_CAPABILITIES,
asked through `can` and `ensure`. Which rows: every selector starts at `scope`. Staff roles
see every account; a partner user sees the accounts its partner serves (with their units);
a portal user sees its own organisation's subtree, or only the subtrees of the units its
entitlement names. What a portal user may do besides reading (requisition, approve,
administer its organisation's portal users) is its entitlement's, asked here too. Missing and forbidden rows are answered
alike, with NotFound.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet

from rapport.core.errors import NotFound, PermissionDenied
from rapport.core.models import STAFF_ROLES, Role

M = TypeVar("M", bound=Model)

_NOTHING = Q(pk__in=[])
_CACHE_ATTR = "_rapport_account_prefixes"


class Capability(StrEnum):
    """What a role may do; each member's comment says what it covers."""

    # Our internal side: wallet estimates, tiers, judgements, internal notes, attitude
    # ratings, commitments we are late with, colleagues. Customers and partners never see it.
    SEE_INTERNAL_SIDE = "see_internal_side"
    SEE_COSTS = "see_costs"  # our cost, discount and margin on order lines
    WRITE_CUSTOMER_DATA = "write_customer_data"  # create, change and delete customer rows
    JUDGE_VALUE = "judge_value"  # judgement scores and product categories
    RUN_RECOMPUTE = "run_recompute"  # queue a value, tiers or segments recompute
    USE_STAFF_TOOLS = "use_staff_tools"  # imports, ingestion, duplicates, merges, scorecards
    RUN_IMPORTS = "run_imports"  # upload and commit a file of records
    ACT_FOR_US = "act_for_us"  # own our commitments, attend as one of our people
    MANAGE_ACCOUNTS = "manage_accounts"  # be named an account's manager
    # portfolio pictures (value, tiers, share, whitespace) and needs segments with their
    # value: our internal side, so staff only (DESIGN rule 8)
    READ_PORTFOLIO = "read_portfolio"
    WATCH_CADENCE = "watch_cadence"  # which accounts (they serve) have gone quiet
    ADMINISTER = "administer"  # settings, the catalogue, every API token, auto-merge
    # The product catalog (products, option groups, options) and the whole catalog with
    # costs. A customer's own catalog at its prices reaches it through its account.
    MANAGE_CATALOG = "manage_catalog"
    AGREE_PRICES = "agree_prices"  # an account's own catalog and price agreements
    SET_TREATMENTS = "set_treatments"  # a needs segment's default treatment of its members
    BROWSE_CATALOG = "browse_catalog"
    # A portal user's rights, granted per user by its entitlement (never by role):
    REQUISITION = "requisition"  # put a requisition to its organisation's approval chain
    APPROVE_REQUISITIONS = "approve_requisitions"  # approve or reject one
    ADMINISTER_PORTAL_USERS = "administer_portal_users"  # invite and entitle its colleagues


C = Capability
_STAFF = frozenset(
    {
        C.BROWSE_CATALOG,
        C.SEE_INTERNAL_SIDE,
        C.SEE_COSTS,
        C.USE_STAFF_TOOLS,
        C.ACT_FOR_US,
        C.READ_PORTFOLIO,
        C.WATCH_CADENCE,
    }
)
_WRITER = _STAFF | {C.WRITE_CUSTOMER_DATA, C.RUN_IMPORTS, C.MANAGE_ACCOUNTS}
_JUDGE = _WRITER | {
    C.JUDGE_VALUE,
    C.RUN_RECOMPUTE,
    C.MANAGE_CATALOG,
    C.AGREE_PRICES,
    C.SET_TREATMENTS,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: _JUDGE | {C.ADMINISTER},
    Role.MANAGER: _JUDGE,
    Role.REP: _WRITER,
    Role.ANALYST: _STAFF,
    Role.PARTNER: frozenset({C.WATCH_CADENCE}),
    Role.PORTAL: frozenset(),
}
"""The one table of who may do what; an unknown role, or nobody signed in, may do nothing."""

_REFUSALS = {
    C.SEE_INTERNAL_SIDE: "Only our staff see this.",
    C.SEE_COSTS: "Only our staff see costs and margins.",
    C.WRITE_CUSTOMER_DATA: "Your role may not change customer data.",
    C.JUDGE_VALUE: "Only managers and admins may do this.",
    C.RUN_RECOMPUTE: "Only managers and admins may do this.",
    C.USE_STAFF_TOOLS: "Only our own staff may do this.",
    C.RUN_IMPORTS: "Only staff may import records.",
    C.ACT_FOR_US: "Only our own people may do this.",
    C.MANAGE_ACCOUNTS: "Only our writers may manage accounts.",
    C.READ_PORTFOLIO: "The portfolio view is for our staff.",
    C.WATCH_CADENCE: "Quiet alerts are for our staff and partners.",
    C.ADMINISTER: "Only an admin may do this.",
    C.MANAGE_CATALOG: "Only managers and admins may change the catalog.",
    C.BROWSE_CATALOG: "The whole catalog is for our staff.",
    C.AGREE_PRICES: "Only managers and admins may agree a customer's prices.",
    C.SET_TREATMENTS: "Only managers and admins may set a segment's treatment.",
    C.REQUISITION: "Your organisation has not entitled you to requisition.",
    C.APPROVE_REQUISITIONS: "Your organisation has not entitled you to approve.",
    C.ADMINISTER_PORTAL_USERS: "Only your organisation's portal administrators may do this.",
}

_ENTITLED_CAPABILITIES = {
    "may_requisition": C.REQUISITION,
    "may_approve": C.APPROVE_REQUISITIONS,
    "may_administer": C.ADMINISTER_PORTAL_USERS,
}
_ENTITLEMENT_ATTR = "_rapport_portal_entitlement"


def capabilities(user: Any) -> frozenset[Capability]:
    """Everything the user may do: nothing for anonymous or inactive users."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return frozenset()
    role = getattr(user, "role", None) or ""
    if role == Role.PORTAL:
        return ROLE_CAPABILITIES[Role.PORTAL] | _portal_entitlement(user)[1]
    return ROLE_CAPABILITIES.get(role, frozenset())


def _portal_entitlement(user: Any) -> tuple[tuple[str, ...], frozenset[Capability]]:
    """A portal user's tree prefixes and rights, read once per user object.

    The prefixes are its organisation's path, or, when its entitlement names units, the
    paths of those units still live in that organisation: a user entitled to units that
    are all gone sees nothing, never the whole organisation. A portal user without an
    entitlement row (made before entitlements existed) sees its organisation and may do
    nothing more.
    """
    cached = getattr(user, _ENTITLEMENT_ATTR, None)
    if cached is not None:
        return tuple(cached[0]), frozenset(cached[1])
    account = apps.get_model("accounts", "Account")
    entitlements = apps.get_model("accounts", "PortalEntitlement")
    organisation = account.objects.filter(pk=user.account_id).values_list("path", flat=True)
    prefixes: tuple[str, ...] = tuple(organisation)
    rights: frozenset[Capability] = frozenset()
    row = entitlements.objects.filter(user_id=user.pk).values("pk", *_ENTITLED_CAPABILITIES).first()
    if row is not None and prefixes:
        rights = frozenset(cap for field, cap in _ENTITLED_CAPABILITIES.items() if row[field])
        units = entitlements.units.through.objects.filter(portalentitlement_id=row["pk"])
        entitled = list(units.values_list("account__path", "account__deleted_at"))
        if entitled:
            prefixes = tuple(
                path
                for path, deleted_at in entitled
                if deleted_at is None and path.startswith(prefixes[0])
            )
    result = (prefixes, rights)
    setattr(user, _ENTITLEMENT_ATTR, result)
    return result


def manages_portal_of(user: Any, customer_id: int) -> bool:
    """True when the user may invite and entitle the portal users of this organisation.

    Our writers may for every organisation; a portal user entitled to administer, for its
    own organisation only.
    """
    if can(user, Capability.WRITE_CUSTOMER_DATA):
        return True
    return (
        getattr(user, "role", None) == Role.PORTAL
        and user.account_id == customer_id
        and can(user, Capability.ADMINISTER_PORTAL_USERS)
    )


def ensure_manages_portal_of(user: Any, customer_id: int) -> None:
    """Raise PermissionDenied unless the user may manage this organisation's portal users."""
    if not manages_portal_of(user, customer_id):
        raise PermissionDenied(_REFUSALS[Capability.ADMINISTER_PORTAL_USERS])


def can(user: Any, capability: Capability) -> bool:
    """True when the user's role holds the capability."""
    return capability in capabilities(user)


def ensure(user: Any, capability: Capability, *, not_found: str = "") -> None:
    """Raise PermissionDenied, saying why, unless the user's role holds the capability.

    With `not_found`, raise NotFound with that message instead: to those who may not
    use it, an internal tool does not exist.
    """
    if not can(user, capability):
        if not_found:
            raise NotFound(not_found)
        raise PermissionDenied(_REFUSALS[capability])


def caller_can(context: Any, capability: Capability) -> bool:
    """`can` for the caller of the API request whose answer a schema is filling."""
    request = (context or {}).get("request")
    return can(getattr(request, "auth", None), capability)


# Fields of our internal side, kept out of the change history shown to outsiders.
INTERNAL_FIELDS = frozenset({"notes", "note", "attitude", "cost", "discount", "recurring_cost"})


def hidden_fields(user: Any) -> frozenset[str]:
    """The fields whose values and changes the user may not see (none for our staff)."""
    return frozenset() if can(user, Capability.SEE_INTERNAL_SIDE) else INTERNAL_FIELDS


def roles_with(capability: Capability) -> list[str]:
    """The roles holding a capability, to filter users by (e.g. pickers of our people)."""
    return sorted(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


def allowed(user: Any) -> dict[str, bool]:
    """Every capability by name, for templates: `{% if may.write_customer_data %}`."""
    caps = capabilities(user)
    return {capability.value: capability in caps for capability in Capability}


def _subtree_prefixes(user: Any) -> list[str] | None:
    """Tree paths whose subtrees the user may see; None means every account."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.role in STAFF_ROLES:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return list(cached)
    PartnerLink = apps.get_model("accounts", "PartnerLink")

    if user.role == Role.PORTAL and user.account_id:
        # Entitled to some units: those subtrees only; else the whole organisation.
        prefixes = list(_portal_entitlement(user)[0])
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


def visible_accounts(user: Any) -> QuerySet[Any]:
    """Every account the user may see (live ones only)."""
    Account = apps.get_model("accounts", "Account")
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


def visible_partners(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """Partners the user may see: all for staff, its own for a partner user, none else."""
    if sees_everything(user):
        return queryset
    if getattr(user, "role", None) == Role.PARTNER and user.partner_id:
        return queryset.filter(pk=user.partner_id)
    return queryset.none()


def ensure_can_write(user: Any) -> None:
    """Raise PermissionDenied unless the user may change customer data."""
    ensure(user, Capability.WRITE_CUSTOMER_DATA)


def ensure_admin(user: Any) -> None:
    """Raise PermissionDenied unless the user is an admin."""
    ensure(user, Capability.ADMINISTER)
