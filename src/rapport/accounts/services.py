"""Writes of Identify: accounts, lifecycle, contacts, identities, buying roles, partners.

Every function takes keyword-only arguments, checks the actor may write, validates,
runs in one transaction and leaves an audit trail (django-simple-history).
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator, validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from treebeard.exceptions import InvalidMoveToDescendant

from rapport.accounts.models import (
    Account,
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    ContactStatus,
    Employment,
    IdentityKind,
    InvitationState,
    LifecycleChange,
    LifecycleStage,
    Partner,
    PartnerLink,
    PartnerRole,
    PortalEntitlement,
    PortalInvitation,
)
from rapport.analytics import contact_points
from rapport.core import access
from rapport.core.errors import ApplicationError, Conflict, InvalidInput, NotFound
from rapport.core.models import Role, User
from rapport.core.services import soft_delete, soft_restore, validated_save, version_claim

PLACE_FIELDS = {"street", "city", "postcode", "region", "country"}
ACCOUNT_FIELDS = {
    "name",
    "kind",
    "industry",
    "website",
    *PLACE_FIELDS,
    "employees",
    "description",
    "manager",
}
CONTACT_FIELDS = {
    "first_name",
    "last_name",
    "title",
    "reports_to",
    "notes",
    "status",
    "account",
    *PLACE_FIELDS,
    "date_of_birth",
}
PARTNER_FIELDS = {"name", "kind", "website", "country", "notes"}


def _reject_unknown(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])


_NULLABLE = {"employees", "manager", "reports_to", "date_of_birth"}


def _apply(obj: Any, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(obj, name, "" if value is None and name not in _NULLABLE else value)


def place_normalize(fields: dict[str, Any]) -> None:
    """Put the postal fields among `fields` in their one stored form, in place.

    The country becomes its English short name (from a name, alias or ISO code) and the
    postcode upper case; an unknown country is an error on the field.
    """
    if fields.get("country"):
        name = contact_points.country_name(fields["country"])
        if name is None:
            raise InvalidInput(
                f"Unknown country {str(fields['country']).strip()!r}; give its name or ISO code.",
                field="country",
            )
        fields["country"] = name
    if fields.get("postcode"):
        fields["postcode"] = contact_points.postcode_normalized(fields["postcode"])


def _birth_date_allowed(fields: dict[str, Any]) -> None:
    if fields.get("date_of_birth") and not settings.RAPPORT_CONTACT_BIRTH_DATE:
        raise InvalidInput(
            "This deployment does not keep dates of birth (RAPPORT_CONTACT_BIRTH_DATE).",
            field="date_of_birth",
        )


def contact_place_check(place: dict[str, Any]) -> None:
    """The checks contact_create makes of a work address and date of birth, in place.

    For writers in bulk (the import) that check every row before they insert: unknown
    fields, a date of birth the deployment does not keep, the country and postcode put in
    their stored form. Raises InvalidInput naming the field.
    """
    _reject_unknown(place, PLACE_FIELDS | {"date_of_birth"})
    _birth_date_allowed(place)
    place_normalize(place)


# --- accounts -------------------------------------------------------------------------


@transaction.atomic
def account_create(
    *,
    actor: User,
    name: str,
    parent: Account | None = None,
    kind: str | None = None,
    lifecycle_stage: str = LifecycleStage.PROSPECT,
    **fields: Any,
) -> Account:
    """Create a customer organisation (no parent) or a unit inside one."""
    access.ensure_can_write(actor)
    _reject_unknown(fields, ACCOUNT_FIELDS - {"name", "kind"})
    if lifecycle_stage not in LifecycleStage.values:
        raise InvalidInput(f"Unknown lifecycle stage {lifecycle_stage!r}.", field="lifecycle_stage")
    if kind is None:
        kind = AccountKind.LEGAL_ENTITY if parent is None else AccountKind.DIVISION
    if parent is not None:
        parent = access.get_visible(
            Account.objects.filter(deleted_at__isnull=True), actor, via="", pk=parent.pk
        )
    place_normalize(fields)
    account = Account(name=(name or "").strip(), kind=kind, **fields)
    account.lifecycle_stage = parent.lifecycle_stage if parent else lifecycle_stage
    _validate_account(account)
    account._history_user = actor
    if parent is None:
        account = Account.objects.add_root(instance=account)
        account.customer = account
        account.save(update_fields=["customer"])
        LifecycleChange.objects.create(
            account=account,
            customer=account,
            stage=account.lifecycle_stage,
            changed_by=actor,
            reason="Account created",
        )
    else:
        account.customer_id = parent.customer_id
        account = Account.objects.add_child(parent, instance=account)
    return account


def _subtree(account: Account) -> QuerySet[Account]:
    """The account and every unit below it (by path, so a stale instance is harmless)."""
    return Account.objects.filter(customer_id=account.customer_id, path__startswith=account.path)


def _validate_account(account: Account) -> None:
    exclude = ["path", "depth", "numchild", "customer"]
    try:
        account.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        from rapport.core.errors import from_django_validation

        raise from_django_validation(exc) from None


@transaction.atomic
def account_update(
    *, actor: User, account: Account, expected_version: int | None = None, **changes: Any
) -> Account:
    """Change an account's own fields (not its place in the tree).

    With `expected_version` (the version the form or If-Match named) a change made since
    by someone else is refused with StaleWrite rather than overwritten.
    """
    access.ensure_can_write(actor)
    _reject_unknown(changes, ACCOUNT_FIELDS)
    place_normalize(changes)
    _apply(account, changes)
    _validate_account(account)
    account._history_user = actor
    version_claim(account, expected_version, list(changes))
    # Only the changed fields: the roll-up counters belong to the interaction services.
    account.save(update_fields=[*changes, "updated_at", "version"])
    return account


@transaction.atomic
def account_move(*, actor: User, account: Account, new_parent: Account) -> Account:
    """Re-hang a unit under another unit of the same customer organisation."""
    access.ensure_can_write(actor)
    if account.is_customer_root:
        raise InvalidInput("A customer organisation cannot be moved under another.", field="parent")
    if new_parent.customer_id != account.customer_id:
        raise InvalidInput("A unit can only move within its own organisation.", field="parent")
    if new_parent.pk == account.pk:
        raise InvalidInput("A unit cannot be its own parent.", field="parent")
    account.refresh_from_db()
    new_parent.refresh_from_db()
    try:
        Account.objects.move(account, new_parent, pos="last-child")
    except InvalidMoveToDescendant:
        raise InvalidInput(
            "A unit cannot move under one of its own units.", field="parent"
        ) from None
    account.refresh_from_db()
    return account


@transaction.atomic
def account_delete(*, actor: User, account: Account) -> Account:
    """Soft-delete an account and its units; everything stays restorable."""
    access.ensure_can_write(actor)
    now = timezone.now()
    for node in _subtree(account).filter(deleted_at__isnull=True):
        soft_delete(node, actor=actor, at=now)
    account.deleted_at = now
    return account


@transaction.atomic
def account_restore(*, actor: User, account: Account) -> Account:
    """Undo a soft delete of an account and of the units deleted with it."""
    access.ensure_can_write(actor)
    if account.deleted_at is None:
        return account
    parent = Account.objects.filter(path=account.path[: -Account.steplen]).first()
    if parent is not None and parent.deleted_at is not None:
        raise Conflict("Restore the parent unit first.", field="parent")
    deleted_at = account.deleted_at
    for node in _subtree(account).filter(deleted_at=deleted_at):
        soft_restore(node, actor=actor)
    account.deleted_at = None
    return account


@transaction.atomic
def lifecycle_change(
    *,
    actor: User,
    account: Account,
    stage: str,
    reason: str = "",
    changed_at: datetime | None = None,
) -> LifecycleChange:
    """Move an account to a lifecycle stage; the stage history is appended, never rewritten."""
    access.ensure_can_write(actor)
    if stage not in LifecycleStage.values:
        raise InvalidInput(f"Unknown lifecycle stage {stage!r}.", field="stage")
    if stage == account.lifecycle_stage:
        raise Conflict(
            f"The account is already at stage {account.get_lifecycle_stage_display()}.",
            field="stage",
        )
    change = LifecycleChange.objects.create(
        account=account,
        customer_id=account.customer_pk,
        stage=stage,
        previous_stage=account.lifecycle_stage,
        changed_at=changed_at or timezone.now(),
        changed_by=actor,
        reason=(reason or "").strip()[:500],
    )
    # Units share their organisation's stage: one record, nothing copied on conversion.
    _subtree(account).update(lifecycle_stage=stage, updated_at=timezone.now())
    account.lifecycle_stage = stage
    return change


# --- identities -----------------------------------------------------------------------


def phone_region(contact: Contact | None = None, account: Account | None = None) -> str | None:
    """The country a number without a country code is read in: the contact's, the account's."""
    for place in (contact, account or (contact.account if contact is not None else None)):
        if place is not None and place.country:
            code = contact_points.country_code(place.country)
            if code:
                return code
    return settings.RAPPORT_PHONE_REGION or None


def identity_normalize(kind: str, value: str, *, region: str | None = None) -> str:
    """The canonical form an identity is matched by: e-mail lower case, phone E.164."""
    value = (value or "").strip()
    if kind == IdentityKind.EMAIL:
        return contact_points.email_normalized(value) or value.lower()
    if kind == IdentityKind.PORTAL_LOGIN:
        return value.lower()
    if kind == IdentityKind.PHONE:
        try:
            return contact_points.phone_e164(value, region)
        except contact_points.PhoneError:
            return value
    return value.upper()


def identity_is_shared(kind: str, value: str) -> bool:
    """Whether many people may hold this identity (a phone, a team mailbox)."""
    if kind == IdentityKind.PHONE:
        return True
    return kind == IdentityKind.EMAIL and contact_points.is_shared_mailbox(value)


# Read once: an enum's `values` builds its list anew on every call, once per imported phone.
_IDENTITY_KINDS = frozenset(IdentityKind.values)


class _EmailCheck(EmailValidator):
    """Django's e-mail rules, each domain's part checked once: the addresses of an import
    share a few domains, and the domain pattern is half the cost of the check."""

    def validate_domain_part(self, domain_part: str) -> bool:
        return _domain_valid(domain_part)


@lru_cache(maxsize=16384)
def _domain_valid(domain_part: str) -> bool:
    return bool(validate_email.validate_domain_part(domain_part))


_email_check = _EmailCheck()


def identity_check(kind: str, value: str, *, region: str | None = None) -> tuple[str, str]:
    """A valid identity's value (trimmed) and its normalised form, or a field error."""
    if kind not in _IDENTITY_KINDS:
        raise InvalidInput(f"Unknown identity kind {kind!r}.", field="kind")
    value = (value or "").strip()
    if not value:
        raise InvalidInput("Enter a value.", field="value")
    if len(value) > 254:
        raise InvalidInput("Keep it under 254 characters.", field="value")
    if kind == IdentityKind.EMAIL:
        try:
            _email_check(value)
        except DjangoValidationError:
            raise InvalidInput(f"{value!r} is not a valid e-mail address.", field="value") from None
    if kind == IdentityKind.PHONE:
        try:
            return value, contact_points.phone_e164(value, region)
        except contact_points.PhoneError as exc:
            raise InvalidInput(str(exc), field="value") from None
    return value, identity_normalize(kind, value)


