"""The value records: categories, order lines, subscriptions, wallet estimates, judgements.

Services, selectors and the "Orders & contracts" page with its forms, as people use them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.core import access
from rapport.core.access import Capability
from rapport.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from rapport.memory import services as memory_services
from rapport.memory.models import FactSource
from rapport.memory.selectors import attribute_get
from rapport.offers.models import ProductCategory
from rapport.valuation import selectors, services
from rapport.valuation.models import (
    JudgementScore,
    OrderLine,
    Subscription,
    SubscriptionStatus,
    WalletEstimate,
    WalletSource,
)
from rapport.valuation.services import RowErrors
from tests.factories import OrderLineFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture
def hardware(world) -> ProductCategory:
    return services.product_category_create(actor=world.admin, name="Hardware")


@pytest.fixture
def service(world) -> ProductCategory:
    return services.product_category_create(actor=world.manager, name="Service")


# --- categories -------------------------------------------------------------------------


def test_categories_are_unique_by_name_and_only_managers_and_admins_add_them(world, hardware):
    with pytest.raises(Conflict) as exc:
        services.product_category_create(actor=world.manager, name="  hardware ")
    assert exc.value.field == "name"
    with pytest.raises(PermissionDenied):
        services.product_category_create(actor=world.rep, name="Software")
    with pytest.raises(InvalidInput) as blank:
        services.product_category_create(actor=world.admin, name="  ")
    assert blank.value.field == "name"
    assert [c.name for c in selectors.product_category_list()] == ["Hardware"]


# --- order lines ------------------------------------------------------------------------


def test_an_order_line_carries_its_customer_and_rolls_up_the_tree(world, hardware):
    plant_line = OrderLineFactory(
        actor=world.rep, account=world.acme_plant, category=hardware, days_ago=3, product="Pump"
    )
    org_line = OrderLineFactory(
        actor=world.rep, account=world.acme, category=hardware, days_ago=5, product="Valve"
    )
    OrderLineFactory(
        actor=world.rep,
        account=world.globex_it,
        category=hardware,
        days_ago=1,
        product="Globex thing",
    )

    assert plant_line.customer_id == world.acme.pk
    assert plant_line.recorded_by == world.rep
    org_page = selectors.order_line_list(user=world.rep, account=world.acme)
    assert [line.product for line in org_page.items] == ["Pump", "Valve"]
    emea_page = selectors.order_line_list(user=world.rep, account=world.acme_emea)
    assert [line.product for line in emea_page.items] == ["Pump"]
    own_only = selectors.order_line_list(user=world.rep, account=world.acme, subtree=False)
    assert [line.pk for line in own_only.items] == [org_line.pk]


def test_order_lines_page_by_keyset_newest_first_without_repeats(world, hardware):
    for days in (1, 2, 2, 2, 5, 9):
        OrderLineFactory(
            actor=world.rep, account=world.acme_plant, category=hardware, days_ago=days
        )
    seen, cursor = [], None
    while True:
        page = selectors.order_line_list(user=world.rep, account=world.acme, cursor=cursor, limit=2)
        seen += [(line.ordered_on, line.pk) for line in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 6
    assert seen == sorted(seen, reverse=True)
    with pytest.raises(InvalidInput) as bad:
        selectors.order_line_list(user=world.rep, cursor="not-a-cursor")
    assert bad.value.field == "cursor"


def test_order_lines_filter_by_category_and_dates(world, hardware, service):
    OrderLineFactory(
        actor=world.rep, account=world.acme, category=hardware, days_ago=40, product="Old"
    )
    OrderLineFactory(
        actor=world.rep, account=world.acme, category=hardware, days_ago=4, product="New"
    )
    OrderLineFactory(
        actor=world.rep, account=world.acme, category=service, days_ago=4, product="Care"
    )
    today = timezone.localdate()

    hardware_only = selectors.order_line_list(user=world.rep, account=world.acme, category=hardware)
    recent = selectors.order_line_list(
        user=world.rep, account=world.acme, since=today - timedelta(days=10), until=today
    )

    assert [line.product for line in hardware_only.items] == ["New", "Old"]
    assert sorted(line.product for line in recent.items) == ["Care", "New"]
    with pytest.raises(InvalidInput) as backwards:
        selectors.order_line_list(user=world.rep, since=today, until=today - timedelta(days=1))
    assert backwards.value.field == "since"


def test_order_line_rules_name_the_field(world, hardware):
    cases = {
        "quantity": {"quantity": Decimal(0)},
        "cost": {"cost": "-1"},
        "revenue": {"revenue": "1.234"},
        "product": {"product": " "},
    }
    for field, change in cases.items():
        kwargs = {"revenue": "10.00", "cost": "1.00", **change}
        with pytest.raises(InvalidInput) as exc:
            OrderLineFactory(actor=world.rep, account=world.acme, category=hardware, **kwargs)
        assert field in exc.value.errors, (field, exc.value.errors)
    assert OrderLine.objects.count() == 0


def test_order_line_external_ids_are_unique(world, hardware):
    OrderLineFactory(actor=world.rep, account=world.acme, category=hardware, external_id="ERP-1")
    with pytest.raises(Conflict):
        OrderLineFactory(
            actor=world.rep, account=world.globex, category=hardware, external_id="ERP-1"
        )
    assert OrderLine.objects.count() == 1


def test_order_line_update_moves_customer_and_delete_is_soft(world, hardware, service):
    line = OrderLineFactory(actor=world.rep, account=world.acme, category=hardware)

    services.order_line_update(
        actor=world.rep, line=line, account=world.globex_it, category=service, revenue="250.50"
    )
    line.refresh_from_db()
    assert (line.account_id, line.customer_id, line.category_id, line.revenue) == (
        world.globex_it.pk,
        world.globex.pk,
        service.pk,
        Decimal("250.50"),
    )
    with pytest.raises(InvalidInput) as exc:
        services.order_line_update(actor=world.rep, line=line, customer=world.acme)
    assert exc.value.field == "customer"

    services.order_line_delete(actor=world.rep, line=line)
    assert OrderLine.objects.get(pk=line.pk).deleted_at is not None
    assert selectors.order_line_list(user=world.rep).items == []
    with pytest.raises(NotFound):
        selectors.order_line_get(user=world.rep, pk=line.pk)
    assert line.history.count() == 3


def test_read_only_roles_cannot_write_order_lines(world, hardware):
    for user in (world.analyst, world.partner_user, world.portal_acme):
        with pytest.raises(PermissionDenied):
            services.order_line_create(
                actor=user,
                account=world.acme,
                category=hardware,
                ordered_on=TODAY,
                product="X",
                revenue=Decimal(1),
            )
    assert OrderLine.objects.count() == 0


def test_portal_and_partner_users_see_only_their_accounts_lines(world, hardware):
    OrderLineFactory(
        actor=world.rep, account=world.acme_plant, category=hardware, product="Acme pump"
    )
    OrderLineFactory(
        actor=world.rep, account=world.globex_it, category=hardware, product="Globex server"
    )

    def products(user):
        return [line.product for line in selectors.order_line_list(user=user).items]

    assert products(world.portal_acme) == ["Acme pump"]
    assert products(world.partner_user) == ["Acme pump"]
    assert products(world.portal_globex) == ["Globex server"]
    assert sorted(products(world.analyst)) == ["Acme pump", "Globex server"]
    assert access.can(world.analyst, Capability.SEE_COSTS) is True
    assert access.can(world.portal_acme, Capability.SEE_COSTS) is False


def test_totals_of_the_last_twelve_months_roll_up_the_subtree(world, hardware):
    OrderLineFactory(
        actor=world.rep,
        account=world.acme_plant,
        category=hardware,
        days_ago=10,
        revenue="1000.00",
        cost="700.00",
    )
    OrderLineFactory(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        days_ago=364,
        revenue="500.00",
        cost="100.00",
    )
    OrderLineFactory(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        days_ago=365,
        revenue="9999.00",
        cost="0.00",
    )
    gone = OrderLineFactory(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        days_ago=2,
        revenue="77.00",
        cost="0.00",
    )
    services.order_line_delete(actor=world.rep, line=gone)
    OrderLineFactory(
        actor=world.rep,
        account=world.globex,
        category=hardware,
        days_ago=2,
        revenue="5.00",
        cost="0.00",
    )

    totals = selectors.order_totals(user=world.rep, account=world.acme)
    plant = selectors.order_totals(user=world.rep, account=world.acme_plant)

    assert (totals.lines, totals.revenue, totals.cost, totals.margin) == (
        2,
        Decimal("1500.00"),
        Decimal("800.00"),
        Decimal("700.00"),
    )
    assert totals.margin_ratio == pytest.approx(700 / 1500)
    assert (plant.lines, plant.revenue) == (1, Decimal("1000.00"))


# --- bulk writers -----------------------------------------------------------------------


def test_bulk_order_lines_are_all_saved_with_customer_and_history(world, hardware, service):
    rows = [
        {
            "account": world.acme_plant,
            "category": hardware,
            "ordered_on": "2026-01-05",
            "product": "Pump",
            "revenue": "1200.50",
            "cost": 800,
            "external_id": "ERP-1",
            "source": "import",
        },
        {
            "account": world.globex,
            "category": service,
            "ordered_on": date(2026, 2, 1),
            "product": "Care pack",
            "revenue": Decimal("99.99"),
            "quantity": "2.5",
        },
    ]

    created = services.order_lines_bulk_create(actor=world.rep, rows=rows)

    assert created == 2
    pump, care = OrderLine.objects.order_by("ordered_on")
    assert (pump.customer_id, pump.revenue, pump.cost, pump.source, pump.external_id) == (
        world.acme.pk,
        Decimal("1200.50"),
        Decimal("800"),
        "import",
        "ERP-1",
    )
    assert (care.customer_id, care.quantity, care.cost, care.source) == (
        world.globex.pk,
        Decimal("2.5"),
        Decimal(0),
        "manual",
    )
    assert pump.recorded_by == world.rep
    assert pump.history.get().history_user == world.rep


def test_bulk_writers_can_skip_the_audit_history_for_generated_data(world, hardware):
    row = {
        "account": world.acme,
        "category": hardware,
        "ordered_on": "2026-01-01",
        "product": "Demo",
        "revenue": 1,
    }

    assert services.order_lines_bulk_create(actor=world.rep, rows=[row], audit=False) == 1

    assert OrderLine.history.count() == 0
    assert OrderLine.objects.get().customer_id == world.acme.pk


def test_bulk_order_lines_check_every_row_first_and_save_none(world, hardware):
    services.order_lines_bulk_create(
        actor=world.rep,
        rows=[
            {
                "account": world.acme,
                "category": hardware,
                "ordered_on": "2026-01-01",
                "product": "A",
                "revenue": 1,
                "external_id": "ERP-9",
            }
        ],
    )
    good = {"account": world.acme, "category": hardware, "ordered_on": "2026-01-02", "product": "B"}
    rows = [
        {**good, "revenue": "10"},
        {**good, "revenue": "ten", "quantity": 0},
        {**good, "revenue": 5, "ordered_on": "2026-13-01", "colour": "red"},
        {**good, "revenue": 5, "account": None, "category": "Hardware"},
        {**good, "revenue": 5, "external_id": "ERP-9"},
        {**good, "revenue": 5, "external_id": "X"},
        {**good, "revenue": 5, "external_id": "X", "cost": -2, "source": "fax"},
    ]

    with pytest.raises(RowErrors) as exc:
        services.order_lines_bulk_create(actor=world.rep, rows=rows)

    assert exc.value.status == 400
    assert {index: sorted(fields) for index, fields in exc.value.rows.items()} == {
        1: ["quantity", "revenue"],
        2: ["colour", "ordered_on"],
        3: ["account", "category"],
        4: ["external_id"],
        6: ["cost", "external_id", "source"],
    }
    assert exc.value.errors["rows[1].revenue"] == ["Enter a number."]
    assert exc.value.errors["rows[6].external_id"] == ["The same external id as row 5."]
    assert exc.value.message.startswith("rows[1].")
    assert OrderLine.objects.count() == 1


def test_bulk_writers_refuse_read_only_roles(world, hardware):
    row = {
        "account": world.acme,
        "category": hardware,
        "ordered_on": "2026-01-01",
        "product": "A",
        "revenue": 1,
    }
    with pytest.raises(PermissionDenied):
        services.order_lines_bulk_create(actor=world.analyst, rows=[row])
    with pytest.raises(PermissionDenied):
        services.subscriptions_bulk_create(actor=world.portal_acme, rows=[])
    assert OrderLine.objects.count() == 0


def test_bulk_subscriptions_derive_status_and_check_dates(world, service):
    today = timezone.localdate()
    base = {"account": world.acme_emea, "category": service, "recurring_revenue": "100"}
    rows = [
        {**base, "name": "Running", "started_on": today - timedelta(days=30)},
        {**base, "name": "Future", "started_on": today + timedelta(days=30)},
        {
            **base,
            "name": "Over",
            "started_on": today - timedelta(days=400),
            "ends_on": today - timedelta(days=35),
        },
        {
            **base,
            "name": "Stopped",
            "started_on": today - timedelta(days=400),
            "cancelled_on": today - timedelta(days=5),
            "billing_period": "year",
        },
    ]

    assert services.subscriptions_bulk_create(actor=world.rep, rows=rows) == 4

    statuses = dict(Subscription.objects.values_list("name", "status"))
    assert statuses == {
        "Running": "active",
        "Future": "pending",
        "Over": "expired",
        "Stopped": "cancelled",
    }
    assert set(Subscription.objects.values_list("customer_id", flat=True)) == {world.acme.pk}

    bad = [
        {**base, "name": "Backwards", "started_on": "2026-05-01", "ends_on": "2026-04-01"},
        {**base, "name": "", "started_on": "2026-05-01", "status": "cancelled"},
        {
            **base,
            "name": "Late renewal",
            "started_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "renewal_on": "2027-01-01",
            "recurring_revenue": "-1",
        },
    ]
    with pytest.raises(RowErrors) as exc:
        services.subscriptions_bulk_create(actor=world.rep, rows=bad)
    assert {index: sorted(fields) for index, fields in exc.value.rows.items()} == {
        0: ["ends_on"],
        1: ["cancelled_on", "name"],
        2: ["recurring_revenue", "renewal_on"],
    }
    assert Subscription.objects.count() == 4


# --- subscriptions ----------------------------------------------------------------------


def test_subscription_status_follows_its_dates(world, service):
    today = timezone.localdate()
    running = SubscriptionFactory(actor=world.rep, category=service, account=world.acme_plant)
    future = SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        started_on=today + timedelta(days=3),
    )
    ended = SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        started_on=today - timedelta(days=90),
        ends_on=today - timedelta(days=1),
    )

    assert (running.status, future.status, ended.status) == ("active", "pending", "expired")
    assert running.customer_id == world.acme.pk

    services.subscription_update(
        actor=world.rep, subscription=ended, ends_on=today + timedelta(days=365)
    )
    assert ended.status == "active"


def test_subscription_date_rules_name_the_field(world, service):
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as ends:
        SubscriptionFactory(
            actor=world.rep,
            category=service,
            account=world.acme_plant,
            started_on=today,
            ends_on=today - timedelta(days=1),
        )
    assert ends.value.field == "ends_on"
    with pytest.raises(InvalidInput) as renews:
        SubscriptionFactory(
            actor=world.rep,
            category=service,
            account=world.acme_plant,
            started_on=today,
            ends_on=today + timedelta(days=10),
            renewal_on=today + timedelta(days=11),
        )
    assert renews.value.field == "renewal_on"
    with pytest.raises(InvalidInput) as revenue:
        SubscriptionFactory(
            actor=world.rep,
            category=service,
            account=world.acme_plant,
            recurring_revenue=Decimal("-5"),
        )
    assert "recurring_revenue" in revenue.value.errors
    assert Subscription.objects.count() == 0


def test_cancelling_keeps_the_subscription_and_freezes_it(world, service):
    today = timezone.localdate()
    sub = SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        renewal_on=today + timedelta(days=30),
    )

    services.subscription_cancel(actor=world.rep, subscription=sub)

    sub.refresh_from_db()
    assert (sub.status, sub.cancelled_on, sub.ends_on, sub.renewal_on) == (
        "cancelled",
        today,
        today,
        None,
    )
    with pytest.raises(Conflict):
        services.subscription_cancel(actor=world.rep, subscription=sub)
    with pytest.raises(Conflict):
        services.subscription_update(actor=world.rep, subscription=sub, name="Changed")
    with pytest.raises(InvalidInput) as early:
        services.subscription_cancel(
            actor=world.rep,
            subscription=SubscriptionFactory(
                actor=world.rep, category=service, account=world.acme_plant
            ),
            cancelled_on=today - timedelta(days=365),
        )
    assert early.value.field == "cancelled_on"
    assert sub.history.count() == 2


def test_refreshing_statuses_moves_started_and_ended_subscriptions(world, service):
    today = timezone.localdate()
    starts = SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        started_on=today + timedelta(days=2),
    )
    ends = SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        ends_on=today + timedelta(days=2),
    )
    stopped = SubscriptionFactory(actor=world.rep, category=service, account=world.acme_plant)
    services.subscription_cancel(actor=world.rep, subscription=stopped)

    changed = services.subscriptions_refresh_status(today=today + timedelta(days=5))

    assert changed == 2
    assert Subscription.objects.get(pk=starts.pk).status == "active"
    assert Subscription.objects.get(pk=ends.pk).status == "expired"
    assert Subscription.objects.get(pk=stopped.pk).status == "cancelled"


def test_account_contracts_annualise_active_revenue_and_find_the_next_renewal(world, service):
    today = timezone.localdate()
    SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        name="Monthly",
        recurring_revenue=Decimal("100"),
    )
    SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        name="Yearly",
        billing_period="year",
        recurring_revenue=Decimal("1200"),
        ends_on=today + timedelta(days=200),
        renewal_on=today + timedelta(days=100),
    )
    SubscriptionFactory(
        actor=world.rep,
        category=service,
        name="Quarterly soon",
        billing_period="quarter",
        recurring_revenue=Decimal("300"),
        renewal_on=today + timedelta(days=20),
        account=world.acme,
    )
    SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        name="Future",
        started_on=today + timedelta(days=9),
    )
    SubscriptionFactory(actor=world.rep, category=service, name="Globex", account=world.globex)

    contracts = selectors.account_contracts(user=world.rep, account=world.acme)

    assert contracts.total == 4
    assert contracts.annual_recurring_revenue == Decimal(100 * 12 + 1200 + 300 * 4)
    assert contracts.next_renewal.name == "Quarterly soon"
    assert [s.status for s in contracts.rows][-1] == SubscriptionStatus.PENDING
    assert {s.name for s in contracts.rows} == {"Monthly", "Yearly", "Quarterly soon", "Future"}


# --- wallet estimates -------------------------------------------------------------------


def test_a_new_wallet_estimate_supersedes_the_same_source_only(world, hardware):
    said = services.wallet_estimate_record(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        annual_amount=Decimal("50000"),
        source=WalletSource.CUSTOMER_SAID,
        said_by=world.acme_cfo,
    )
    guessed = services.wallet_estimate_record(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        annual_amount=Decimal("80000"),
        source=WalletSource.REP_ESTIMATED,
        note="Two plants like Hamburg",
    )
    said_again = services.wallet_estimate_record(
        actor=world.manager,
        account=world.acme,
        category=hardware,
        annual_amount=Decimal("60000"),
        source=WalletSource.CUSTOMER_SAID,
    )

    said.refresh_from_db()
    assert said.superseded_at == said_again.estimated_at
    assert said_again.customer_id == world.acme.pk
    current = selectors.wallet_estimate_list(user=world.analyst, account=world.acme)
    assert [e.pk for e in current] == [said_again.pk, guessed.pk]
    (wallet,) = selectors.account_wallets(user=world.analyst, account=world.acme)
    assert wallet.best == said_again
    assert [e.pk for e in wallet.history] == [said.pk]
    assert WalletEstimate.objects.count() == 3


def test_wallet_estimate_provenance_rules(world, hardware):
    fact = memory_services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=40,
        account=world.acme,
        source=FactSource.USER,
    ).fact

    def record(**kw):
        kw.setdefault("source", WalletSource.CUSTOMER_SAID)
        return services.wallet_estimate_record(
            actor=world.rep, account=world.acme, category=hardware, annual_amount=1000, **kw
        )

    with pytest.raises(InvalidInput) as not_said:
        record(source=WalletSource.REP_ESTIMATED, said_by=world.acme_cfo)
    assert not_said.value.field == "said_by"
    with pytest.raises(InvalidInput) as stranger:
        record(said_by=world.globex_cto)
    assert stranger.value.field == "said_by"
    with pytest.raises(InvalidInput) as source:
        record(source="guessed")
    assert source.value.field == "source"
    with pytest.raises(InvalidInput) as negative:
        services.wallet_estimate_record(
            actor=world.rep,
            account=world.acme,
            category=hardware,
            annual_amount=-1,
            source="rep_estimated",
        )
    assert "annual_amount" in negative.value.errors
    with pytest.raises(PermissionDenied):
        services.wallet_estimate_record(
            actor=world.analyst,
            account=world.acme,
            category=hardware,
            annual_amount=1,
            source="rep_estimated",
        )
    assert WalletEstimate.objects.count() == 0

    kept = record(said_by=world.acme_buyer, fact=fact)
    assert (kept.said_by, kept.fact, kept.estimated_by) == (world.acme_buyer, fact, world.rep)


def test_only_our_staff_read_wallets_and_judgements(world, hardware):
    for user in (world.portal_acme, world.partner_user):
        with pytest.raises(PermissionDenied):
            selectors.wallet_estimate_list(user=user, account=world.acme)
        with pytest.raises(PermissionDenied):
            selectors.judgement_history(user=user, account=world.acme)


# --- judgement scores -------------------------------------------------------------------


def test_judgements_supersede_and_keep_history_with_author_and_reason(world):
    first = services.judgement_record(
        actor=world.manager, customer=world.acme, score=70, reason="Reference customer"
    )
    second = services.judgement_record(
        actor=world.admin, customer=world.acme, score=90, reason="Strategic for the EU launch"
    )

    first.refresh_from_db()
    assert first.superseded_at == second.judged_at
    assert selectors.judgement_current(user=world.analyst, account=world.acme_plant) == second
    history = selectors.judgement_history(user=world.rep, account=world.acme)
    assert [(j.score, j.author, j.reason) for j in history] == [
        (90, world.admin, "Strategic for the EU launch"),
        (70, world.manager, "Reference customer"),
    ]


def test_judgement_rules(world):
    with pytest.raises(PermissionDenied):
        services.judgement_record(actor=world.rep, customer=world.acme, score=50, reason="Why")
    with pytest.raises(PermissionDenied):
        services.judgement_record(actor=world.analyst, customer=world.acme, score=50, reason="Why")
    cases = [
        ({"score": 101, "reason": "Why"}, "score"),
        ({"score": -1, "reason": "Why"}, "score"),
        ({"score": True, "reason": "Why"}, "score"),
        ({"score": 50, "reason": "   "}, "reason"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InvalidInput) as exc:
            services.judgement_record(actor=world.manager, customer=world.acme, **kwargs)
        assert exc.value.field == field
    with pytest.raises(InvalidInput) as unit:
        services.judgement_record(
            actor=world.manager, customer=world.acme_emea, score=50, reason="Why"
        )
    assert unit.value.field == "customer"
    assert JudgementScore.objects.count() == 0
    assert access.can(world.manager, Capability.JUDGE_VALUE)
    assert not access.can(world.rep, Capability.JUDGE_VALUE)


# --- pages ------------------------------------------------------------------------------


def test_the_orders_page_shows_lines_contracts_and_twelve_month_totals(
    client, world, hardware, service, django_assert_max_num_queries
):
    OrderLineFactory(
        actor=world.rep,
        account=world.acme_plant,
        category=hardware,
        product="Hamburg pump",
        revenue="1234.00",
        cost="234.00",
    )
    SubscriptionFactory(
        actor=world.rep,
        category=service,
        account=world.acme_plant,
        name="Pump care",
        renewal_on=timezone.localdate() + timedelta(days=40),
    )
    OrderLineFactory(
        actor=world.rep, account=world.globex, category=hardware, product="Globex server"
    )
    client.force_login(world.rep)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("valuation:account_orders", args=[world.acme.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Orders &amp; contracts" in page
    assert "Hamburg pump" in page
    assert "Globex server" not in page
    assert "Pump care" in page
    assert 'data-kpi="revenue">€1,234<' in page
    assert 'data-kpi="margin">€1,000<' in page
    assert 'data-kpi="arr">€3,000<' in page
    detail = client.get(reverse("accounts:account_detail", args=[world.acme.pk])).content.decode()
    assert reverse("valuation:account_orders", args=[world.acme.pk]) in detail


def test_the_orders_page_query_count_does_not_grow_with_rows(
    client, world, hardware, service, django_assert_max_num_queries
):
    rows = [
        {
            "account": unit,
            "category": hardware,
            "ordered_on": date(2026, 1, 1) + timedelta(days=n),
            "product": f"P{n}",
            "revenue": n + 1,
        }
        for n in range(60)
        for unit in (world.acme, world.acme_plant)
    ]
    services.order_lines_bulk_create(actor=world.rep, rows=rows)
    for n in range(12):
        SubscriptionFactory(
            actor=world.rep, category=service, name=f"S{n}", account=world.acme_emea
        )
    client.force_login(world.manager)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("valuation:account_orders", args=[world.acme.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('id="order-line-') == 25

    url = reverse("valuation:account_orders", args=[world.acme.pk])
    first = selectors.order_line_list(user=world.rep, account=world.acme, limit=25)
    with django_assert_max_num_queries(8):
        more = client.get(f"{url}?cursor={first.next_cursor}", HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    body = more.content.decode()
    assert body.count('id="order-line-') == 25
    assert "<html" not in body
    assert "load-more-row" in body


def test_portal_users_see_their_orders_without_our_costs(client, world, hardware):
    OrderLineFactory(
        actor=world.rep,
        account=world.acme_plant,
        category=hardware,
        product="Hamburg pump",
        revenue="500.00",
        cost="123.45",
    )
    client.force_login(world.portal_acme)

    page = client.get(reverse("valuation:account_orders", args=[world.acme.pk])).content.decode()

    assert "Hamburg pump" in page
    assert "123.45" not in page
    assert "Margin" not in page
    assert (
        client.get(reverse("valuation:account_orders", args=[world.globex.pk])).status_code == 404
    )
    assert (
        client.get(reverse("valuation:order_line_create", args=[world.acme.pk])).status_code == 403
    )


def test_adding_an_order_line_and_a_subscription_through_the_forms(
    client, world, hardware, service
):
    client.force_login(world.rep)
    response = client.post(
        reverse("valuation:order_line_create", args=[world.acme.pk]),
        {
            "account": world.acme_plant.pk,
            "category": hardware.pk,
            "ordered_on": "2026-03-01",
            "product": "Valve",
            "quantity": "2",
            "revenue": "300.00",
            "cost": "",
            "discount": "15",
        },
    )
    assert response.status_code == 302
    line = OrderLine.objects.get()
    assert (line.account, line.customer_id, line.cost, line.discount) == (
        world.acme_plant,
        world.acme.pk,
        Decimal(0),
        Decimal(15),
    )

    bad = client.post(
        reverse("valuation:subscription_create", args=[world.acme.pk]),
        {
            "account": world.acme.pk,
            "category": service.pk,
            "name": "Care",
            "started_on": "2026-03-01",
            "ends_on": "2026-02-01",
            "billing_period": "month",
            "recurring_revenue": "40",
        },
    )
    assert bad.status_code == 400
    assert "The term cannot end before it starts." in bad.content.decode()
    # A unit of another organisation is not among the choices.
    foreign = client.post(
        reverse("valuation:subscription_create", args=[world.acme.pk]),
        {
            "account": world.globex.pk,
            "category": service.pk,
            "name": "Care",
            "started_on": "2026-03-01",
            "billing_period": "month",
            "recurring_revenue": "40",
        },
    )
    assert foreign.status_code == 400
    assert Subscription.objects.count() == 0

    good = client.post(
        reverse("valuation:subscription_create", args=[world.acme.pk]),
        {
            "account": world.acme_emea.pk,
            "category": service.pk,
            "name": "Care",
            "started_on": "2026-03-01",
            "billing_period": "quarter",
            "recurring_revenue": "40",
        },
    )
    assert good.status_code == 302
    sub = Subscription.objects.get()
    cancel = client.post(
        reverse("valuation:subscription_cancel", args=[sub.pk]), {"cancelled_on": "2026-04-01"}
    )
    assert cancel.status_code == 302
    sub.refresh_from_db()
    assert (sub.status, sub.cancelled_on) == ("cancelled", date(2026, 4, 1))
    delete = client.post(reverse("valuation:order_line_delete", args=[line.pk]))
    assert delete.status_code == 302
    assert OrderLine.live.count() == 0


def test_the_wallet_partial_records_and_redirects_htmx_to_next(client, world, hardware):
    client.force_login(world.rep)
    url = reverse("valuation:wallet_estimate_record", args=[world.acme.pk])

    form = client.get(url, {"next": "/accounts/1/value/"}, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert "<html" not in form.content.decode()
    assert "Record a wallet estimate" in form.content.decode()

    bad = client.post(
        url,
        {"category": hardware.pk, "annual_amount": "-3", "source": "customer_said"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422
    assert "wallet-form-" in bad.content.decode()

    ok = client.post(
        url,
        {
            "category": hardware.pk,
            "annual_amount": "25000",
            "source": "customer_said",
            "said_by": world.acme_cfo.pk,
            "next": "/accounts/1/value/",
        },
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 204
    assert ok["HX-Redirect"] == "/accounts/1/value/"
    estimate = WalletEstimate.objects.get()
    assert (estimate.annual_amount, estimate.said_by, estimate.estimated_by) == (
        Decimal(25000),
        world.acme_cfo,
        world.rep,
    )
    elsewhere = client.post(
        url,
        {
            "category": hardware.pk,
            "annual_amount": "1",
            "source": "rep_estimated",
            "next": "https://evil.example/",
        },
    )
    assert elsewhere.status_code == 302
    assert elsewhere["Location"] == reverse("valuation:account_orders", args=[world.acme.pk])


def test_the_judgement_partial_is_for_managers_and_judges_the_organisation(client, world):
    url = reverse("valuation:judgement_record", args=[world.acme_plant.pk])
    client.force_login(world.rep)
    assert client.get(url).status_code == 403
    assert client.post(url, {"score": 50, "reason": "Why"}).status_code == 403

    client.force_login(world.manager)
    page = client.get(url)
    assert page.status_code == 200
    assert "Your judgement of Acme Industries" in page.content.decode()
    missing_reason = client.post(url, {"score": 50, "reason": ""}, HTTP_HX_REQUEST="true")
    assert missing_reason.status_code == 422
    ok = client.post(url, {"score": 80, "reason": "Flagship"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 204
    judgement = JudgementScore.objects.get()
    assert (judgement.customer, judgement.score, judgement.author) == (
        world.acme,
        80,
        world.manager,
    )
    again = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Current: 80 by Max Manager" in again
