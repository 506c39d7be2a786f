"""API of Identify: accounts, contacts with their identities and buying roles, end users, partners.

Handlers parse, resolve every id through a scoped selector, call one service or
selector, and return; errors are ApplicationErrors turned into 4xx by rapport.api.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from rapport.accounts import selectors, services
from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    LifecycleChange,
    Partner,
    PartnerLink,
    PortalEntitlement,
    PortalInvitation,
)
from rapport.accounts.schemas import (
    AccountContactFilters,
    AccountCreateIn,
    AccountDetailOut,
    AccountFilters,
    AccountMoveIn,
    AccountPageOut,
    AccountUpdateIn,
    BuyingCentreOut,
    BuyingRoleIn,
    BuyingRoleOut,
    ContactCreateIn,
    ContactDetailOut,
    ContactFilters,
    ContactMoveIn,
    ContactPageOut,
    ContactUpdateIn,
    EmploymentOut,
    EndUserFilters,
    IdentityIn,
    IdentityOut,
    LifecycleChangeIn,
    LifecycleChangeOut,
    PartnerCreateIn,
    PartnerFilters,
    PartnerLinkEndIn,
    PartnerLinkIn,
    PartnerLinkOut,
    PartnerOut,
    PartnerUpdateIn,
    PortalEntitlementIn,
    PortalEntitlementOut,
    PortalInvitationIn,
    PortalInvitationOut,
    TreeNodeOut,
)
from rapport.core.api import caller, chosen_one, etag, fields_renamed, if_match, referenced
from rapport.core.errors import NotFound
from rapport.core.pagination import Page
from rapport.core.schemas import HistoryEntryOut
from rapport.core.selectors import HistoryEntry, history_for

accounts = Router(tags=["accounts"])
contacts = Router(tags=["contacts"])
end_users = Router(tags=["end users"])
partners = Router(tags=["partners"])
portal_doors = Router(tags=["portal users"])

router = Router()
for _child in (accounts, contacts, end_users, partners, portal_doors):
    router.add_router("", _child)

# Service errors name model fields; the API answers with the request's field names.
ACCOUNT_FIELDS = {"parent": "parent_id", "manager": "manager_id"}
CONTACT_FIELDS = {"account": "account_id", "reports_to": "reports_to_id"}


# --- accounts --------------------------------------------------------------------------


@accounts.get("/accounts", response=AccountPageOut)
def account_list(request: HttpRequest, filters: Query[AccountFilters]) -> Page[Account]:
    """Accounts by name, keyset-paginated; customer organisations only unless roots_only=false."""
    return selectors.account_list(user=caller(request), **filters.dict())


@accounts.post("/accounts", response={201: AccountDetailOut})
def account_create(request: HttpRequest, payload: AccountCreateIn) -> Status[Account]:
    """Create a customer organisation, or a unit inside one (parent_id)."""
    user = caller(request)
    parent = referenced("parent_id", selectors.account_get, user=user, pk=payload.parent_id)
    managers = partial(selectors.manager_choices, user=user)
    manager = chosen_one("manager_id", payload.manager_id, managers)
    fields = payload.dict(exclude={"parent_id", "manager_id"})
    with fields_renamed(**ACCOUNT_FIELDS):
        account = services.account_create(actor=user, parent=parent, manager=manager, **fields)
    return Status(201, account)


@accounts.get("/accounts/{account_id}", response=AccountDetailOut)
def account_detail(request: HttpRequest, account_id: int, response: HttpResponse) -> Account:
    """One account; its ETag is the version to send back in If-Match."""
    account = selectors.account_get(user=caller(request), pk=account_id)
    etag(response, account)
    return account


@accounts.patch("/accounts/{account_id}", response=AccountDetailOut)
def account_update(
    request: HttpRequest, account_id: int, payload: AccountUpdateIn, response: HttpResponse
) -> Account:
    """Change an account's own fields; only the fields sent change (If-Match: the ETag read)."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    changes = payload.dict(exclude_unset=True)
    if "manager_id" in changes:
        managers = partial(selectors.manager_choices, user=user)
        changes["manager"] = chosen_one("manager_id", changes.pop("manager_id"), managers)
    with fields_renamed(**ACCOUNT_FIELDS):
        account = services.account_update(
            actor=user, account=account, expected_version=if_match(request), **changes
        )
    etag(response, account)
    return account