@transaction.atomic
def identity_add(
    *, actor: User, contact: Contact, kind: str, value: str, is_primary: bool = False
) -> ContactIdentity:
    """Give a contact another identity; one that names a person is unique across everyone."""
    access.ensure_can_write(actor)
    value, normalized = identity_check(kind, value, region=phone_region(contact))
    shared = identity_is_shared(kind, value)
    holders = ContactIdentity.objects.filter(kind=kind, normalized=normalized)
    if holders.filter(contact=contact).exists():
        raise Conflict(f"{value} already belongs to this contact.", field="value")
    if not shared and holders.filter(shared=False).exists():
        raise Conflict(f"{value} already belongs to another contact.", field="value")
    if is_primary:
        ContactIdentity.objects.filter(contact=contact, kind=kind, is_primary=True).update(
            is_primary=False
        )
    elif not ContactIdentity.objects.filter(contact=contact, kind=kind).exists():
        is_primary = True
    identity = ContactIdentity(
        contact=contact,
        customer_id=contact.customer_id,
        kind=kind,
        value=value,
        normalized=normalized,
        is_primary=is_primary,
        shared=shared,
    )
    validated_save(identity, actor=actor)
    return identity


@transaction.atomic
def identity_remove(*, actor: User, identity: ContactIdentity) -> ContactIdentity:
    """Soft-delete an identity (it stays in the audit history)."""
    access.ensure_can_write(actor)
    soft_delete(identity, actor=actor)
    return identity


