"""Identify: the account tree, contacts and their identities, buying roles, lifecycle, partners."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager

from rapport.accounts import keys as blocking
from rapport.accounts import places
from rapport.analytics import contact_points
from rapport.core.models import LiveManager, SoftDeletable, TimeStamped, Versioned
from rapport.core.validators import validate_web_address


def _with_keys(kwargs: dict[str, Any], sources: set[str], keys: tuple[str, ...]) -> None:
    """A save limited to update_fields also writes the blocking keys its fields feed."""
    fields = kwargs.get("update_fields")
    if fields is not None and sources & set(fields):
        kwargs["update_fields"] = {*fields, *keys}


class AccountKind(models.TextChoices):
    LEGAL_ENTITY = "legal_entity", "Legal entity"
    DIVISION = "division", "Division"
    DEPARTMENT = "department", "Department"
    SITE = "site", "Site"


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    LEAD = "lead", "Lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    AT_RISK = "at_risk", "At risk"
    DORMANT = "dormant", "Dormant"
    LOST = "lost", "Lost"


class AccountManager(MP_NodeManager, models.Manager["Account"]):
    """treebeard's path-tree manager, typed as a manager of accounts.

    treebeard ships no type information, so its manager is opaque to mypy and the
    django-stubs plugin; naming a Manager[Account] base lets both see what it manages.
    """


class Account(MP_Node, TimeStamped, SoftDeletable, Versioned):
    """A customer organisation or one of its units; the root of a tree is the customer."""

    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=16, choices=AccountKind.choices, default=AccountKind.LEGAL_ENTITY
    )
    customer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The top of this account's tree (itself for a top-level account).",
    )
    industry = models.CharField(max_length=100, blank=True)
    website = models.CharField(max_length=200, blank=True, validators=[validate_web_address])
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
    )
    lifecycle_stage = models.CharField(
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.PROSPECT,
        help_text="Cache of the latest LifecycleChange; the history is the record.",
    )
    # Roll-up counters for this unit alone, maintained by the interaction services;
    # the page sums them over the subtree in Python from one query.
    interaction_count = models.PositiveIntegerField(default=0, editable=False)
    last_interaction_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Blocking keys of the duplicate check (accounts.keys), kept by save(); db_default
    # lets bulk loaders skip them (`rapport dedupe --keys` fills what they left empty).
    match_key = models.CharField(
        max_length=16, blank=True, default="", db_default="", editable=False
    )
    web_domain = models.CharField(
        max_length=200, blank=True, default="", db_default="", editable=False
    )

    # No node_order_by: a new unit appends as last child, so existing paths never
    # shift; pages sort siblings by name. treebeard computes paths from every row,
    # soft-deleted ones included, so the default manager sees all rows and
    # core.access adds the "live only" filter.
    objects = AccountManager()
    history = HistoricalRecords(
        excluded_fields=["interaction_count", "last_interaction_at", "numchild"]
    )

    class Meta:
        indexes = [
            models.Index(fields=["customer", "path"]),
            models.Index(fields=["name"]),
            models.Index(fields=["lifecycle_stage", "name"]),
            models.Index(fields=["depth", "industry"]),
            models.Index(fields=["match_key"], name="ix_account_match_key"),
            models.Index(fields=["web_domain"], name="ix_account_web_domain"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        """The address as the lines a letter carries, empty parts left out."""
        return places.address_lines(self)

    @property
    def place_line(self) -> str:
        """Town and country in a few words ("Lyon, France"), or empty."""
        return places.place_line(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.match_key = blocking.account_match_key(self.name)
        self.web_domain = blocking.web_domain(self.website)
        _with_keys(kwargs, {"name", "website"}, ("match_key", "web_domain"))
        super().save(*args, **kwargs)

    @property
    def is_customer_root(self) -> bool:
        return self.depth == 1

    @property
    def customer_pk(self) -> int:
        """The id of the customer organisation at the top of this account's tree.

        `customer` is only nullable because a top-level account is saved before it can
        point at itself; that account is its own customer.
        """
        return self.customer_id or self.pk


class LifecycleChange(models.Model):
    """One move of an account from one lifecycle stage to another; never edited."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lifecycle_changes")
    customer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=16, choices=LifecycleStage.choices)
    previous_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["account", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.previous_stage or '∅'} → {self.stage}"


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LEFT = "left", "Left the company"