@accounts.delete("/accounts/{account_id}", response={204: None})
def account_delete(request: HttpRequest, account_id: int) -> Status[None]:
    """Soft-delete an account and its units (restorable)."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    services.account_delete(actor=user, account=account)
    return Status(204, None)


@accounts.post("/accounts/{account_id}/restore", response=AccountDetailOut)
def account_restore(request: HttpRequest, account_id: int) -> Account:
    """Undo the soft delete of an account and of the units deleted with it."""
    user = caller(request)
    account = selectors.account_get_for_restore(user=user, pk=account_id)
    return services.account_restore(actor=user, account=account)


@accounts.post("/accounts/{account_id}/move", response=AccountDetailOut)
def account_move(request: HttpRequest, account_id: int, payload: AccountMoveIn) -> Account:
    """Re-hang a unit under another unit of the same organisation."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    new_parent = referenced(
        "new_parent_id", selectors.account_get, user=user, pk=payload.new_parent_id
    )
    with fields_renamed(parent="new_parent_id"):
        return services.account_move(actor=user, account=account, new_parent=new_parent)


@accounts.get("/accounts/{account_id}/tree", response=list[TreeNodeOut])
def account_tree(request: HttpRequest, account_id: int) -> list[TreeNodeOut]:
    """The account's organisation, depth-first, each unit's figures rolled up its subtree."""
    user = caller(request)
    nodes = selectors.account_tree(
        user=user, account=selectors.account_get(user=user, pk=account_id)
    )
    id_by_path = {node.account.path: node.account.pk for node in nodes}
    return [
        TreeNodeOut.of(node, parent_id=id_by_path.get(node.account.path[: -Account.steplen]))
        for node in nodes
    ]


@accounts.get("/accounts/{account_id}/lifecycle", response=list[LifecycleChangeOut])
def lifecycle_history(request: HttpRequest, account_id: int) -> Any:
    """The account's lifecycle stages, newest first."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    return selectors.lifecycle_history(user=user, account=account)


@accounts.post("/accounts/{account_id}/lifecycle", response={201: LifecycleChangeOut})
def lifecycle_change(
    request: HttpRequest, account_id: int, payload: LifecycleChangeIn
) -> Status[LifecycleChange]:
    """Move the account (and its units) to another lifecycle stage, with a reason."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    change = services.lifecycle_change(actor=user, account=account, **payload.dict())
    return Status(201, change)


@accounts.get("/accounts/{account_id}/buying-centre", response=BuyingCentreOut)
def buying_centre(request: HttpRequest, account_id: int) -> selectors.BuyingCentre:
    """Who plays which buying role across the account's units, and which roles nobody covers."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    return selectors.buying_centre(user=user, account=account)


@accounts.get("/accounts/{account_id}/contacts", response=ContactPageOut)
def account_contacts(
    request: HttpRequest, account_id: int, filters: Query[AccountContactFilters]
) -> Page[Contact]:
    """The people of the account and its units, by name, keyset-paginated."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    return selectors.contact_list(user=user, account=account, **filters.dict())