# --- contacts -------------------------------------------------------------------------


def _check_reports_to(contact: Contact, manager: Contact | None) -> None:
    if manager is None:
        return
    if manager.customer_id != contact.customer_id:
        raise InvalidInput(
            "A contact can only report to someone in the same organisation.", field="reports_to"
        )
    seen = {contact.pk}
    current: Contact | None = manager
    while current is not None:
        if current.pk in seen:
            raise InvalidInput("That reporting line would make a loop.", field="reports_to")
        seen.add(current.pk)
        current = current.reports_to


@transaction.atomic
def contact_create(
    *,
    actor: User,
    account: Account,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    reports_to: Contact | None = None,
    notes: str = "",
    email: str = "",
    phone: str = "",
    started_on: date | None = None,
    **place: Any,
) -> Contact:
    """Add a person to an organisation unit, with their first identities and employment.

    `place` holds the work address (street, city, postcode, region, country) and, where
    the deployment keeps it, date_of_birth. A contact needs a name or an e-mail address.
    """
    access.ensure_can_write(actor)
    _reject_unknown(place, PLACE_FIELDS | {"date_of_birth"})
    _birth_date_allowed(place)
    place_normalize(place)
    contact = Contact(
        customer_id=account.customer_pk,
        account=account,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        title=(title or "").strip(),
        reports_to=reports_to,
        notes=notes or "",
        **{k: (v.strip() if isinstance(v, str) else v) for k, v in place.items()},
    )
    if not contact.first_name and not contact.last_name and not (email or "").strip():
        raise InvalidInput(
            "Give a first name, a last name or an e-mail address.", field="last_name"
        )
    _check_reports_to(contact, reports_to)
    validated_save(contact, actor=actor)
    Employment.objects.create(
        contact=contact,
        account=account,
        customer_id=account.customer_pk,
        title=contact.title,
        started_on=started_on or timezone.localdate(),
    )
    for field, kind, value in (
        ("email", IdentityKind.EMAIL, email),
        ("phone", IdentityKind.PHONE, phone),
    ):
        if not value:
            continue
        try:
            identity_add(actor=actor, contact=contact, kind=kind, value=value, is_primary=True)
        except ApplicationError as exc:
            # The caller gave `email` / `phone`, not an identity's `value`: name its field.
            errors = {
                (field if name == "value" else name): msgs for name, msgs in exc.errors.items()
            }
            raise type(exc)(exc.message, errors=errors) from None
    return contact