class Contact(TimeStamped, SoftDeletable, Versioned):
    """A person inside a customer organisation; their history follows them if they move."""

    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contacts")
    # Either name may be empty: a contact known only by a surname or an e-mail is real.
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    # Where the person works (their site), not where they live.
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    # Kept only where a deployment turns on RAPPORT_CONTACT_BIRTH_DATE.
    date_of_birth = models.DateField(null=True, blank=True)
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    status = models.CharField(
        max_length=8, choices=ContactStatus.choices, default=ContactStatus.ACTIVE
    )
    notes = models.TextField(blank=True)
    last_engaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    match_key = models.CharField(
        max_length=16, blank=True, default="", db_default="", editable=False
    )

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords(excluded_fields=["last_engaged_at"])

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["customer", "last_name", "first_name"]),
            models.Index(fields=["account", "last_name"]),
            models.Index(fields=["last_name", "first_name", "id"]),
            models.Index(fields=["match_key"], name="ix_contact_match_key"),
            # the online check: same-sounding surnames at one organisation
            models.Index(fields=["customer", "match_key"], name="ix_contact_customer_key"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.match_key = blocking.contact_match_key(self.first_name, self.last_name)
        _with_keys(kwargs, {"first_name", "last_name"}, ("match_key",))
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or "(no name)"

    @property
    def short_name(self) -> str:
        """How a sentence names the person: the first name, else the surname, else words."""
        return self.first_name or self.last_name or "this person"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper() or "?"

    @property
    def address_lines(self) -> list[str]:
        """The work address as the lines a letter carries, empty parts left out."""
        return places.address_lines(self)

    @property
    def place_line(self) -> str:
        """Town and country in a few words ("Lyon, France"), or empty."""
        return places.place_line(self)


class IdentityKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    EXTERNAL_ID = "external_id", "External id"
    ERP_ID = "erp_id", "ERP id"
    # The e-mail a contact signs in to the customer portal with, recorded when they accept
    # an invitation: it names that one person, like a personal e-mail.
    PORTAL_LOGIN = "portal_login", "Portal login"


class ContactIdentity(TimeStamped, SoftDeletable):
    """One way to recognise a contact: an e-mail, phone or system id.

    A personal e-mail or a system id names one person and is unique within its kind; a
    phone (a switchboard serves a whole site) or a team mailbox (info@, sales@) is
    `shared`: many people may hold it, and it is never proof that two records are one.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=254)
    normalized = models.CharField(max_length=254, editable=False)
    is_primary = models.BooleanField(default=False)
    shared = models.BooleanField(default=False, editable=False)

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-is_primary", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "normalized"],
                condition=Q(deleted_at__isnull=True, shared=False),
                name="identity_unique_within_kind",
            ),
            models.UniqueConstraint(
                fields=["contact", "kind", "normalized"],
                condition=Q(deleted_at__isnull=True),
                name="identity_once_per_contact",
            ),
        ]
        indexes = [models.Index(fields=["normalized"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def display(self) -> str:
        """The identity written for people: a phone in international format, else as given."""
        if self.kind == IdentityKind.PHONE:
            return contact_points.phone_display(self.normalized)
        return self.value

    @property
    def href(self) -> str:
        """A link that reaches the identity (mailto:, tel: with E.164), or empty."""
        if self.kind == IdentityKind.EMAIL:
            return f"mailto:{self.value}"
        if self.kind == IdentityKind.PHONE and self.normalized:
            return f"tel:{self.normalized}"
        return ""


class Employment(models.Model):
    """A spell of a contact at an account; a move closes one spell and opens another."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="employments")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="employments")
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "-id"]

    def __str__(self) -> str:
        return f"{self.contact_id} at {self.account_id} from {self.started_on}"


