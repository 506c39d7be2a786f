"""Reads of Identify, every one scoped by core.access and joined so templates never query per row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum

from rapport.accounts.models import (
    ESSENTIAL_ROLES,
    Account,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    ContactStatus,
    Employment,
    IdentityKind,
    LifecycleChange,
    LifecycleStage,
    Partner,
    PartnerLink,
    PortalEntitlement,
    PortalInvitation,
)
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, decode_cursor, page_of
from rapport.core.selectors import FieldChange

# --- accounts -------------------------------------------------------------------------


def account_get(*, user: User, pk: int) -> Account:
    """One live account the user may see, or NotFound."""
    queryset = Account.objects.filter(deleted_at__isnull=True).select_related("manager", "customer")
    return access.get_visible(queryset, user, via="", pk=pk)


def account_list(
    *,
    user: User,
    q: str = "",
    stage: str = "",
    industry: str = "",
    manager_id: int | None = None,
    roots_only: bool = True,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Account]:
    """Accounts by name, filtered and keyset-paginated."""
    limit = clamp_limit(limit, default=50)
    queryset = access.visible_accounts(user).select_related("manager", "customer")
    if roots_only and access.sees_everything(user):
        queryset = queryset.filter(depth=1)
    if q:
        queryset = queryset.filter(name__icontains=q.strip())
    if stage:
        if stage not in LifecycleStage.values:
            raise InvalidInput(f"Unknown lifecycle stage {stage!r}.", field="stage")
        queryset = queryset.filter(lifecycle_stage=stage)
    if industry:
        queryset = queryset.filter(industry=industry)
    if manager_id:
        queryset = queryset.filter(manager_id=manager_id)
    if cursor:
        name, last_id = decode_cursor(cursor, 2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(name__gte=name).filter(Q(name__gt=name) | Q(id__gt=last_id))
    rows = list(queryset.order_by("name", "id")[: limit + 1])
    return page_of(rows, limit, lambda a: [a.name, a.id])


def industry_list(*, user: User) -> list[str]:
    """The industries of the organisations the user sees, for filters."""
    return list(
        access.visible_accounts(user)
        .filter(depth=1)
        .exclude(industry="")
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()
    )


@dataclass
class TreeNode:
    account: Account
    depth: int
    own_interactions: int
    own_contacts: int
    interactions: int = 0
    contacts: int = 0
    last_interaction_at: datetime | None = None
    children: list[TreeNode] = field(default_factory=list)


def account_tree(*, user: User, account: Account) -> list[TreeNode]:
    """The organisation around `account` as a depth-first list, each figure rolled up its subtree.

    Two queries whatever the size: the nodes, and contact counts per node.
    """
    root_id = account.customer_id or account.pk
    nodes = list(access.visible_accounts(user).filter(customer_id=root_id).order_by("path"))
    contact_counts = dict(
        access.scope(user, Contact.objects.filter(customer_id=root_id, status=ContactStatus.ACTIVE))
        .values_list("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    return _tree(nodes, contact_counts)


@dataclass
class Organisation:
    """The account page's view of an organisation: its tree and who reports to whom."""

    tree: list[TreeNode]
    reports_to: dict[int, int | None]  # contact id -> manager id, every live contact

    def node(self, account: Account) -> TreeNode | None:
        return subtree_node(self.tree, account)


def organisation(*, user: User, account: Account) -> Organisation:
    """`account_tree` and `reporting_lines` together, in the same two queries.

    The contacts are read once, narrowly (id, unit, manager, status): the active ones
    counted per unit here rather than in the database, the reporting lines of everyone.
    """
    root_id = account.customer_id or account.pk
    nodes = list(access.visible_accounts(user).filter(customer_id=root_id).order_by("path"))
    contact_counts: dict[int, int] = defaultdict(int)
    reports_to: dict[int, int | None] = {}
    for pk, account_id, manager_id, status in (
        _contacts(user)
        .filter(customer_id=root_id)
        .order_by()
        .values_list("id", "account_id", "reports_to_id", "status")
    ):
        reports_to[pk] = manager_id
        if status == ContactStatus.ACTIVE:
            contact_counts[account_id] += 1
    return Organisation(_tree(nodes, contact_counts), reports_to)