@transaction.atomic
def contact_update(
    *, actor: User, contact: Contact, expected_version: int | None = None, **changes: Any
) -> Contact:
    """Change a contact's details; a new unit within the same organisation is a transfer.

    With `expected_version` a change made since by someone else is refused (StaleWrite).
    """
    access.ensure_can_write(actor)
    _reject_unknown(changes, CONTACT_FIELDS)
    new_account = changes.pop("account", None)
    if new_account is not None and new_account.pk != contact.account_id:
        if new_account.customer_id != contact.customer_id:
            raise InvalidInput(
                "To move someone to another organisation, record the move (it keeps their history).",
                field="account",
            )
        # Claimed before the transfer saves: the version the form named is checked once.
        version_claim(contact, expected_version, [*changes, "account"])
        expected_version = None
        contact = contact_move(actor=actor, contact=contact, to_account=new_account)
    if "status" in changes and changes["status"] not in ContactStatus.values:
        raise InvalidInput(f"Unknown status {changes['status']!r}.", field="status")
    if "reports_to" in changes:
        _check_reports_to(contact, changes["reports_to"])
    _birth_date_allowed(changes)
    place_normalize(changes)
    leaving = changes.get("status") == ContactStatus.LEFT and contact.status != ContactStatus.LEFT
    _apply(contact, changes)
    if (
        not contact.first_name
        and not contact.last_name
        and not contact.identities.filter(kind=IdentityKind.EMAIL).exists()
    ):
        raise InvalidInput(
            "Give a first name, a last name or an e-mail address.", field="last_name"
        )
    validated_save(
        contact,
        actor=actor,
        expected_version=expected_version,
        update_fields=[*changes, "updated_at"],
    )
    if leaving:
        portal_access_end(actor=actor, contact=contact)
    return contact


