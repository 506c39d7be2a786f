"""Factories for tests: real rows built through the same services the product uses.

Each factory is a factory-boy ``DjangoModelFactory`` whose ``_create`` calls the service
that makes the row in the product, so a test row keeps the invariants the services keep
(treebeard paths for accounts, the denormalised customer id on account-scoped rows, match
keys, history). ``actor`` is the user the service acts as (an admin unless given). The
``make_*`` functions are the short positional forms most tests use.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.core import mail
from django.utils import timezone
from factory.django import DjangoModelFactory

from rapport.accounts import services as account_services
from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    Partner,
    PartnerLink,
    PortalInvitation,
)
from rapport.core import services as core_services
from rapport.core.models import Role, User
from rapport.interactions.models import Interaction
from rapport.memory import outreach
from rapport.memory import services as memory_services
from rapport.memory.models import Fact, FactSource
from rapport.memory.selectors import attribute_get
from rapport.offers.models import ProductCategory
from rapport.valuation import services as valuation_services
from rapport.valuation.models import OrderLine, Subscription


class _ServiceFactory(DjangoModelFactory):
    """Creates through ``_service`` (a product service) with the ``actor`` popped off."""

    class Meta:
        abstract = True

    @classmethod
    def _service(cls, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{cls.__name__} names no service")

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        return cls._service(**kwargs)


class UserFactory(_ServiceFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.ADMIN
    password = "correct-horse-battery"

    @classmethod
    def _service(cls, **kwargs: Any) -> User:
        return core_services.user_create(**kwargs)


class AdminFactory(UserFactory):
    role = Role.ADMIN


class ManagerFactory(UserFactory):
    role = Role.MANAGER


class RepFactory(UserFactory):
    role = Role.REP


class AnalystFactory(UserFactory):
    role = Role.ANALYST


class PartnerFactory(_ServiceFactory):
    class Meta:
        model = Partner

    actor = factory.SubFactory(AdminFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = "reseller"

    @classmethod
    def _service(cls, **kwargs: Any) -> Partner:
        return account_services.partner_create(**kwargs)


class PartnerUserFactory(UserFactory):
    role = Role.PARTNER
    partner = factory.SubFactory(PartnerFactory)


class AccountFactory(_ServiceFactory):
    """A customer organisation (no parent) or a unit inside one (``parent=``)."""

    class Meta:
        model = Account

    actor = factory.SubFactory(AdminFactory)
    name = factory.Sequence(lambda n: f"Account {n}")
    parent = None

    @classmethod
    def _service(cls, **kwargs: Any) -> Account:
        return account_services.account_create(**kwargs)


class PortalUserFactory(UserFactory):
    role = Role.PORTAL
    account = factory.SubFactory(AccountFactory)


class PartnerLinkFactory(_ServiceFactory):
    class Meta:
        model = PartnerLink

    actor = factory.SubFactory(AdminFactory)
    partner = factory.SubFactory(PartnerFactory, actor=factory.SelfAttribute("..actor"))
    account = factory.SubFactory(AccountFactory, actor=factory.SelfAttribute("..actor"))
    role = "reseller_of_record"

    @classmethod
    def _service(cls, **kwargs: Any) -> PartnerLink:
        return account_services.partner_link_create(**kwargs)


class ContactFactory(_ServiceFactory):
    class Meta:
        model = Contact

    actor = factory.SubFactory(AdminFactory)
    account = factory.SubFactory(AccountFactory, actor=factory.SelfAttribute("..actor"))
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")

    @classmethod
    def _service(cls, **kwargs: Any) -> Contact:
        return account_services.contact_create(**kwargs)


class IdentityFactory(_ServiceFactory):
    class Meta:
        model = ContactIdentity

    actor = factory.SubFactory(AdminFactory)
    contact = factory.SubFactory(ContactFactory, actor=factory.SelfAttribute("..actor"))
    kind = "email"
    value = factory.Sequence(lambda n: f"other{n}@example.org")

    @classmethod
    def _service(cls, **kwargs: Any) -> ContactIdentity:
        return account_services.identity_add(**kwargs)


class BuyingRoleFactory(_ServiceFactory):
    class Meta:
        model = BuyingRole

    actor = factory.SubFactory(AdminFactory)
    contact = factory.SubFactory(ContactFactory, actor=factory.SelfAttribute("..actor"))
    role = "decision_maker"
    influence = 3

    @classmethod
    def _service(cls, **kwargs: Any) -> BuyingRole:
        return account_services.buying_role_set(**kwargs)


class InteractionFactory(_ServiceFactory):
    """An interaction; its participants are the ``contacts`` (and ``users``) given."""

    class Meta:
        model = Interaction

    actor = factory.SubFactory(AdminFactory)
    account = factory.SubFactory(AccountFactory, actor=factory.SelfAttribute("..actor"))
    channel = "call"
    direction = "outbound"
    subject = factory.Sequence(lambda n: f"Interaction {n}")
    # Each a minute further back, so "latest first" lists keep the order of creation.
    occurred_at = factory.Sequence(lambda n: timezone.now() - timedelta(minutes=n + 1))
    contacts: Any = ()

    @classmethod
    def _service(cls, **kwargs: Any) -> Interaction:
        # A person's log, as the pages and the API make it: checked against consent.
        return outreach.interaction_log_learned(**kwargs)


class FactFactory(_ServiceFactory):
    """What a customer told us: ``key`` names the attribute; ``account`` or ``contact``."""

    class Meta:
        model = Fact

    actor = factory.SubFactory(AdminFactory)
    key = "need-uptime"
    value = "high"
    source = FactSource.USER

    @classmethod
    def _service(cls, **kwargs: Any) -> Fact:
        attribute = attribute_get(key=kwargs.pop("key"))
        return memory_services.fact_record(attribute=attribute, **kwargs).fact


class ProductCategoryFactory(_ServiceFactory):
    class Meta:
        model = ProductCategory

    actor = factory.SubFactory(ManagerFactory)
    name = factory.Sequence(lambda n: f"Category {n}")

    @classmethod
    def _service(cls, **kwargs: Any) -> ProductCategory:
        return valuation_services.product_category_create(**kwargs)


class OrderLineFactory(_ServiceFactory):
    class Meta:
        model = OrderLine

    actor = factory.SubFactory(RepFactory)
    account = factory.SubFactory(AccountFactory)
    category = factory.SubFactory(ProductCategoryFactory)
    ordered_on = factory.LazyAttribute(lambda o: timezone.localdate() - timedelta(days=o.days_ago))
    product = "Widget"
    revenue = Decimal("100.00")
    cost = Decimal("60.00")

    class Params:
        days_ago = 10

    @classmethod
    def _service(cls, **kwargs: Any) -> OrderLine:
        # Amounts may be given as text ("1.234"), as a form would send them.
        for money in ("revenue", "cost", "quantity", "discount"):
            if isinstance(kwargs.get(money), str):
                kwargs[money] = Decimal(kwargs[money])
        return valuation_services.order_line_create(**kwargs)


class SubscriptionFactory(_ServiceFactory):
    class Meta:
        model = Subscription

    actor = factory.SubFactory(RepFactory)
    account = factory.SubFactory(AccountFactory)
    category = factory.SubFactory(ProductCategoryFactory)
    name = "Maintenance"
    started_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    recurring_revenue = Decimal("250.00")

    @classmethod
    def _service(cls, **kwargs: Any) -> Subscription:
        return valuation_services.subscription_create(**kwargs)


def make_user(role: str = Role.ADMIN, **kwargs: Any) -> User:
    return UserFactory(role=role, **kwargs)


def make_account(
    actor: User, name: str | None = None, parent: Account | None = None, **kwargs: Any
) -> Account:
    if name is not None:
        kwargs["name"] = name
    return AccountFactory(actor=actor, parent=parent, **kwargs)


def make_contact(actor: User, account: Account, **kwargs: Any) -> Contact:
    return ContactFactory(actor=actor, account=account, **kwargs)


def make_partner(actor: User, name: str | None = None, kind: str = "reseller") -> Partner:
    if name is not None:
        return PartnerFactory(actor=actor, name=name, kind=kind)
    return PartnerFactory(actor=actor, kind=kind)


def make_interaction(
    actor: User,
    account: Account,
    *,
    contacts: list[Contact] | None = None,
    occurred_at: datetime | None = None,
    **kwargs: Any,
) -> Interaction:
    if occurred_at is not None:
        kwargs["occurred_at"] = occurred_at
    return InteractionFactory(actor=actor, account=account, contacts=contacts or [], **kwargs)


ACCEPT_URL = "http://testserver/portal/invitation/{token}/"
INVITATION_LINK = re.compile(r"http://testserver/portal/invitation/([\w-]+)/")


def invitation_token(body: str) -> str:
    """The token in the link an invitation e-mail carries."""
    found = INVITATION_LINK.search(body)
    assert found, body
    return found.group(1)


def make_portal_invitation(
    actor: User, contact: Contact, **kwargs: Any
) -> tuple[PortalInvitation, str]:
    """Invite a contact to the portal; the token is read back from the e-mail sent (locmem)."""
    invitation = account_services.portal_invitation_create(
        actor=actor, contact=contact, accept_url=ACCEPT_URL, **kwargs
    )
    return invitation, invitation_token(mail.outbox[-1].body)


def make_portal_user(
    actor: User,
    contact: Contact,
    *,
    password: str = "a-long-portal-secret",
    units: list[Account] | None = None,
    **rights: bool,
) -> User:
    """A contact invited, accepted and entitled: a portal user as the product makes one."""
    _, token = make_portal_invitation(actor, contact)
    user = account_services.portal_invitation_accept(token=token, password=password)
    if units or rights:
        entitlement = user.portal_entitlement
        account_services.portal_entitlement_set(
            actor=actor,
            entitlement=entitlement,
            units=units or [],
            may_requisition=rights.get("may_requisition", entitlement.may_requisition),
            may_approve=rights.get("may_approve", entitlement.may_approve),
            may_administer=rights.get("may_administer", entitlement.may_administer),
        )
    return User.objects.get(pk=user.pk)


class World:
    """Two customer organisations, a partner serving the first, and a user of every kind."""

    def __init__(self) -> None:
        self.admin = make_user(Role.ADMIN, full_name="Ada Admin")
        self.acme = make_account(self.admin, "Acme Industries", industry="Manufacturing")
        self.acme_emea = make_account(self.admin, "Acme EMEA", parent=self.acme)
        self.acme_plant = make_account(
            self.admin, "Plant Hamburg", parent=self.acme_emea, kind="site"
        )
        self.globex = make_account(self.admin, "Globex Corporation", industry="Energy")
        self.globex_it = make_account(self.admin, "Globex IT", parent=self.globex)
        self.partner = make_partner(self.admin, "Northwind Systems")
        self.other_partner = make_partner(self.admin, "Southwind Traders")
        PartnerLinkFactory(
            actor=self.admin, partner=self.partner, account=self.acme, role="reseller_of_record"
        )
        PartnerLinkFactory(
            actor=self.admin, partner=self.other_partner, account=self.globex, role="installer"
        )
        self.rep = make_user(Role.REP, full_name="Rita Rep")
        self.manager = make_user(Role.MANAGER, full_name="Max Manager")
        self.analyst = make_user(Role.ANALYST, full_name="Ann Analyst")
        self.partner_user = make_user(Role.PARTNER, full_name="Paul Partner", partner=self.partner)
        self.portal_acme = make_user(Role.PORTAL, full_name="Polly Portal", account=self.acme)
        self.portal_globex = make_user(Role.PORTAL, full_name="Gus Globex", account=self.globex)
        self.acme_cfo = make_contact(
            self.admin, self.acme, first_name="Carla", last_name="Finch", title="CFO"
        )
        self.acme_buyer = make_contact(
            self.admin,
            self.acme_plant,
            first_name="Ben",
            last_name="Buyer",
            title="Buyer",
            reports_to=self.acme_cfo,
        )
        self.globex_cto = make_contact(
            self.admin, self.globex_it, first_name="Greta", last_name="Gold", title="CTO"
        )
        BuyingRoleFactory(
            actor=self.admin, contact=self.acme_cfo, role="decision_maker", influence=5, attitude=1
        )
        BuyingRoleFactory(actor=self.admin, contact=self.acme_buyer, role="purchasing", influence=3)
        BuyingRoleFactory(actor=self.admin, contact=self.globex_cto, role="approver", influence=4)
        self.acme_call = make_interaction(
            self.admin, self.acme_plant, contacts=[self.acme_buyer], subject="Acme site survey"
        )
        self.globex_mail = make_interaction(
            self.admin,
            self.globex_it,
            contacts=[self.globex_cto],
            channel="email",
            subject="Globex renewal terms",
        )


def rhythm(world, account, *, every, count, last_days_ago, contacts=(), subject="Review"):
    """`count` two-way meetings `every` days apart, the last `last_days_ago` days ago."""
    now = timezone.now()
    for n in range(count):
        make_interaction(
            world.admin,
            account,
            contacts=list(contacts),
            channel="meeting",
            direction="two_way",
            subject=f"{subject} {n + 1}" if n + 1 < count else subject,
            occurred_at=now - timedelta(days=last_days_ago + every * (count - 1 - n)),
        )


def build_rhythms(world):
    """Acme met every 10 days and went silent 40 days ago; Globex is in touch; Initech quiet."""
    rhythm(
        world,
        world.acme,
        every=10,
        count=12,
        last_days_ago=40,
        contacts=[world.acme_cfo],
        subject="Quarterly planning",
    )
    rhythm(world, world.globex, every=10, count=12, last_days_ago=3)
    initech = make_account(world.admin, "Initech")
    rhythm(world, initech, every=10, count=12, last_days_ago=25)
    account_services.account_update(actor=world.admin, account=world.acme, manager=world.rep)
    return initech


def make_model_run(kind: str, *, status: str = "done", **run_fields: Any) -> Any:
    """A ModelRun of one analysis and the core run it details (model "test" v1 unless told)."""
    from rapport.core.models import Run
    from rapport.valuation.models import ModelRun

    run_fields.setdefault("model_name", "test")
    run_fields.setdefault("model_version", "1")
    run = Run.objects.create(job=kind, status=status, **run_fields)
    return ModelRun.objects.create(run=run, kind=kind)


LAPTOP_GROUPS = [
    {
        "code": "cpu",
        "name": "Processor",
        "min_choices": 1,
        "max_choices": 1,
        "options": [
            {"code": "i5", "name": "Core i5"},
            {"code": "i7", "name": "Core i7", "price": "150"},
        ],
    },
    {
        "code": "extras",
        "name": "Extras",
        "options": [
            {"code": "dock", "name": "Docking station", "price": "120", "excludes": ["stand"]},
            {"code": "stand", "name": "Floor stand", "price": "40"},
        ],
    },
]
"""A laptop's options: one processor of two (one dearer), and extras that rule each other out."""


def make_laptop(world: Any, category: ProductCategory | None = None) -> Any:
    """Laptop 14 (LT-14) at 1,000 list and 700 cost, with LAPTOP_GROUPS as its options."""
    from rapport.offers import services as offer_services

    product = offer_services.product_create(
        actor=world.manager,
        sku="lt-14",
        name="Laptop 14",
        category=category or ProductCategoryFactory(actor=world.admin, name="Hardware"),
        list_price=Decimal(1000),
        cost=Decimal(700),
    )
    return offer_services.product_options_set(
        actor=world.manager, product=product, groups=LAPTOP_GROUPS
    )