def _tree(nodes: list[Account], contact_counts: dict[int, int]) -> list[TreeNode]:
    """Nodes in path order, hung under their parents and rolled up, as a depth-first list."""
    by_path: dict[str, TreeNode] = {}
    top: list[TreeNode] = []
    for node in nodes:
        tree_node = TreeNode(
            account=node,
            depth=node.depth,
            own_interactions=node.interaction_count,
            own_contacts=contact_counts.get(node.pk, 0),
        )
        by_path[node.path] = tree_node
        parent = by_path.get(node.path[: -Account.steplen])
        (parent.children if parent else top).append(tree_node)

    def roll_up(tree_node: TreeNode) -> None:
        tree_node.children.sort(key=lambda n: n.account.name.lower())
        tree_node.interactions = tree_node.own_interactions
        tree_node.contacts = tree_node.own_contacts
        tree_node.last_interaction_at = tree_node.account.last_interaction_at
        for child in tree_node.children:
            roll_up(child)
            tree_node.interactions += child.interactions
            tree_node.contacts += child.contacts
            if child.last_interaction_at and (
                tree_node.last_interaction_at is None
                or child.last_interaction_at > tree_node.last_interaction_at
            ):
                tree_node.last_interaction_at = child.last_interaction_at

    flat: list[TreeNode] = []

    def walk(tree_node: TreeNode) -> None:
        flat.append(tree_node)
        for child in tree_node.children:
            walk(child)

    for tree_node in top:
        roll_up(tree_node)
        walk(tree_node)
    return flat


def subtree_node(tree: list[TreeNode], account: Account) -> TreeNode | None:
    """The node of `account` in a tree built by account_tree."""
    return next((n for n in tree if n.account.pk == account.pk), None)


def lifecycle_history(*, user: User, account: Account) -> QuerySet[LifecycleChange]:
    """The stage history of an account the user may see."""
    changes = LifecycleChange.objects.filter(account=account).select_related("changed_by")
    return access.scope(user, changes)


def units_for_select(*, user: User, account: Account) -> list[Account]:
    """Every visible unit of the account's organisation, in tree order, for pickers."""
    return list(
        access.visible_accounts(user)
        .filter(customer_id=account.customer_id or account.pk)
        .order_by("path")
    )


# --- contacts -------------------------------------------------------------------------


def _contacts(user: User) -> QuerySet[Contact]:
    return access.scope(user, Contact.objects.all()).select_related("account", "customer")


def contact_person(*, user: User, pk: int) -> Contact:
    """One contact the user may see, with its unit and organisation only (one query)."""
    return access.get_visible(_contacts(user), user, pk=pk)


def contact_get(*, user: User, pk: int) -> Contact:
    """One contact the user may see, with identities, roles, employments and reports."""
    queryset = (
        _contacts(user)
        .select_related("reports_to")
        .prefetch_related(
            Prefetch(
                "identities",
                queryset=ContactIdentity.objects.order_by("kind", "-is_primary", "value"),
            ),
            Prefetch(
                "buying_roles",
                queryset=access.scope(user, BuyingRole.objects.select_related("account")),
            ),
            Prefetch(
                "employments",
                queryset=access.scope(
                    user, Employment.objects.select_related("account", "customer")
                ),
            ),
            Prefetch(
                "direct_reports",
                queryset=access.scope(user, Contact.objects.order_by("last_name")),
            ),
        )
    )
    contact = access.get_visible(queryset, user, pk=pk)
    # A portal user limited to one unit must not learn names from the units above it.
    manager = contact.reports_to
    if (
        manager is not None
        and not access.sees_everything(user)
        and not access.scope(user, Contact.objects.filter(pk=manager.pk)).exists()
    ):
        contact.reports_to = None
    return contact