@transaction.atomic
def contact_move(
    *,
    actor: User,
    contact: Contact,
    to_account: Account,
    title: str | None = None,
    moved_on: date | None = None,
) -> Contact:
    """Record that a person moved to another unit or company: history, interactions and identities stay with them."""
    access.ensure_can_write(actor)
    moved_on = moved_on or timezone.localdate()
    current = (
        Employment.objects.filter(contact=contact, ended_on__isnull=True)
        .order_by("-started_on")
        .first()
    )
    if current is not None and moved_on < current.started_on:
        raise InvalidInput(
            f"The move cannot be before the current job started ({current.started_on:%d %b %Y}).",
            field="moved_on",
        )
    if to_account.pk == contact.account_id:
        raise InvalidInput("The person is already in that unit.", field="account")
    leaving_customer = to_account.customer_id != contact.customer_id
    Employment.objects.filter(contact=contact, ended_on__isnull=True).update(ended_on=moved_on)
    if leaving_customer:
        now = timezone.now()
        for role in BuyingRole.objects.filter(contact=contact):
            soft_delete(role, actor=actor, at=now)
        ContactIdentity.objects.filter(contact=contact).update(customer_id=to_account.customer_pk)
        portal_access_end(actor=actor, contact=contact)
        Contact.objects.filter(reports_to=contact).update(reports_to=None)
        contact.reports_to = None
    contact.account = to_account
    contact.customer_id = to_account.customer_pk
    if title is not None:
        contact.title = title.strip()
    contact.status = ContactStatus.ACTIVE
    validated_save(contact, actor=actor)
    Employment.objects.create(
        contact=contact,
        account=to_account,
        customer_id=to_account.customer_pk,
        title=contact.title,
        started_on=moved_on,
    )
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> Contact:
    """Soft-delete a contact; their interactions keep pointing at them."""
    access.ensure_can_write(actor)
    soft_delete(contact, actor=actor)
    portal_access_end(actor=actor, contact=contact)
    return contact


@transaction.atomic
def contact_restore(*, actor: User, contact: Contact) -> Contact:
    """Undo a contact's soft delete."""
    access.ensure_can_write(actor)
    soft_restore(contact, actor=actor)
    return contact


# --- buying roles ---------------------------------------------------------------------


@transaction.atomic
def buying_role_set(
    *,
    actor: User,
    contact: Contact,
    role: str,
    account: Account | None = None,
    influence: int = 3,
    attitude: int = 0,
    notes: str = "",
    last_engaged_at: datetime | None = None,
) -> BuyingRole:
    """Record (or update) a contact's role in buying at a unit of their organisation."""
    access.ensure_can_write(actor)
    if role not in BuyingRoleKind.values:
        raise InvalidInput(f"Unknown buying role {role!r}.", field="role")
    account = account or contact.account
    if account.customer_id != contact.customer_id:
        raise InvalidInput(
            "The role must be at a unit of the contact's own organisation.", field="account"
        )
    if not 1 <= int(influence) <= 5:
        raise InvalidInput("Influence runs from 1 to 5.", field="influence")
    if int(attitude) not in range(-2, 3):
        raise InvalidInput("Attitude runs from -2 (hostile) to 2 (advocate).", field="attitude")
    buying_role = BuyingRole.objects.filter(contact=contact, account=account, role=role).first()
    if buying_role is None:
        buying_role = BuyingRole(
            contact=contact, account=account, customer_id=contact.customer_id, role=role
        )
    buying_role.influence = int(influence)
    buying_role.attitude = int(attitude)
    buying_role.notes = (notes or "").strip()
    buying_role.last_engaged_at = (
        last_engaged_at or buying_role.last_engaged_at or contact.last_engaged_at
    )
    validated_save(buying_role, actor=actor)
    return buying_role