@accounts.get("/accounts/{account_id}/partners", response=list[PartnerLinkOut])
def account_partners(request: HttpRequest, account_id: int) -> Any:
    """The partners serving the account's organisation, current ones first."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    return selectors.partner_links(user=user, account=account)


@accounts.get("/accounts/{account_id}/history", response=list[HistoryEntryOut])
def account_history(request: HttpRequest, account_id: int) -> list[HistoryEntry]:
    """Who changed what on the account, newest first."""
    user = caller(request)
    return history_for(user=user, record=selectors.account_get(user=user, pk=account_id))


# --- contacts --------------------------------------------------------------------------


@contacts.get("/contacts", response=ContactPageOut)
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> Page[Contact]:
    """People by name, filtered by organisation (with its units), buying role and status."""
    user = caller(request)
    account = referenced("account_id", selectors.account_get, user=user, pk=filters.account_id)
    return selectors.contact_list(
        user=user, account=account, **filters.dict(exclude={"account_id"})
    )


@contacts.post("/contacts", response={201: ContactDetailOut})
def contact_create(request: HttpRequest, payload: ContactCreateIn) -> Status[Contact]:
    """Add a person to a unit, with their first e-mail and phone."""
    user = caller(request)
    account = referenced("account_id", selectors.account_get, user=user, pk=payload.account_id)
    manager = referenced(
        "reports_to_id", selectors.contact_get, user=user, pk=payload.reports_to_id
    )
    fields = payload.dict(exclude={"account_id", "reports_to_id"})
    with fields_renamed(**CONTACT_FIELDS):
        contact = services.contact_create(actor=user, account=account, reports_to=manager, **fields)
    return Status(201, selectors.contact_get(user=user, pk=contact.pk))


@contacts.get("/contacts/{contact_id}", response=ContactDetailOut)
def contact_detail(request: HttpRequest, contact_id: int, response: HttpResponse) -> Contact:
    """One person with identities, buying roles, employments and reporting line; its ETag is
    the version to send back in If-Match."""
    contact = selectors.contact_get(user=caller(request), pk=contact_id)
    etag(response, contact)
    return contact


@contacts.patch("/contacts/{contact_id}", response=ContactDetailOut)
def contact_update(
    request: HttpRequest, contact_id: int, payload: ContactUpdateIn, response: HttpResponse
) -> Contact:
    """Change a person's details; a unit of the same organisation in account_id is a transfer
    (If-Match: the ETag read)."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    changes = payload.dict(exclude_unset=True)
    if "reports_to_id" in changes:
        pk = changes.pop("reports_to_id")
        changes["reports_to"] = referenced("reports_to_id", selectors.contact_get, user=user, pk=pk)
    if "account_id" in changes:
        pk = changes.pop("account_id")
        changes["account"] = referenced("account_id", selectors.account_get, user=user, pk=pk)
    with fields_renamed(**CONTACT_FIELDS):
        services.contact_update(
            actor=user, contact=contact, expected_version=if_match(request), **changes
        )
    contact = selectors.contact_get(user=user, pk=contact.pk)
    etag(response, contact)
    return contact


@contacts.delete("/contacts/{contact_id}", response={204: None})
def contact_delete(request: HttpRequest, contact_id: int) -> Status[None]:
    """Soft-delete a person; their interactions keep pointing at them."""
    user = caller(request)
    services.contact_delete(actor=user, contact=selectors.contact_get(user=user, pk=contact_id))
    return Status(204, None)


@contacts.post("/contacts/{contact_id}/move", response=ContactDetailOut)
def contact_move(request: HttpRequest, contact_id: int, payload: ContactMoveIn) -> Contact:
    """Record that the person moved to another unit or company; their history goes with them."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    to_account = referenced("account_id", selectors.account_get, user=user, pk=payload.account_id)
    with fields_renamed(**CONTACT_FIELDS):
        services.contact_move(
            actor=user,
            contact=contact,
            to_account=to_account,
            title=payload.title,
            moved_on=payload.moved_on,
        )
    return selectors.contact_get(user=user, pk=contact.pk)


@contacts.get("/contacts/{contact_id}/identities", response=list[IdentityOut])
def identity_list(request: HttpRequest, contact_id: int) -> Any:
    """The person's e-mails, phones and system ids."""
    return selectors.contact_get(user=caller(request), pk=contact_id).identities.all()


@contacts.post("/contacts/{contact_id}/identities", response={201: IdentityOut})
def identity_add(
    request: HttpRequest, contact_id: int, payload: IdentityIn
) -> Status[ContactIdentity]:
    """Give the person another identity; each is unique within its kind across everyone."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    return Status(201, services.identity_add(actor=user, contact=contact, **payload.dict()))


@contacts.delete("/contacts/{contact_id}/identities/{identity_id}", response={204: None})
def identity_remove(request: HttpRequest, contact_id: int, identity_id: int) -> Status[None]:
    """Remove one of the person's identities (it stays in the audit history)."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    identity = _one_of(contact.identities.all(), identity_id, "identity")
    services.identity_remove(actor=user, identity=identity)
    return Status(204, None)


@contacts.get("/contacts/{contact_id}/buying-roles", response=list[BuyingRoleOut])
def buying_role_list(request: HttpRequest, contact_id: int) -> Any:
    """The parts the person plays in buying, per unit."""
    return selectors.contact_get(user=caller(request), pk=contact_id).buying_roles.all()