def contact_list(
    *,
    user: User,
    q: str = "",
    account: Account | None = None,
    role: str = "",
    status: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Contact]:
    """People by name, filtered by organisation (rolled up), buying role and status."""
    limit = clamp_limit(limit, default=50)
    queryset = _contacts(user).prefetch_related(
        Prefetch("buying_roles", queryset=BuyingRole.objects.order_by("role"))
    )
    if account is not None:
        if account.is_customer_root:
            queryset = queryset.filter(customer_id=account.pk)
        else:
            queryset = queryset.filter(
                customer_id=account.customer_id, account__path__startswith=account.path
            )
    if q:
        for term in q.split()[:4]:
            queryset = queryset.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(title__icontains=term)
            )
    if role:
        if role not in BuyingRoleKind.values:
            raise InvalidInput(f"Unknown buying role {role!r}.", field="role")
        queryset = queryset.filter(
            buying_roles__role=role, buying_roles__deleted_at__isnull=True
        ).distinct()
    if status:
        if status not in ContactStatus.values:
            raise InvalidInput(f"Unknown status {status!r}.", field="status")
        queryset = queryset.filter(status=status)
    if cursor:
        last, first, last_id = decode_cursor(cursor, 3)
        if not (isinstance(last, str) and isinstance(first, str) and isinstance(last_id, int)):
            raise InvalidInput("The cursor is not valid.", field="cursor")
        queryset = queryset.filter(last_name__gte=last).filter(
            Q(last_name__gt=last)
            | Q(last_name=last, first_name__gt=first)
            | Q(last_name=last, first_name=first, id__gt=last_id)
        )
    rows = list(queryset.order_by("last_name", "first_name", "id")[: limit + 1])
    return page_of(rows, limit, lambda c: [c.last_name, c.first_name, c.id])


def contact_choices(*, user: User, account: Account) -> list[Contact]:
    """Everyone in the account's organisation, for participant and reports-to pickers."""
    return list(
        _contacts(user)
        .filter(customer_id=account.customer_id or account.pk)
        .order_by("last_name", "first_name")
    )


# --- buying centre --------------------------------------------------------------------


@dataclass
class BuyingCentreMember:
    contact: Contact
    roles: list[BuyingRole]

    @property
    def primary(self) -> BuyingRole:
        return max(self.roles, key=lambda r: (r.role != BuyingRoleKind.END_USER, r.influence))


@dataclass
class Gap:
    unit: Account
    role: str
    label: str


@dataclass
class BuyingCentre:
    members: list[BuyingCentreMember]
    end_user_counts: dict[int, int]
    gaps: list[Gap]
    role_counts: dict[str, int]
    truncated: int = 0


_CENTRE_ROLE_FIELDS = (
    *(field.attname for field in BuyingRole._meta.concrete_fields),
    *(f"contact__{name}" for name in (
        "id", "customer_id", "account_id", "first_name", "last_name", "title", "status",
        "last_engaged_at", "reports_to_id",
    )),
    "account__id", "account__name", "account__path", "account__depth",
    "contact__account__id", "contact__account__name",
)  # fmt: skip