@transaction.atomic
def buying_role_remove(*, actor: User, buying_role: BuyingRole) -> BuyingRole:
    """Soft-delete a buying role."""
    access.ensure_can_write(actor)
    soft_delete(buying_role, actor=actor)
    return buying_role


# --- partners -------------------------------------------------------------------------


@transaction.atomic
def partner_create(*, actor: User, name: str, kind: str, **fields: Any) -> Partner:
    """Register a channel partner."""
    access.ensure_can_write(actor)
    _reject_unknown(fields, PARTNER_FIELDS - {"name", "kind"})
    if Partner.all_objects.filter(name__iexact=(name or "").strip()).exists():
        raise Conflict(f"A partner named {name.strip()!r} exists already.", field="name")
    partner = Partner(name=(name or "").strip(), kind=kind, **fields)
    validated_save(partner, actor=actor)
    return partner


@transaction.atomic
def partner_update(
    *, actor: User, partner: Partner, expected_version: int | None = None, **changes: Any
) -> Partner:
    """Change a partner's details; a change made since `expected_version` is refused."""
    access.ensure_can_write(actor)
    _reject_unknown(changes, PARTNER_FIELDS)
    if (
        "name" in changes
        and Partner.all_objects.filter(name__iexact=(changes["name"] or "").strip())
        .exclude(pk=partner.pk)
        .exists()
    ):
        raise Conflict(f"A partner named {changes['name']!r} exists already.", field="name")
    _apply(partner, changes)
    validated_save(partner, actor=actor, expected_version=expected_version)
    return partner


@transaction.atomic
def partner_link_create(
    *, actor: User, partner: Partner, account: Account, role: str, started_on: date | None = None
) -> PartnerLink:
    """Record that a partner serves an end-customer account in a role."""
    access.ensure_can_write(actor)
    if role not in PartnerRole.values:
        raise InvalidInput(f"Unknown partner role {role!r}.", field="role")
    if PartnerLink.objects.filter(
        partner=partner, account=account, role=role, ended_on__isnull=True
    ).exists():
        raise Conflict(f"{partner} already serves {account} as {role}.", field="role")
    link = PartnerLink(
        partner=partner,
        account=account,
        customer_id=account.customer_pk,
        role=role,
        started_on=started_on or timezone.localdate(),
    )
    validated_save(link, actor=actor)
    return link


@transaction.atomic
def partner_link_end(
    *, actor: User, link: PartnerLink, ended_on: date | None = None
) -> PartnerLink:
    """End a partner's service of an account; the link stays in history."""
    access.ensure_can_write(actor)
    if link.ended_on is not None:
        raise Conflict(
            f"This partnership already ended on {link.ended_on:%d %b %Y}.", field="ended_on"
        )
    link.ended_on = ended_on or timezone.localdate()
    if link.ended_on < link.started_on:
        raise InvalidInput("The end date is before the start date.", field="ended_on")
    validated_save(link, actor=actor)
    return link


# --- the customer portal: invitations, acceptance, entitlements -----------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_send(invitation: PortalInvitation, *, token: str, accept_url: str) -> None:
    """E-mail the invitation's link; a mail server refusing it undoes the invitation."""
    link = accept_url.replace(TOKEN_SLOT, token)
    days = settings.RAPPORT_PORTAL_INVITATION_DAYS
    subject = f"You are invited to {invitation.customer.name}'s portal"
    body = render_to_string(
        "accounts/portal_invitation_email.txt",
        {"invitation": invitation, "link": link, "days": days},
    )
    try:
        send_mail(subject, body, None, [invitation.email])
    except (OSError, smtplib.SMTPException) as exc:
        raise InvalidInput(
            f"The invitation could not be sent to {invitation.email}: {exc}", field="email"
        ) from None