@contacts.post("/contacts/{contact_id}/buying-roles", response=BuyingRoleOut)
def buying_role_set(request: HttpRequest, contact_id: int, payload: BuyingRoleIn) -> BuyingRole:
    """Record the person's role at a unit, or update it if they already have that role there."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    account = referenced("account_id", selectors.account_get, user=user, pk=payload.account_id)
    with fields_renamed(**CONTACT_FIELDS):
        return services.buying_role_set(
            actor=user, contact=contact, account=account, **payload.dict(exclude={"account_id"})
        )


@contacts.delete("/contacts/{contact_id}/buying-roles/{role_id}", response={204: None})
def buying_role_remove(request: HttpRequest, contact_id: int, role_id: int) -> Status[None]:
    """Remove one of the person's buying roles."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    services.buying_role_remove(
        actor=user, buying_role=_one_of(contact.buying_roles.all(), role_id, "buying role")
    )
    return Status(204, None)


@contacts.get("/contacts/{contact_id}/employments", response=list[EmploymentOut])
def employment_list(request: HttpRequest, contact_id: int) -> Any:
    """Where the person worked and when, newest first."""
    return selectors.contact_get(user=caller(request), pk=contact_id).employments.all()


@contacts.get("/contacts/{contact_id}/history", response=list[HistoryEntryOut])
def contact_history(request: HttpRequest, contact_id: int) -> list[HistoryEntry]:
    """Who changed what on the person's record, newest first."""
    user = caller(request)
    return history_for(user=user, record=selectors.contact_get(user=user, pk=contact_id))


def _one_of(rows: Any, pk: int, what: str) -> Any:
    """The row with this id among a contact's prefetched rows, or NotFound."""
    found = next((row for row in rows if row.pk == pk), None)
    if found is None:
        raise NotFound(f"{what} not found")
    return found


# --- end users -------------------------------------------------------------------------


@end_users.get("/end-users", response=ContactPageOut)
def end_user_list(request: HttpRequest, filters: Query[EndUserFilters]) -> Page[Contact]:
    """The end-user programme: everyone holding the end-user role, by name."""
    user = caller(request)
    account = referenced("account_id", selectors.account_get, user=user, pk=filters.account_id)
    return selectors.end_users(user=user, account=account, **filters.dict(exclude={"account_id"}))


# --- partners --------------------------------------------------------------------------


@partners.get("/partners", response=list[PartnerOut])
def partner_list(request: HttpRequest, filters: Query[PartnerFilters]) -> Any:
    """Channel partners by name, with how many accounts each serves now."""
    return selectors.partner_list(user=caller(request), q=filters.q)


@partners.post("/partners", response={201: PartnerOut})
def partner_create(request: HttpRequest, payload: PartnerCreateIn) -> Status[Partner]:
    """Register a channel partner."""
    return Status(201, services.partner_create(actor=caller(request), **payload.dict()))


@partners.get("/partners/{partner_id}", response=PartnerOut)
def partner_detail(request: HttpRequest, partner_id: int, response: HttpResponse) -> Partner:
    """One partner; its ETag is the version to send back in If-Match."""
    partner = selectors.partner_get(user=caller(request), pk=partner_id)
    etag(response, partner)
    return partner


@partners.patch("/partners/{partner_id}", response=PartnerOut)
def partner_update(
    request: HttpRequest, partner_id: int, payload: PartnerUpdateIn, response: HttpResponse
) -> Partner:
    """Change a partner's details; only the fields sent change (If-Match: the ETag read)."""
    user = caller(request)
    partner = selectors.partner_get(user=user, pk=partner_id)
    partner = services.partner_update(
        actor=user,
        partner=partner,
        expected_version=if_match(request),
        **payload.dict(exclude_unset=True),
    )
    etag(response, partner)
    return partner


@partners.get("/partners/{partner_id}/links", response=list[PartnerLinkOut])
def partner_link_list(request: HttpRequest, partner_id: int) -> Any:
    """The accounts the partner serves (and served), current ones first."""
    user = caller(request)
    return selectors.partner_links(
        user=user, partner=selectors.partner_get(user=user, pk=partner_id)
    )


@partners.post("/partners/{partner_id}/links", response={201: PartnerLinkOut})
def partner_link_create(
    request: HttpRequest, partner_id: int, payload: PartnerLinkIn
) -> Status[PartnerLink]:
    """Record that the partner serves an account in a role."""
    user = caller(request)
    partner = selectors.partner_get(user=user, pk=partner_id)
    account = referenced("account_id", selectors.account_get, user=user, pk=payload.account_id)
    with fields_renamed(account="account_id"):
        link = services.partner_link_create(
            actor=user,
            partner=partner,
            account=account,
            role=payload.role,
            started_on=payload.started_on,
        )
    return Status(201, link)


