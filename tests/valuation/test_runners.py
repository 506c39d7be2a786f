"""The value and tier runners on small hand-checked bases (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from rapport.analytics import btyd, retention
from rapport.core.models import Role, RunStatus
from rapport.offers.models import ProductCategory
from rapport.valuation import runners
from rapport.valuation.costs import costs_to_serve
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    ModelRun,
    OrderLine,
    Subscription,
    TierAssignment,
    WalletEstimate,
)
from rapport.valuation.services import (
    judgement_record,
    order_line_create,
    product_category_create,
    subscription_create,
    wallet_estimate_record,
)
from tests.factories import make_account, make_interaction, make_user

pytestmark = pytest.mark.django_db

# The sum of discount factors of 36 months at 10 % a year, the coming month undiscounted:
# what a contract that runs on for the 3-year horizon is worth per unit of monthly margin.
MONTHS_AHEAD = sum(1.1 ** (-k / 12) for k in range(36))


@pytest.fixture
def costs(settings):
    settings.RAPPORT_COST_PER_HOUR = 90
    settings.RAPPORT_COST_MINUTES_PER_CHANNEL = {"meeting": 60}
    settings.RAPPORT_VALUE_DISCOUNT_RATE = 0.10
    settings.RAPPORT_VALUE_HORIZON_YEARS = 3


class Base:
    """Acme (manufacturing, buying), Initech (manufacturing, costly to serve), Globex (nothing)."""

    def __init__(self) -> None:
        self.admin = make_user(Role.ADMIN)
        self.now = timezone.now()
        today = timezone.localdate(self.now)
        self.today = today
        self.hardware = product_category_create(actor=self.admin, name="Hardware")
        self.service = product_category_create(actor=self.admin, name="Service")
        self.software = product_category_create(actor=self.admin, name="Software")
        self.acme = make_account(self.admin, "Acme", industry="Manufacturing")
        self.plant = make_account(self.admin, "Acme Plant", parent=self.acme, kind="site")
        self.initech = make_account(self.admin, "Initech", industry="Manufacturing")
        self.globex = make_account(self.admin, "Globex", industry="Energy")

        def line(account, category, days_ago, revenue, cost, discount=0):
            order_line_create(
                actor=self.admin,
                account=account,
                category=category,
                ordered_on=today - timedelta(days=days_ago),
                product=f"{category.name} item",
                revenue=Decimal(revenue),
                cost=Decimal(cost),
                discount=Decimal(discount),
            )

        line(self.plant, self.hardware, 300, 1000, 600, discount=50)
        line(self.acme, self.hardware, 100, 500, 300)
        line(self.acme, self.hardware, 800, 2000, 1000)  # before the 12-month window
        line(self.initech, self.service, 50, 1200, 1000)
        subscription_create(
            actor=self.admin,
            account=self.acme,
            category=self.service,
            name="Maintenance",
            started_on=today - timedelta(days=400),
            recurring_revenue=Decimal(100),
            recurring_cost=Decimal(40),
        )
        for days_ago in (10, 200):
            make_interaction(
                self.admin,
                self.plant,
                channel="meeting",
                occurred_at=self.now - timedelta(days=days_ago),
            )
        for days_ago in (5, 6, 7):
            make_interaction(
                self.admin,
                self.acme,
                channel="email",
                occurred_at=self.now - timedelta(days=days_ago),
            )
        make_interaction(
            self.admin, self.acme, channel="meeting", occurred_at=self.now - timedelta(days=400)
        )
        for days_ago in range(1, 11):
            make_interaction(
                self.admin,
                self.initech,
                channel="support",
                occurred_at=self.now - timedelta(days=days_ago),
            )
        wallet_estimate_record(
            actor=self.admin,
            account=self.acme,
            category=self.hardware,
            annual_amount=Decimal(6000),
            source="customer_said",
        )
        wallet_estimate_record(
            actor=self.admin,
            account=self.acme,
            category=self.hardware,
            annual_amount=Decimal(5000),
            source="rep_estimated",
        )
        wallet_estimate_record(
            actor=self.admin,
            account=self.plant,
            category=self.software,
            annual_amount=Decimal(1000),
            source="rep_estimated",
        )
        wallet_estimate_record(
            actor=self.admin,
            account=self.initech,
            category=self.service,
            annual_amount=Decimal(4800),
            source="rep_estimated",
        )


@pytest.fixture
def base(costs) -> Base:
    return Base()


def _value(account) -> AccountValue:
    return AccountValue.objects.get(customer=account, is_current=True)


def _shares(account) -> dict[str, CategoryShare]:
    return {
        share.category.name: share
        for share in CategoryShare.objects.filter(customer=account, is_current=True).select_related(
            "category"
        )
    }


def test_cost_to_serve_is_interaction_time_by_channel_plus_discounts(base):
    # Given Acme: 2 meetings (60 minutes each, overridden) and 3 e-mails (6 minutes) in the
    # last year at 90 an hour, and a discount of 50; Initech: 10 support cases (45 minutes)
    costs = costs_to_serve(start=base.now - timedelta(days=365), end=base.now)
    acme = costs[base.acme.pk]
    assert acme.interactions == 5
    assert acme.minutes == 138.0
    assert acme.interaction_cost == 207.0
    assert acme.discounts == 50.0
    assert acme.total == 257.0
    assert costs[base.initech.pk].total == 675.0
    assert base.globex.pk not in costs


def test_cost_to_serve_reads_its_tables_when_it_runs(base, settings):
    settings.RAPPORT_COST_PER_HOUR = 60
    settings.RAPPORT_COST_MINUTES_PER_CHANNEL = {}
    acme = costs_to_serve(start=base.now - timedelta(days=365), end=base.now)[base.acme.pk]
    # default minutes: meetings 120, e-mails 6
    assert acme.minutes == 258.0
    assert acme.total == 258.0 + 50.0


def test_value_of_an_organisation_rolls_up_its_units_margin_contracts_and_cost(base):
    run = runners.value_recompute(now=base.now)

    assert run.status == RunStatus.DONE
    assert run.kind == "value"
    assert run.processed == run.total == 3
    acme = _value(base.acme)
    # order lines of the last 12 months: 1,000 + 500 revenue, 400 + 200 margin;
    # the subscription billed 12 months of 100 at a margin of 60
    assert acme.revenue_12m == Decimal("2700.00")
    assert acme.recurring_revenue_12m == Decimal("1200.00")
    assert acme.margin_12m == Decimal("1320.00")
    assert acme.lifetime_margin == Decimal("1600.00")
    assert acme.cost_to_serve_12m == Decimal("257.00")
    assert acme.net_margin_12m == Decimal("1063.00")
    # too little repeat buying in a base of three to fit BG/NBD: no order value predicted
    assert acme.predicted_order_value == Decimal("0.00")
    assert "Too little repeat buying" in run.parameters["orders"]["note"]
    # no contract has churned: the live one runs on for the horizon, discounted monthly
    assert float(acme.predicted_contract_value) == pytest.approx(60 * MONTHS_AHEAD, abs=0.01)
    assert acme.predicted_value == acme.predicted_contract_value
    assert run.parameters["discount_rate"] == 0.10
    assert run.parameters["horizon_years"] == 3.0


def test_shares_wallets_by_source_priority_and_whitespace(base):
    runners.value_recompute(now=base.now)
    acme = _shares(base.acme)
    # Hardware: the customer's own 6,000 beats the rep's 5,000; we sold 1,500
    assert acme["Hardware"].wallet == Decimal("6000.00")
    assert acme["Hardware"].wallet_source == "customer_said"
    assert acme["Hardware"].revenue_12m == Decimal("1500.00")
    assert acme["Hardware"].share == pytest.approx(0.25)
    assert acme["Hardware"].is_whitespace is False
    # Software: the rep's 1,000 for the plant counts for Acme; we sell none: whitespace
    assert acme["Software"].wallet == Decimal("1000.00")
    assert acme["Software"].wallet_source == "rep_estimated"
    assert acme["Software"].share == 0.0
    assert acme["Software"].is_whitespace is True
    # Service: modelled from Initech (same industry), whose wallet is 4x its revenue with
    # us; Acme's revenue with us is 2,700, so 10,800; we bill 1,200 of it
    assert acme["Service"].wallet == Decimal("10800.00")
    assert acme["Service"].wallet_source == "modelled"
    assert acme["Service"].share == pytest.approx(1200 / 10800)
    value = _value(base.acme)
    assert value.wallet == Decimal("17800.00")
    assert value.share_of_customer == pytest.approx(2700 / 17800)
    assert value.unrealised_wallet == Decimal("15100.00")  # 4,500 + 1,000 + 9,600
    # growth: 1/3 of the predicted value is below last year's margin, so none
    assert value.growth_potential == Decimal("0.00")
    assert value.strategic_value == Decimal("15100.00")

    # The modelled wallet is recorded as such, with its run and how it was made
    modelled = WalletEstimate.objects.get(
        account=base.acme, category=base.service, superseded_at__isnull=True
    )
    assert modelled.source == "modelled"
    assert modelled.annual_amount == Decimal("10800.00")
    assert modelled.note.startswith("Median of the 1 most similar account in the same industry")

    # Globex buys nothing: each wallet is the nearest known one, all whitespace
    globex = _shares(base.globex)
    assert {name: share.wallet for name, share in globex.items()} == {
        "Hardware": Decimal("6000.00"),
        "Service": Decimal("4800.00"),
        "Software": Decimal("1000.00"),
    }
    assert all(share.is_whitespace for share in globex.values())


def test_a_second_run_keeps_history_and_rewrites_only_changed_modelled_wallets(base):
    first = runners.value_recompute(now=base.now)
    modelled_before = WalletEstimate.objects.filter(source="modelled").count()
    second = runners.value_recompute(now=base.now)
    # unchanged figures are not written again
    assert WalletEstimate.objects.filter(source="modelled").count() == modelled_before
    assert AccountValue.objects.filter(customer=base.acme).count() == 2
    assert AccountValue.objects.get(customer=base.acme, is_current=True).run == second
    assert AccountValue.objects.get(customer=base.acme, is_current=False).run == first
    assert CategoryShare.objects.filter(run=first, is_current=True).count() == 0
    # a customer now says its Service wallet: the modelled figure is superseded
    wallet_estimate_record(
        actor=base.admin,
        account=base.acme,
        category=base.service,
        annual_amount=Decimal(3000),
        source="customer_said",
    )
    runners.value_recompute(now=base.now)
    assert not WalletEstimate.objects.filter(
        account=base.acme, category=base.service, source="modelled", superseded_at__isnull=True
    ).exists()
    assert _shares(base.acme)["Service"].wallet_source == "customer_said"
    assert _shares(base.acme)["Service"].share == pytest.approx(0.4)


def test_tiers_from_values_with_judgement_beside_the_model(base):
    runners.value_recompute(now=base.now)
    run = runners.tiers_recompute(now=base.now)
    tiers = {t.customer_id: t for t in TierAssignment.objects.filter(run=run)}
    # Initech: margin 200 after 675 cost to serve, nothing predicted: below zero
    initech = tiers[base.initech.pk]
    assert initech.tier == "below_zero"
    assert initech.recommendation == "shed"
    assert initech.reasons[0] == (
        "Margin after cost to serve was -€475 over the last 12 months (cost to serve €675)."
    )
    # Acme is the most valuable of the two others (top 20 %, at least one)
    assert tiers[base.acme.pk].tier == "most_valuable"
    assert tiers[base.acme.pk].recommendation == "keep"
    predicted = float(_value(base.acme).predicted_value)
    assert float(tiers[base.acme.pk].max_retention_spend) == pytest.approx(
        0.25 * predicted / 3, abs=0.01
    )
    # Globex: nothing bought, 11,800 of wallet elsewhere: most growable
    assert tiers[base.globex.pk].tier == "most_growable"
    assert tiers[base.globex.pk].recommendation == "grow"
    assert run.parameters["tiers"] == {"below_zero": 1, "most_valuable": 1, "most_growable": 1}

    # When a manager judges Initech strategic, the next run keeps it, and says why
    manager = make_user(Role.MANAGER)
    judgement_record(actor=manager, customer=base.initech, score=80, reason="Reference site")
    again = runners.tiers_recompute(now=base.now + timedelta(days=1))
    current = TierAssignment.objects.get(customer=base.initech, is_current=True)
    assert current.run == again
    assert current.tier == "below_zero"
    assert current.previous_tier == "below_zero"
    assert current.recommendation == "keep"
    assert "a manager judged its strategic value 80 of 100" in current.reasons[2]
    assert TierAssignment.objects.filter(customer=base.initech).count() == 2
    assert again.parameters["judged"] == 1


def test_a_deleted_organisation_is_not_valued(base):
    from rapport.accounts import services as account_services

    account_services.account_delete(actor=base.admin, account=base.globex)
    run = runners.value_recompute(now=base.now)
    assert run.total == 2
    assert not AccountValue.objects.filter(customer=base.globex).exists()


def test_a_failing_run_is_recorded_as_failed(base, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runners, "costs_to_serve", broken)
    with pytest.raises(RuntimeError):
        runners.value_recompute(now=base.now)
    run = ModelRun.objects.get(kind="value")
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: disk full"
    assert not AccountValue.objects.exists()


def test_recompute_runs_value_then_tiers_and_reports_progress(base):
    seen = []
    run = runners.value_recompute(now=base.now, progress=lambda done, total: seen.append(done))
    assert seen[0] == 0
    assert seen[-1] == 3
    assert seen == sorted(seen)
    assert run.processed == 3
    runs = runners.recompute(only="tiers")
    assert [r.kind for r in runs] == ["tiers"]
    with pytest.raises(ValueError, match="only must be one of"):
        runners.recompute(only="everything")


def test_repeat_buying_is_fitted_on_the_whole_base(costs):
    # Given 60 organisations with order histories simulated from a BG/NBD
    admin = make_user(Role.ADMIN)
    category = ProductCategory.objects.create(name="Parts")
    now = timezone.now()
    today = timezone.localdate(now)
    rng = np.random.default_rng(11)
    lines = []
    for n in range(60):
        org = make_account(admin, f"Org {n}", industry="Retail")
        rate = rng.gamma(2.0, 1 / 20)  # purchases per week
        alive_for = rng.exponential(120)
        week = float(rng.integers(0, 40))
        while week < min(alive_for, 104):
            lines.append(
                OrderLine(
                    customer=org,
                    account=org,
                    ordered_on=today - timedelta(days=int((104 - week) * 7)),
                    product="Widget",
                    category=category,
                    revenue=Decimal(int(rng.gamma(4, 50)) + 1),
                    cost=Decimal(0),
                )
            )
            week += rng.exponential(1 / rate)
    OrderLine.objects.bulk_create(lines)

    run = runners.value_recompute(now=now)

    # Then BG/NBD and Gamma-Gamma were fitted on every organisation's summary at once
    orders = run.parameters["orders"]
    assert orders["customers"] == len({line.customer_id for line in lines})
    rows = OrderLine.objects.values_list("customer_id", "ordered_on", "revenue")
    ids = np.array([r[0] for r in rows])
    days = np.array([(r[1] - today.__class__(1970, 1, 1)).days for r in rows], dtype=float)
    summary = btyd.summarise_transactions(
        ids,
        days,
        np.array([float(r[2]) for r in rows]),
        calibration_end=float((today - today.__class__(1970, 1, 1)).days),
    )
    fit = btyd.fit_bgnbd(summary.x, summary.t_x, summary.T)
    assert orders["bgnbd"]["log_likelihood"] == pytest.approx(fit.log_likelihood, rel=1e-6)
    assert orders["bgnbd"]["r"] == pytest.approx(fit.params.r, rel=1e-3)
    assert "gammagamma" in orders
    # and each organisation's expected purchases over 3 years come from that fit
    first = int(summary.customers[0])
    expected = btyd.bgnbd_conditional_expected_purchases(
        fit.params, 3 * 365.25 / 7, summary.x[:1], summary.t_x[:1], summary.T[:1]
    )[0]
    value = AccountValue.objects.get(customer_id=first, is_current=True)
    assert value.expected_purchases == pytest.approx(expected, rel=1e-3)
    assert 0.0 <= value.probability_alive <= 1.0
    # zero cost of goods: every purchase is all margin, so the order value is positive
    assert value.predicted_order_value > 0


def test_contract_retention_is_fitted_on_every_contract_and_values_the_live_ones(costs):
    # Given 8 monthly contracts: 4 cancelled after 3, 5, 8 and 12 months, 4 still running
    # for 2, 6, 10 and 24 months, each 100 a month at a cost of 30
    admin = make_user(Role.ADMIN)
    category = product_category_create(actor=admin, name="Support")
    org = make_account(admin, "Umbrella", industry="Pharma")
    today = timezone.localdate()
    month = 365 / 12
    for months in (3, 5, 8, 12):
        started = today - timedelta(days=round((months + 1) * month) + 30)
        subscription = subscription_create(
            actor=admin,
            account=org,
            category=category,
            name=f"Cancelled after {months}",
            started_on=started,
            recurring_revenue=Decimal(100),
            recurring_cost=Decimal(30),
        )
        Subscription.objects.filter(pk=subscription.pk).update(
            status="cancelled",
            cancelled_on=started + timedelta(days=round(months * month) + 1),
        )
    for months in (2, 6, 10, 24):
        subscription_create(
            actor=admin,
            account=org,
            category=category,
            name=f"Running for {months}",
            started_on=today - timedelta(days=round(months * month) + 1),
            recurring_revenue=Decimal(100),
            recurring_cost=Decimal(30),
        )

    run = runners.value_recompute()

    # Then sBG was fitted on the months each lasted, churned or not
    fit = retention.fit_sbg([3, 5, 8, 12, 2, 6, 10, 24], [True] * 4 + [False] * 4)
    stored = run.parameters["contracts"]["sbg"]
    assert stored["log_likelihood"] == pytest.approx(fit.log_likelihood, rel=1e-6)
    assert stored["alpha"] == pytest.approx(fit.params.alpha, rel=1e-4)
    # and each live contract is worth 70 a month for each month it is expected to pay
    rate = 1.1 ** (1 / 12) - 1
    expected = sum(
        70
        * retention.sbg_survival(fit.params, n + k + 1)
        / retention.sbg_survival(fit.params, n)
        / (1 + rate) ** k
        for n in (2, 6, 10, 24)
        for k in range(36)
    )
    value = AccountValue.objects.get(customer=org, is_current=True)
    assert float(value.predicted_contract_value) == pytest.approx(expected, abs=0.05)
    assert value.predicted_contract_value < 4 * 70 * Decimal(MONTHS_AHEAD)


def test_the_recompute_command_runs_one_analysis_and_says_what_it_did(base):
    from io import StringIO

    from django.core.management import call_command

    runners.value_recompute(now=base.now)
    out = StringIO()
    call_command("recompute", only="tiers", stdout=out)
    text = out.getvalue()
    run = ModelRun.objects.get(kind="tiers")
    assert f"Tiers: run {run.pk}, value-tiers v1, " in text
    assert "1 below zero, 1 most growable, 1 most valuable" in text
    assert TierAssignment.objects.filter(run=run).count() == 3


def test_a_run_dated_in_the_past_sees_the_base_as_it_was_then(base):
    # Given a run dated 500 days ago: Acme's subscription (started 400 days ago) and its
    # two recent orders had not happened yet; the order of 800 days ago had
    runners.value_recompute(now=base.now - timedelta(days=500))
    acme = _value(base.acme)
    assert acme.recurring_revenue_12m == Decimal("0.00")
    assert acme.predicted_contract_value == Decimal("0.00")
    assert acme.revenue_12m == Decimal("2000.00")
    assert acme.lifetime_margin == Decimal("1000.00")
    # and no interaction or discount fell in that 12-month window
    assert acme.cost_to_serve_12m == Decimal("0.00")


def test_a_run_computed_as_of_a_past_moment_is_dated_then(world):
    as_of = timezone.now() - timedelta(days=182)

    run = runners.tiers_recompute(now=as_of)
    today = runners.tiers_recompute()

    run.run.refresh_from_db()
    assert run.finished_at == as_of
    assert run.started_at == as_of
    assert today.finished_at.date() == timezone.localdate()