TOKEN_SLOT = "{token}"
"""Where the token goes in the acceptance address a page or the API hands a service."""


def _portal_email(contact: Contact, email: str) -> str:
    """The contact's e-mail identity named (or its primary one), or a field error."""
    emails = ContactIdentity.objects.filter(
        contact=contact, kind=IdentityKind.EMAIL, shared=False
    ).order_by("-is_primary", "value")
    if email:
        normalized = identity_normalize(IdentityKind.EMAIL, email)
        chosen = emails.filter(normalized=normalized).first()
        if chosen is None:
            raise InvalidInput(
                f"{email} is not one of {contact.full_name}'s e-mail addresses.", field="email"
            )
        return chosen.value
    first = emails.first()
    if first is None:
        raise InvalidInput(
            f"{contact.full_name} has no personal e-mail address to send the invitation to.",
            field="email",
        )
    return first.value


@transaction.atomic
def portal_invitation_create(
    *, actor: User, contact: Contact, accept_url: str, email: str = ""
) -> PortalInvitation:
    """Invite a contact to the portal: a single-use link, valid for a few days, e-mailed to them.

    `accept_url` is the acceptance page's absolute address with TOKEN_SLOT where the token
    goes; the token itself is never stored, only its SHA-256 hash.
    """
    access.ensure_manages_portal_of(actor, contact.customer_id)
    if contact.status != ContactStatus.ACTIVE:
        raise InvalidInput(f"{contact.full_name} has left the company.", field="contact")
    if User.objects.filter(
        portal_entitlement__contact=contact, is_active=True, role=Role.PORTAL
    ).exists():
        raise Conflict(f"{contact.full_name} already uses the portal.", field="contact")
    address = _portal_email(contact, email)
    if User.objects.filter(email=address.lower()).exists():
        raise Conflict(f"A user with e-mail {address} exists already.", field="email")
    now = timezone.now()
    # One open invitation per contact: a new one makes the old links dead.
    for old in PortalInvitation.objects.select_for_update().filter(
        contact=contact, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        old.revoked_at = now
        old._history_user = actor  # type: ignore[attr-defined]
        old.save(update_fields=["revoked_at", "updated_at"])
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation(
        contact=contact,
        customer_id=contact.customer_id,
        email=address,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=settings.RAPPORT_PORTAL_INVITATION_DAYS),
    )
    validated_save(invitation, actor=actor)
    _invitation_send(invitation, token=token, accept_url=accept_url)
    return invitation


@transaction.atomic
def portal_invitation_resend(
    *, actor: User, invitation: PortalInvitation, accept_url: str
) -> PortalInvitation:
    """Send a contact a fresh link; the one sent before stops working."""
    access.ensure_manages_portal_of(actor, invitation.customer_id)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already.", field="invitation")
    return portal_invitation_create(
        actor=actor, contact=invitation.contact, accept_url=accept_url, email=invitation.email
    )


@transaction.atomic
def portal_invitation_revoke(*, actor: User, invitation: PortalInvitation) -> PortalInvitation:
    """Make an invitation's link dead."""
    access.ensure_manages_portal_of(actor, invitation.customer_id)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already.", field="invitation")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation._history_user = actor  # type: ignore[attr-defined]
        invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


