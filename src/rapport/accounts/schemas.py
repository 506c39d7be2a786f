"""API schemas of Identify: accounts, contacts, identities, buying roles, partners.

Inputs take ids and enum values; outputs give enum values with their display labels.
Output resolvers only read rows the selectors already joined or prefetched.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict

from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    ContactStatus,
    IdentityKind,
    LifecycleChange,
    LifecycleStage,
    Partner,
    PartnerKind,
    PartnerLink,
    PartnerRole,
)
from rapport.accounts.selectors import BuyingCentreMember, TreeNode
from rapport.analytics import contact_points
from rapport.core import access
from rapport.core.schemas import Id, Limit, Text, UserRef

INTERNAL = access.Capability.SEE_INTERNAL_SIDE
COUNTRY_IN = "a name, common alias or ISO code; stored as the English short name"
BIRTH_DATE = "only where the deployment keeps dates of birth (RAPPORT_CONTACT_BIRTH_DATE)"


class Input(Schema):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageFilters(Schema):
    cursor: Text | None = Field(None, description="next_cursor of the previous page")
    limit: Limit | None = Field(None, description="page size, 1 to 200")


# --- references ------------------------------------------------------------------------


class AccountRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    full_name: str
    title: str


class PartnerRef(Schema):
    id: int
    name: str


# --- accounts --------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    customer: AccountRef | None = Field(description="the top of this account's tree")
    depth: int = Field(description="1 for a customer organisation, 2 for its units, …")
    industry: str
    website: str
    street: str
    postcode: str
    city: str
    region: str = Field(description="state, county or province")
    country: str = Field(description="English short name (ISO 3166)")
    employees: int | None
    description: str
    manager: UserRef | None
    lifecycle_stage: str
    lifecycle_stage_label: str
    interaction_count: int = Field(description="interactions logged on this unit alone")
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @staticmethod
    def resolve_kind_label(obj: Account) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_lifecycle_stage_label(obj: Account) -> str:
        return obj.get_lifecycle_stage_display()


class AccountDetailOut(AccountOut):
    version: int = Field(description="counts up on every change; send it back in If-Match")
    parent: AccountRef | None = Field(description="the unit above, when you may see it")

    @staticmethod
    def resolve_parent(obj: Account, context: dict[str, Any]) -> Account | None:
        if obj.depth <= 1:
            return None
        user = context["request"].auth
        parent_path = obj.path[: -Account.steplen]
        return access.visible_accounts(user).filter(path=parent_path).first()


class AccountPageOut(Schema):
    items: list[AccountOut]
    next_cursor: str | None


class AccountFilters(PageFilters):
    q: Text = Field("", description="part of the name")
    stage: LifecycleStage | None = None
    industry: Text = ""
    manager_id: Id | None = None
    roots_only: bool = Field(True, description="only customer organisations, not their units")


class AccountCreateIn(Input):
    name: Text
    parent_id: Id | None = Field(None, description="create a unit under this account")
    kind: AccountKind | None = Field(
        None, description="default: legal_entity, or division for a unit"
    )
    industry: Text = ""
    website: Text = ""
    street: Text = ""
    postcode: Text = ""
    city: Text = ""
    region: Text = ""
    country: Text = Field("", description=COUNTRY_IN)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    description: Text = ""
    manager_id: Id | None = None
    lifecycle_stage: LifecycleStage = Field(
        LifecycleStage.PROSPECT, description="for a unit, its organisation's stage applies"
    )


class AccountUpdateIn(Input):
    name: Text | None = None
    kind: AccountKind | None = None
    industry: Text | None = None
    website: Text | None = None
    street: Text | None = None
    postcode: Text | None = None
    city: Text | None = None
    region: Text | None = None
    country: Text | None = Field(None, description=COUNTRY_IN)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    description: Text | None = None
    manager_id: Id | None = Field(None, description="null removes the manager")


class AccountMoveIn(Input):
    new_parent_id: Id


class TreeNodeOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    depth: int
    parent_id: int | None
    lifecycle_stage: str
    own_interactions: int
    own_contacts: int
    interactions: int = Field(description="rolled up over the unit's subtree")
    contacts: int = Field(description="active contacts, rolled up over the unit's subtree")
    last_interaction_at: datetime | None

    @classmethod
    def of(cls, node: TreeNode, parent_id: int | None) -> TreeNodeOut:
        account = node.account
        return cls(
            id=account.pk,
            name=account.name,
            kind=account.kind,
            kind_label=account.get_kind_display(),
            depth=node.depth,
            parent_id=parent_id,
            lifecycle_stage=account.lifecycle_stage,
            own_interactions=node.own_interactions,
            own_contacts=node.own_contacts,
            interactions=node.interactions,
            contacts=node.contacts,
            last_interaction_at=node.last_interaction_at,
        )


class LifecycleChangeOut(Schema):
    id: int
    account_id: int
    stage: str
    stage_label: str
    previous_stage: str
    previous_stage_label: str
    changed_at: datetime
    changed_by: UserRef | None
    reason: str

    @staticmethod
    def resolve_stage_label(obj: LifecycleChange) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_previous_stage_label(obj: LifecycleChange) -> str:
        return obj.get_previous_stage_display() if obj.previous_stage else ""


class LifecycleChangeIn(Input):
    stage: LifecycleStage
    reason: Text = Field("", max_length=500)


# --- buying roles and the buying centre ------------------------------------------------


class BuyingRoleOut(Schema):
    id: int
    contact_id: int
    account: AccountRef
    role: str
    role_label: str
    influence: int = Field(description="1 (little) to 5 (decisive)")
    attitude: int | None = Field(description="-2 (hostile) to 2 (advocate); null outside our staff")
    attitude_label: str
    notes: str = Field(description="our notes (blank outside our staff)")
    last_engaged_at: datetime | None

    @staticmethod
    def resolve_role_label(obj: BuyingRole) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_attitude(obj: BuyingRole, context: Any) -> int | None:
        return obj.attitude if access.caller_can(context, INTERNAL) else None

    @staticmethod
    def resolve_attitude_label(obj: BuyingRole, context: Any) -> str:
        return obj.get_attitude_display() if access.caller_can(context, INTERNAL) else ""

    @staticmethod
    def resolve_notes(obj: BuyingRole, context: Any) -> str:
        return obj.notes if access.caller_can(context, INTERNAL) else ""


class BuyingRoleIn(Input):
    role: BuyingRoleKind
    account_id: Id | None = Field(None, description="the unit; default: the contact's own")
    influence: int = Field(3, ge=1, le=5)
    attitude: int = Field(0, ge=-2, le=2)
    notes: Text = Field("", max_length=500)


class BuyingCentreMemberOut(Schema):
    contact: ContactRef
    account: AccountRef = Field(description="the contact's own unit")
    primary_role: str
    roles: list[BuyingRoleOut]

    @staticmethod
    def resolve_account(obj: BuyingCentreMember) -> Account:
        return obj.contact.account

    @staticmethod
    def resolve_primary_role(obj: BuyingCentreMember) -> str:
        return obj.primary.role


class GapOut(Schema):
    unit: AccountRef
    role: str
    label: str


class BuyingCentreOut(Schema):
    members: list[BuyingCentreMemberOut]
    gaps: list[GapOut] = Field(description="essential roles nobody covers, per unit")
    end_user_counts: dict[int, int] = Field(description="end users per unit id")
    role_counts: dict[str, int]
    truncated: int = Field(description="members left out of this answer")


# --- contacts --------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    title: str
    status: str
    status_label: str
    account: AccountRef
    customer: AccountRef = Field(description="the contact's organisation")
    street: str = Field(description="work address: their site, not their home")
    postcode: str
    city: str
    region: str = Field(description="state, county or province")
    country: str = Field(description="English short name (ISO 3166)")
    date_of_birth: date | None = Field(description=f"null unless kept: {BIRTH_DATE}")
    reports_to_id: int | None
    roles: list[str] = Field(description="the buying roles the contact plays")
    last_engaged_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_status_label(obj: Contact) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_date_of_birth(obj: Contact) -> date | None:
        # Never handed out where the deployment does not keep it, whatever a row holds.
        return obj.date_of_birth if settings.RAPPORT_CONTACT_BIRTH_DATE else None

    @staticmethod
    def resolve_roles(obj: Contact) -> list[str]:
        return sorted({role.role for role in obj.buying_roles.all()})


class ContactPageOut(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class IdentityOut(Schema):
    id: int
    kind: str
    kind_label: str
    value: str = Field(description="as given")
    normalized: str = Field(
        description="what it matches by: e-mail lower case, phone E.164 (+4940123456)"
    )
    display: str = Field(description="for people: a phone in international format")
    is_primary: bool
    shared: bool = Field(description="a switchboard or team mailbox: several people may hold it")
    created_at: datetime

    @staticmethod
    def resolve_kind_label(obj: ContactIdentity) -> str:
        return obj.get_kind_display()


class EmploymentOut(Schema):
    id: int
    account: AccountRef
    customer: AccountRef
    title: str
    started_on: date
    ended_on: date | None


class ContactDetailOut(ContactOut):
    version: int = Field(description="counts up on every change; send it back in If-Match")
    email: str | None = Field(description="primary e-mail")
    phone: str | None = Field(description="primary phone in E.164 (+4940123456)")
    phone_display: str | None = Field(description="primary phone in international format")
    notes: str = Field(description="our notes (blank outside our staff)")
    reports_to: ContactRef | None
    direct_reports: list[ContactRef]
    identities: list[IdentityOut]
    buying_roles: list[BuyingRoleOut]
    employments: list[EmploymentOut]

    @staticmethod
    def resolve_email(obj: Contact) -> str | None:
        email = _primary(obj, IdentityKind.EMAIL)
        return email.value if email else None

    @staticmethod
    def resolve_notes(obj: Contact, context: Any) -> str:
        return obj.notes if access.caller_can(context, INTERNAL) else ""

    @staticmethod
    def resolve_phone(obj: Contact) -> str | None:
        phone = _primary(obj, IdentityKind.PHONE)
        return phone.normalized if phone else None

    @staticmethod
    def resolve_phone_display(obj: Contact) -> str | None:
        phone = _primary(obj, IdentityKind.PHONE)
        return contact_points.phone_display(phone.normalized) if phone else None


def _primary(contact: Contact, kind: str) -> ContactIdentity | None:
    values = [i for i in contact.identities.all() if i.kind == kind]
    values.sort(key=lambda i: not i.is_primary)
    return values[0] if values else None


class ContactFilters(PageFilters):
    q: Text = Field("", description="words of the name or title")
    account_id: Id | None = Field(None, description="people of this account and its units")
    role: BuyingRoleKind | None = None
    status: ContactStatus | None = None


class AccountContactFilters(PageFilters):
    q: Text = ""
    role: BuyingRoleKind | None = None
    status: ContactStatus | None = None


class EndUserFilters(PageFilters):
    account_id: Id | None = None
    q: Text = ""


class ContactCreateIn(Input):
    account_id: Id
    first_name: Text = Field("", description="either name may be empty; not both without email")
    last_name: Text = ""
    title: Text = ""
    reports_to_id: Id | None = None
    notes: Text = ""
    email: Text = Field("", description="becomes the primary e-mail identity")
    phone: Text = Field("", description="becomes the primary phone identity")
    started_on: date | None = Field(None, description="start of the employment; default today")
    street: Text = Field("", description="work address: their site, not their home")
    postcode: Text = ""
    city: Text = ""
    region: Text = ""
    country: Text = Field("", description=COUNTRY_IN)
    date_of_birth: date | None = Field(None, description=BIRTH_DATE)


class ContactUpdateIn(Input):
    first_name: Text | None = None
    last_name: Text | None = None
    title: Text | None = None
    reports_to_id: Id | None = Field(None, description="null: reports to nobody")
    notes: Text | None = None
    status: ContactStatus | None = None
    account_id: Id | None = Field(None, description="a unit of the same organisation")
    street: Text | None = None
    postcode: Text | None = None
    city: Text | None = None
    region: Text | None = None
    country: Text | None = Field(None, description=COUNTRY_IN)
    date_of_birth: date | None = Field(None, description=BIRTH_DATE)


class ContactMoveIn(Input):
    account_id: Id = Field(description="the new unit, in this or another organisation")
    title: Text | None = Field(None, description="the new job title; default: unchanged")
    moved_on: date | None = Field(None, description="default today")


class IdentityIn(Input):
    kind: IdentityKind
    value: Text
    is_primary: bool = False


# --- partners --------------------------------------------------------------------------


class PartnerOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    name: str
    kind: str
    kind_label: str
    website: str
    country: str
    notes: str = Field(description="our notes (blank outside our staff)")
    account_count: int | None = Field(description="accounts served now (in lists only)")
    created_at: datetime

    @staticmethod
    def resolve_kind_label(obj: Partner) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_notes(obj: Partner, context: Any) -> str:
        return obj.notes if access.caller_can(context, INTERNAL) else ""

    @staticmethod
    def resolve_account_count(obj: Partner) -> int | None:
        return getattr(obj, "account_count", None)


class PartnerFilters(Schema):
    q: Text = Field("", description="part of the name")


class PartnerCreateIn(Input):
    name: Text
    kind: PartnerKind
    website: Text = ""
    country: Text = ""
    notes: Text = ""


class PartnerUpdateIn(Input):
    name: Text | None = None
    kind: PartnerKind | None = None
    website: Text | None = None
    country: Text | None = None
    notes: Text | None = None


class PartnerLinkOut(Schema):
    id: int
    partner: PartnerRef
    account: AccountRef
    customer_id: int
    role: str
    role_label: str
    started_on: date
    ended_on: date | None
    is_active: bool

    @staticmethod
    def resolve_role_label(obj: PartnerLink) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_is_active(obj: PartnerLink) -> bool:
        return obj.ended_on is None


class PartnerLinkIn(Input):
    account_id: Id
    role: PartnerRole
    started_on: date | None = Field(None, description="default today")


class PartnerLinkEndIn(Input):
    ended_on: date | None = Field(None, description="default today")


# --- the customer portal's doors --------------------------------------------------------


class PortalInvitationOut(Schema):
    id: int
    contact_id: int
    customer_id: int = Field(description="the organisation the contact belongs to")
    email: str = Field(description="the contact's e-mail identity the link went to")
    state: str = Field(description="open, accepted, revoked or expired")
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    invited_by: UserRef | None = Field(description="who sent it: for our staff only")
    user_id: int | None = Field(description="the portal user it made, once accepted")

    @staticmethod
    def resolve_invited_by(obj: Any, context: Any) -> Any:
        # Our colleagues are our side (DESIGN rule 8): a portal administrator sees no name.
        return obj.invited_by if access.caller_can(context, INTERNAL) else None


class PortalInvitationIn(Input):
    email: Text = Field(
        "",
        max_length=254,
        description="one of the contact's e-mail addresses; empty: its primary one",
    )


class PortalEntitlementOut(Schema):
    id: int
    version: int = Field(description="counts up on every change; send it back in If-Match")
    user: UserRef
    is_active: bool = Field(description="false once the contact left: no sign-in")
    contact_id: int
    customer_id: int
    unit_ids: list[int] = Field(description="units seen with their subtrees; empty: all of it")
    may_requisition: bool
    may_approve: bool
    may_administer: bool = Field(description="may invite and entitle colleagues")

    @staticmethod
    def resolve_is_active(obj: Any) -> bool:
        return bool(obj.user.is_active)

    @staticmethod
    def resolve_unit_ids(obj: Any) -> list[int]:
        return sorted(unit.pk for unit in obj.units.all())


class PortalEntitlementIn(Input):
    unit_ids: list[Id] = Field(default_factory=list, max_length=200)
    may_requisition: bool
    may_approve: bool
    may_administer: bool
