"""Factories for tests: real rows built through the same services the product uses."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.accounts.models import Account, Contact, Partner
from rapport.core import services as core_services
from rapport.core.models import Role, User
from rapport.interactions import services as interaction_services
from rapport.interactions.models import Interaction

_seq = itertools.count(1)


def make_user(role: str = Role.ADMIN, **kwargs: Any) -> User:
    n = next(_seq)
    return core_services.user_create(
        email=kwargs.pop("email", f"user{n}@example.com"),
        full_name=kwargs.pop("full_name", f"User {n}"),
        role=role,
        password=kwargs.pop("password", "correct-horse-battery"),
        **kwargs,
    )


def make_account(
    actor: User, name: str | None = None, parent: Account | None = None, **kwargs: Any
) -> Account:
    return account_services.account_create(
        actor=actor, name=name or f"Account {next(_seq)}", parent=parent, **kwargs
    )


def make_contact(actor: User, account: Account, **kwargs: Any) -> Contact:
    n = next(_seq)
    kwargs.setdefault("first_name", "Pat")
    kwargs.setdefault("last_name", f"Person{n}")
    kwargs.setdefault("email", f"person{n}@example.org")
    return account_services.contact_create(actor=actor, account=account, **kwargs)


def make_partner(actor: User, name: str | None = None, kind: str = "reseller") -> Partner:
    return account_services.partner_create(
        actor=actor, name=name or f"Partner {next(_seq)}", kind=kind
    )


def make_interaction(
    actor: User,
    account: Account,
    *,
    contacts: list[Contact] | None = None,
    occurred_at: datetime | None = None,
    **kwargs: Any,
) -> Interaction:
    kwargs.setdefault("channel", "call")
    kwargs.setdefault("direction", "outbound")
    kwargs.setdefault("subject", f"Interaction {next(_seq)}")
    return interaction_services.interaction_log(
        actor=actor,
        account=account,
        contacts=contacts or [],
        occurred_at=occurred_at or timezone.now() - timedelta(minutes=next(_seq)),
        **kwargs,
    )


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
        account_services.partner_link_create(
            actor=self.admin, partner=self.partner, account=self.acme, role="reseller_of_record"
        )
        account_services.partner_link_create(
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
        account_services.buying_role_set(
            actor=self.admin, contact=self.acme_cfo, role="decision_maker", influence=5, attitude=1
        )
        account_services.buying_role_set(
            actor=self.admin, contact=self.acme_buyer, role="purchasing", influence=3
        )
        account_services.buying_role_set(
            actor=self.admin, contact=self.globex_cto, role="approver", influence=4
        )
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


def make_model_run(kind: str, *, status: str = "done", **run_fields: Any) -> Any:
    """A ModelRun of one analysis and the core run it details (model "test" v1 unless told)."""
    from rapport.core.models import Run
    from rapport.valuation.models import ModelRun

    run_fields.setdefault("model_name", "test")
    run_fields.setdefault("model_version", "1")
    run = Run.objects.create(job=kind, status=status, **run_fields)
    return ModelRun.objects.create(run=run, kind=kind)