@partners.post("/partner-links/{link_id}/end", response=PartnerLinkOut)
def partner_link_end(
    request: HttpRequest, link_id: int, payload: PartnerLinkEndIn | None = None
) -> PartnerLink:
    """End a partner's service of an account; the link stays in the history."""
    user = caller(request)
    link = selectors.partner_links(user=user).filter(pk=link_id).first()
    if link is None:
        raise NotFound("partner link not found")
    ended_on = payload.ended_on if payload else None
    return services.partner_link_end(actor=user, link=link, ended_on=ended_on)


# --- the customer portal's doors --------------------------------------------------------


def _accept_url(request: HttpRequest) -> str:
    """The invitation acceptance page (a page of the portal app), with the token's slot."""
    return request.build_absolute_uri("/portal/invitation/TOKEN/").replace("TOKEN", "{token}")


@portal_doors.get("/contacts/{contact_id}/portal-invitations", response=list[PortalInvitationOut])
def portal_invitation_list(request: HttpRequest, contact_id: int) -> Any:
    """The person's invitations to the portal, newest first, with their state."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    return selectors.portal_invitations(user=user, contact=contact)


@portal_doors.post("/contacts/{contact_id}/portal-invitations", response={201: PortalInvitationOut})
def portal_invitation_create(
    request: HttpRequest, contact_id: int, payload: PortalInvitationIn
) -> Status[PortalInvitation]:
    """Invite the person: a single-use link, valid for a few days, e-mailed to them."""
    user = caller(request)
    contact = selectors.contact_get(user=user, pk=contact_id)
    invitation = services.portal_invitation_create(
        actor=user, contact=contact, accept_url=_accept_url(request), email=payload.email
    )
    return Status(201, invitation)


@portal_doors.post(
    "/portal-invitations/{invitation_id}/resend", response={201: PortalInvitationOut}
)
def portal_invitation_resend(request: HttpRequest, invitation_id: int) -> Status[PortalInvitation]:
    """Send a fresh link; the one sent before stops working."""
    user = caller(request)
    invitation = selectors.portal_invitation_get(user=user, pk=invitation_id)
    fresh = services.portal_invitation_resend(
        actor=user, invitation=invitation, accept_url=_accept_url(request)
    )
    return Status(201, fresh)


@portal_doors.post("/portal-invitations/{invitation_id}/revoke", response=PortalInvitationOut)
def portal_invitation_revoke(request: HttpRequest, invitation_id: int) -> PortalInvitation:
    """Withdraw an invitation: its link stops working."""
    user = caller(request)
    invitation = selectors.portal_invitation_get(user=user, pk=invitation_id)
    return services.portal_invitation_revoke(actor=user, invitation=invitation)


@portal_doors.get("/accounts/{account_id}/portal-users", response=list[PortalEntitlementOut])
def portal_user_list(request: HttpRequest, account_id: int) -> Any:
    """The organisation's portal users with what they see and may do."""
    user = caller(request)
    account = selectors.account_get(user=user, pk=account_id)
    return selectors.portal_entitlements(user=user, customer_id=account.customer_pk)


@portal_doors.get("/portal-users/{entitlement_id}", response=PortalEntitlementOut)
def portal_user_detail(
    request: HttpRequest, entitlement_id: int, response: HttpResponse
) -> PortalEntitlement:
    """One portal user's entitlement; its ETag is the version to send back in If-Match."""
    entitlement = selectors.portal_entitlement_get(user=caller(request), pk=entitlement_id)
    etag(response, entitlement)
    return entitlement


@portal_doors.put("/portal-users/{entitlement_id}", response=PortalEntitlementOut)
def portal_user_entitle(
    request: HttpRequest,
    entitlement_id: int,
    payload: PortalEntitlementIn,
    response: HttpResponse,
) -> PortalEntitlement:
    """Say which units the portal user sees (none: the whole organisation) and what it may do."""
    user = caller(request)
    entitlement = selectors.portal_entitlement_get(user=user, pk=entitlement_id)
    units = [
        referenced("unit_ids", selectors.account_get, user=user, pk=pk) for pk in payload.unit_ids
    ]
    services.portal_entitlement_set(
        actor=user,
        entitlement=entitlement,
        units=units,
        may_requisition=payload.may_requisition,
        may_approve=payload.may_approve,
        may_administer=payload.may_administer,
        expected_version=if_match(request),
    )
    entitlement = selectors.portal_entitlement_get(user=user, pk=entitlement.pk)
    etag(response, entitlement)
    return entitlement