def portal_invitation_by_token(token: str) -> PortalInvitation:
    """The invitation a link names, whatever its state, or NotFound."""
    invitation = (
        PortalInvitation.objects.select_related("contact", "customer")
        .filter(token_hash=_token_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not known.")
    return invitation


_INVITATION_DEAD = {
    InvitationState.ACCEPTED: "This invitation has been used already: sign in with your password.",
    InvitationState.REVOKED: "This invitation was withdrawn. Ask your contact for a new one.",
    InvitationState.EXPIRED: "This invitation has expired. Ask your contact for a new one.",
}


def invitation_dead_reason(invitation: PortalInvitation) -> str:
    """Why a link no longer works, in words for the person holding it."""
    return _INVITATION_DEAD.get(InvitationState(invitation.state), "")


@transaction.atomic
def portal_invitation_accept(*, token: str, password: str) -> User:
    """Turn an open invitation into a portal user with that password, once.

    The user sees the contact's whole organisation until someone entitles it to units;
    the e-mail it signs in with becomes the contact's "portal login" identity.
    """
    invitation = portal_invitation_by_token(token)
    invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    state = invitation.state
    if state != InvitationState.OPEN:
        raise Conflict(_INVITATION_DEAD[InvitationState(state)], field="token")
    contact = invitation.contact
    if contact.status != ContactStatus.ACTIVE or contact.deleted_at is not None:
        raise Conflict(_INVITATION_DEAD[InvitationState.REVOKED], field="token")
    user = User(
        email=invitation.email.lower(),
        full_name=contact.full_name,
        role=Role.PORTAL,
        account_id=invitation.customer_id,
    )
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    if User.objects.filter(email=user.email).exists():
        raise Conflict(f"A user with e-mail {user.email} exists already.", field="token")
    user.set_password(password)
    validated_save(user, actor=invitation.invited_by)
    entitlement = PortalEntitlement(user=user, contact=contact, customer_id=invitation.customer_id)
    validated_save(entitlement, actor=user)
    ContactIdentity.objects.filter(contact=contact, kind=IdentityKind.PORTAL_LOGIN).update(
        deleted_at=timezone.now()
    )
    identity = ContactIdentity(
        contact=contact,
        customer_id=contact.customer_id,
        kind=IdentityKind.PORTAL_LOGIN,
        value=user.email,
        normalized=identity_normalize(IdentityKind.PORTAL_LOGIN, user.email),
        is_primary=True,
    )
    validated_save(identity, actor=user)
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation._history_user = user  # type: ignore[attr-defined]
    invitation.save(update_fields=["accepted_at", "user", "updated_at"])
    return user


@transaction.atomic
def portal_entitlement_set(
    *,
    actor: User,
    entitlement: PortalEntitlement,
    units: list[Account],
    may_requisition: bool,
    may_approve: bool,
    may_administer: bool,
    expected_version: int | None = None,
) -> PortalEntitlement:
    """Say which units a portal user sees (none: the whole organisation) and what it may do."""
    access.ensure_manages_portal_of(actor, entitlement.customer_id)
    for unit in units:
        if unit.customer_id != entitlement.customer_id or unit.deleted_at is not None:
            raise InvalidInput(f"{unit.name} is not a unit of this organisation.", field="units")
    if actor.pk == entitlement.user_id and not may_administer:
        raise InvalidInput(
            "You cannot take away your own right to administer.", field="may_administer"
        )
    entitlement.may_requisition = may_requisition
    entitlement.may_approve = may_approve
    entitlement.may_administer = may_administer
    validated_save(
        entitlement,
        actor=actor,
        expected_version=expected_version,
        update_fields=["may_requisition", "may_approve", "may_administer", "updated_at"],
    )
    entitlement.units.set(units)
    return entitlement


def portal_access_end(*, actor: User, contact: Contact) -> int:
    """A contact who left loses the portal at once: users deactivated, open invitations revoked.

    Called by the services that end a contact's employment (a move out of the
    organisation, the status "left", a delete), inside their transaction. Returns the
    number of users deactivated.
    """
    now = timezone.now()
    for invitation in PortalInvitation.objects.filter(
        contact=contact, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        invitation.revoked_at = now
        invitation._history_user = actor  # type: ignore[attr-defined]
        invitation.save(update_fields=["revoked_at", "updated_at"])
    ended = 0
    for user in User.objects.filter(
        portal_entitlement__contact=contact, role=Role.PORTAL, is_active=True
    ):
        user.is_active = False
        user._history_user = actor  # type: ignore[attr-defined]
        user.save(update_fields=["is_active"])
        ended += 1
    return ended