class BuyingRoleKind(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    APPROVER = "approver", "Approver / economic buyer"
    REVIEWER = "reviewer", "Reviewer / evaluator"
    SPECIFIER = "specifier", "Specifier"
    INFLUENCER = "influencer", "Influencer"
    END_USER = "end_user", "End user"
    PURCHASING = "purchasing", "Purchasing / gatekeeper"
    CHAMPION = "champion", "Champion"
    BLOCKER = "blocker", "Blocker"


# The roles whose absence in a unit is a gap worth showing.
ESSENTIAL_ROLES = (
    BuyingRoleKind.DECISION_MAKER,
    BuyingRoleKind.APPROVER,
    BuyingRoleKind.SPECIFIER,
    BuyingRoleKind.PURCHASING,
    BuyingRoleKind.CHAMPION,
)


class Attitude(models.IntegerChoices):
    HOSTILE = -2, "Hostile"
    SCEPTICAL = -1, "Sceptical"
    NEUTRAL = 0, "Neutral"
    SUPPORTIVE = 1, "Supportive"
    ADVOCATE = 2, "Advocate"


class BuyingRole(TimeStamped, SoftDeletable):
    """A contact's part in buying at one unit: what they do, how much it weighs, how they see us."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="buying_roles")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="buying_roles")
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=BuyingRoleKind.choices)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    attitude = models.SmallIntegerField(choices=Attitude.choices, default=Attitude.NEUTRAL)
    last_engaged_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "-influence"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "account", "role"],
                condition=Q(deleted_at__isnull=True),
                name="buying_role_once_per_unit",
            ),
            models.CheckConstraint(
                name="buying_role_influence_1_to_5",
                condition=Q(influence__gte=1) & Q(influence__lte=5),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "role"]),
            models.Index(fields=["role", "customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.role} @ {self.account_id}"


class PartnerKind(models.TextChoices):
    RESELLER = "reseller", "Reseller"
    VAR = "var", "Value-added reseller"
    DISTRIBUTOR = "distributor", "Distributor"
    INSTALLER = "installer", "Installer"
    CONSULTANT = "consultant", "Consultant"


class Partner(TimeStamped, SoftDeletable, Versioned):
    """A channel partner standing between us and end customers."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=PartnerKind.choices)
    website = models.CharField(max_length=200, blank=True, validators=[validate_web_address])
    country = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerRole(models.TextChoices):
    RESELLER_OF_RECORD = "reseller_of_record", "Reseller of record"
    DISTRIBUTOR = "distributor", "Distributor"
    INSTALLER = "installer", "Installer"
    SERVICE = "service", "Service provider"
    ADVISOR = "advisor", "Advisor"
    REFERRER = "referrer", "Referrer"


class PartnerLink(TimeStamped, SoftDeletable):
    """A partner serving an end-customer account (and its units) in a role."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="links")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="partner_links")
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=24, choices=PartnerRole.choices)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    objects = LiveManager()
    all_objects = models.Manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "account", "role"],
                condition=Q(deleted_at__isnull=True, ended_on__isnull=True),
                name="partner_link_once_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} → {self.account_id} ({self.role})"


# --- the customer portal's doors: invitations and entitlements ----------------------------
#
# They live here, in accounts, not in core (which holds the User they open onto) nor in
# portal: an invitation is addressed to a contact at one of their e-mail identities and an
# entitlement names units of the contact's organisation, rows only accounts holds and core
# may not import; portal is the top layer, with pages and no models of its own. core.access
# reads the entitlement by model name, as it reads PartnerLink.


class InvitationState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class PortalInvitation(TimeStamped):
    """A single-use, expiring link inviting a contact to the portal; only its token's hash is kept.

    Re-sending revokes this one and opens another, so an old link stops working at once.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(help_text="The contact's e-mail identity the link was sent to.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        "core.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The portal user the invitation made, once accepted.",
    )

    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="ix_invitation_customer")]

    def __str__(self) -> str:
        return f"Invitation of {self.contact_id} to {self.email} ({self.state})"

    @property
    def state(self) -> str:
        """Open, accepted, revoked or expired, as of now."""
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.OPEN

    @property
    def state_label(self) -> str:
        return InvitationState(self.state).label


class PortalEntitlement(TimeStamped, Versioned):
    """What one portal user sees and may do: units of its organisation (none: all of it) and rights."""

    user = models.OneToOneField(
        "core.User", on_delete=models.CASCADE, related_name="portal_entitlement"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="portal_entitlements"
    )
    customer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    units = models.ManyToManyField(
        Account,
        blank=True,
        related_name="+",
        help_text="The units (with their subtrees) the user sees; none means the whole organisation.",
    )
    may_requisition = models.BooleanField(default=True)
    may_approve = models.BooleanField(default=False)
    may_administer = models.BooleanField(
        default=False, help_text="May invite and entitle the organisation's portal users."
    )

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        ordering = ["customer", "user"]

    def __str__(self) -> str:
        return f"Entitlement of user {self.user_id}"