def buying_centre(
    *,
    user: User,
    account: Account,
    max_members: int = 120,
    organisation_units: list[Account] | None = None,
) -> BuyingCentre:
    """Who plays which role in buying across the account's subtree, and which roles nobody covers.

    End users are counted per unit rather than drawn one by one. Three queries, none per
    row; two when the caller already holds the organisation's visible units (the account
    page's tree), given as `organisation_units`.
    """
    roles_qs = access.scope(user, BuyingRole.objects.filter(contact__deleted_at__isnull=True))
    if account.is_customer_root:
        roles_qs = roles_qs.filter(customer_id=account.pk)
    else:
        roles_qs = roles_qs.filter(
            customer_id=account.customer_id, account__path__startswith=account.path
        )
    # End users can number thousands: they are counted in the database, never loaded.
    # Every field of the roles; of the people and units only what the map, the key
    # contacts and the API's references show (the rest of a joined row costs on every view).
    roles = list(
        roles_qs.exclude(role=BuyingRoleKind.END_USER)
        .select_related("contact", "account", "contact__account")
        .only(*_CENTRE_ROLE_FIELDS)
        .order_by("-influence", "id")
    )
    end_users = dict(
        roles_qs.filter(role=BuyingRoleKind.END_USER)
        .order_by()
        .values_list("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    if organisation_units is None:
        units = list(
            access.visible_accounts(user)
            .filter(
                customer_id=account.customer_id or account.pk,
                path__startswith=account.path,
                depth__lte=account.depth + 1,
            )
            .order_by("path")
        )
    else:
        units = sorted(
            (
                unit
                for unit in organisation_units
                if unit.path.startswith(account.path) and unit.depth <= account.depth + 1
            ),
            key=lambda unit: unit.path,
        )
    by_contact: dict[int, BuyingCentreMember] = {}
    role_counts: dict[str, int] = defaultdict(int)
    if end_users:
        role_counts[BuyingRoleKind.END_USER] = sum(end_users.values())
    covered: dict[int, set[str]] = defaultdict(set)
    for role in roles:
        role_counts[role.role] += 1
        for unit in units:
            if role.account.path.startswith(unit.path):
                covered[unit.pk].add(role.role)
        member = by_contact.get(role.contact_id)
        if member is None:
            member = by_contact[role.contact_id] = BuyingCentreMember(role.contact, [])
        member.roles.append(role)
    labels = dict(BuyingRoleKind.choices)
    gaps = [
        Gap(unit, essential, labels[essential])
        for unit in units
        for essential in ESSENTIAL_ROLES
        if essential not in covered[unit.pk]
        and (unit.pk == account.pk or essential != BuyingRoleKind.CHAMPION)
    ]
    members = sorted(by_contact.values(), key=lambda m: (-m.primary.influence, m.contact.last_name))
    return BuyingCentre(
        members=members[:max_members],
        end_user_counts=dict(end_users),
        gaps=gaps,
        role_counts=dict(role_counts),
        truncated=max(0, len(members) - max_members),
    )


def end_users(
    *,
    user: User,
    account: Account | None = None,
    q: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Contact]:
    """The end-user programme: every contact who uses what we sell, as one group."""
    return contact_list(
        user=user, account=account, q=q, role=BuyingRoleKind.END_USER, cursor=cursor, limit=limit
    )


# --- partners -------------------------------------------------------------------------


def _partners(user: User) -> QuerySet[Partner]:
    return access.visible_partners(user, Partner.objects.all())


def partner_list(*, user: User, q: str = "") -> QuerySet[Partner]:
    """Partners the user may see, with how many accounts each serves."""
    queryset = _partners(user).annotate(
        account_count=Count(
            "links", filter=Q(links__ended_on__isnull=True, links__deleted_at__isnull=True)
        )
    )
    if q:
        queryset = queryset.filter(name__icontains=q.strip())
    return queryset.order_by("name")


def partner_get(*, user: User, pk: int) -> Partner:
    """One partner the user may see, or NotFound."""
    partner = _partners(user).filter(pk=pk).first()
    if partner is None:
        raise NotFound("partner not found")
    return partner


def partner_links(
    *, user: User, partner: Partner | None = None, account: Account | None = None
) -> QuerySet[PartnerLink]:
    """Links between partners and the accounts they serve, scoped to what the user sees."""
    queryset = access.scope(user, PartnerLink.objects.all()).select_related("partner", "account")
    if not access.sees_everything(user):
        queryset = queryset.filter(partner__in=_partners(user))
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    if account is not None:
        queryset = queryset.filter(
            customer_id=account.customer_id or account.pk,
            account__path__startswith=account.path[: Account.steplen],
        )
    return queryset.order_by("ended_on", "partner__name", "account__name")


def partner_choices(*, user: User) -> QuerySet[Partner]:
    """Partners for pickers."""
    return _partners(user).order_by("name")


# --- reads added for the web pages ----------------------------------------------------


def manager_choices(*, user: User) -> list[User]:
    """Our own people who may manage accounts, for pickers and filters; none for outsiders."""
    if not access.can(user, access.Capability.SEE_INTERNAL_SIDE):
        return []
    managers = access.roles_with(access.Capability.MANAGE_ACCOUNTS)
    return list(User.objects.filter(is_active=True, role__in=managers).order_by("full_name"))


def account_ancestors(*, user: User, account: Account) -> list[Account]:
    """The visible units above `account`, top first, for breadcrumbs. One query."""
    step = Account.steplen
    paths = [account.path[:end] for end in range(step, len(account.path), step)]
    if not paths:
        return []
    return list(access.visible_accounts(user).filter(path__in=paths).order_by("depth"))


def end_user_count(*, user: User, account: Account | None = None, q: str = "") -> int:
    """How many people the end-user programme reaches, with the same filters as `end_users`."""
    queryset = _contacts(user).filter(
        buying_roles__role=BuyingRoleKind.END_USER, buying_roles__deleted_at__isnull=True
    )
    if account is not None:
        if account.is_customer_root:
            queryset = queryset.filter(customer_id=account.pk)
        else:
            queryset = queryset.filter(
                customer_id=account.customer_id, account__path__startswith=account.path
            )
    for term in q.split()[:4]:
        queryset = queryset.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(title__icontains=term)
        )
    return queryset.values("pk").distinct().count()


def primary_emails(*, user: User, contacts: list[Contact]) -> dict[int, str]:
    """Each contact's primary e-mail address (else any e-mail), in one query."""
    identities = ContactIdentity.objects.filter(
        contact_id__in=[c.pk for c in contacts], kind=IdentityKind.EMAIL
    )
    rows = (
        access.scope(user, identities, via="contact__account")
        .order_by("contact_id", "-is_primary", "value")
        .values_list("contact_id", "value")
    )
    emails: dict[int, str] = {}
    for contact_id, value in rows:
        emails.setdefault(contact_id, value)
    return emails


def primary_phones(*, user: User, contacts: list[Contact]) -> dict[int, str]:
    """Each contact's primary phone (else any phone) in E.164, in one query."""
    identities = ContactIdentity.objects.filter(
        contact_id__in=[c.pk for c in contacts], kind=IdentityKind.PHONE
    )
    rows = (
        access.scope(user, identities, via="contact__account")
        .order_by("contact_id", "-is_primary", "value")
        .values_list("contact_id", "normalized")
    )
    phones: dict[int, str] = {}
    for contact_id, normalized in rows:
        phones.setdefault(contact_id, normalized)
    return phones


@dataclass
class AuditLine:
    """One change to something a contact owns (an identity, a buying role), for the audit page."""

    when: datetime
    who: str
    subject: str
    kind: str  # added / changed / removed
    changes: list[FieldChange] = field(default_factory=list)


def _name_or_dash(row: object) -> str:
    return str(getattr(row, "name", "—"))


def contact_audit(*, user: User, contact: Contact, limit: int = 200) -> list[AuditLine]:
    """Who added, changed or removed a contact's identities and buying roles, newest first.

    The caller must already have fetched `contact` through core.access. Two queries.
    """
    role_labels = dict(BuyingRoleKind.choices)
    kind_labels = dict(IdentityKind.choices)
    lines: list[AuditLine] = []
    sources = (
        (
            ContactIdentity.history.filter(contact_id=contact.pk).select_related("history_user"),
            lambda row: f"{kind_labels.get(row.kind, row.kind)} {row.value}",
        ),
        (
            BuyingRole.history.filter(contact_id=contact.pk).select_related(
                "history_user", "account"
            ),
            lambda row: f"{role_labels.get(row.role, row.role)} at {_name_or_dash(row.account)}",
        ),
    )
    for history, subject in sources:
        rows = list(history.order_by("id", "history_date", "history_id")[: limit * 4])
        # Historical models are built at runtime, so their rows have no static type.
        previous: dict[int, Any] = {}
        for row in rows:
            older = previous.get(row.id)
            previous[row.id] = row
            who = str(row.history_user) if row.history_user else "system"
            changes: list[FieldChange] = []
            if older is None or row.history_type == "+":
                kind = "added"
            elif row.deleted_at and not older.deleted_at:
                kind = "removed"
            elif older.deleted_at and not row.deleted_at:
                kind = "restored"
            else:
                excluded = ["updated_at", "normalized", *access.hidden_fields(user)]
                delta = row.diff_against(older, excluded_fields=excluded)
                changes = [
                    FieldChange(c.field, c.field.replace("_", " ").capitalize(), c.old, c.new)
                    for c in delta.changes
                ]
                if not changes:
                    continue
                kind = "changed"
            lines.append(AuditLine(row.history_date, who, subject(row), kind, changes))
    lines.sort(key=lambda line: line.when, reverse=True)
    return lines[:limit]


@dataclass
class RollUp:
    interactions: int
    last_interaction_at: datetime | None


def account_rollups(*, user: User, accounts: list[Account]) -> dict[int, RollUp]:
    """Interaction count and latest interaction of each listed account, over its whole subtree.

    One grouped query for the organisations among them; a unit keeps its own counters.
    A visible organisation's whole tree is visible, so the sums leak nothing.
    """
    rollups = {a.pk: RollUp(a.interaction_count, a.last_interaction_at) for a in accounts}
    roots = [a.pk for a in accounts if a.is_customer_root]
    if roots:
        rows = (
            access.visible_accounts(user)
            .filter(customer_id__in=roots)
            .order_by()  # the tree's default ordering by path would split the groups
            .values("customer_id")
            .annotate(n=Sum("interaction_count"), last=Max("last_interaction_at"))
            .values_list("customer_id", "n", "last")
        )
        for customer_id, count, last in rows:
            rollups[customer_id] = RollUp(count or 0, last)
    return rollups


def reporting_lines(*, user: User, account: Account) -> dict[int, int | None]:
    """Who reports to whom across the account's organisation (contact id -> manager id).

    One narrow query, so an org chart can hang a person under their nearest manager
    who is drawn, even when the managers in between are not.
    """
    return dict(
        _contacts(user)
        .filter(customer_id=account.customer_id or account.pk)
        .values_list("id", "reports_to_id")
    )


def account_get_for_restore(*, user: User, pk: int) -> Account:
    """An account the user may see, soft-deleted or not (only restore needs the deleted ones)."""
    queryset = Account.objects.select_related("manager", "customer")
    return access.get_visible(queryset, user, via="", pk=pk)


def contacts_by_ids(*, user: User, ids: list[int]) -> dict[int, Contact]:
    """The visible contacts among `ids`, in one query; ids the user may not see are absent."""
    return access.scope(user, Contact.objects.filter(pk__in=ids)).in_bulk()


# --- the customer portal's doors ------------------------------------------------------


def portal_invitations(
    *, user: User, contact: Contact | None = None, customer_id: int | None = None
) -> list[PortalInvitation]:
    """Invitations of one contact or one organisation, for those who manage its portal users."""
    rows = access.scope(user, PortalInvitation.objects.all(), via="contact__account")
    if contact is not None:
        rows = rows.filter(contact=contact)
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    organisation = contact.customer_id if contact is not None else customer_id
    if organisation is None or not access.manages_portal_of(user, organisation):
        return []
    return list(rows.select_related("contact", "invited_by", "user")[:200])


def portal_invitation_get(*, user: User, pk: int) -> PortalInvitation:
    """One invitation the user may manage, or NotFound (missing and forbidden alike)."""
    invitation = access.get_visible(
        PortalInvitation.objects.select_related("contact", "customer"),
        user,
        via="contact__account",
        pk=pk,
    )
    if not access.manages_portal_of(user, invitation.customer_id):
        raise NotFound("portal invitation not found")
    return invitation


def portal_entitlements(*, user: User, customer_id: int) -> list[PortalEntitlement]:
    """An organisation's portal users with what they see and may do, for those who manage them."""
    if not access.manages_portal_of(user, customer_id):
        return []
    rows = access.scope(user, PortalEntitlement.objects.all(), via="contact__account")
    return list(
        rows.filter(customer_id=customer_id)
        .select_related("user", "contact")
        .prefetch_related("units")
        .order_by("user__full_name")[:500]
    )


def portal_entitlement_get(*, user: User, pk: int) -> PortalEntitlement:
    """One portal user's entitlement the user may manage, or NotFound."""
    entitlement = access.get_visible(
        PortalEntitlement.objects.select_related("user", "contact", "customer").prefetch_related(
            "units"
        ),
        user,
        via="contact__account",
        pk=pk,
    )
    if not access.manages_portal_of(user, entitlement.customer_id):
        raise NotFound("portal entitlement not found")
    return entitlement
