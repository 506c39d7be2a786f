"""The account's Value tab: what it shows, to whom, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from rapport.valuation import runners
from rapport.valuation.services import (
    judgement_record,
    order_line_create,
    product_category_create,
    wallet_estimate_record,
)
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _value(world, categories: int = 2) -> None:
    today = timezone.localdate()
    for n in range(categories):
        category = product_category_create(actor=world.admin, name=f"Category {n}")
        order_line_create(
            actor=world.admin,
            account=world.acme_plant,
            category=category,
            ordered_on=today - timedelta(days=30 + n),
            product="Press",
            revenue=Decimal(1000),
            cost=Decimal(400),
        )
        wallet_estimate_record(
            actor=world.rep,
            account=world.acme,
            category=category,
            annual_amount=Decimal(4000),
            source="rep_estimated",
            note=f"Estimate {n}",
        )
    runners.recompute(only="value")
    runners.recompute(only="tiers")


@pytest.fixture
def valued(world):
    _value(world)
    judgement_record(
        actor=world.manager, customer=world.acme, score=82, reason="Opens the German market"
    )
    runners.recompute(only="tiers")
    return world


def test_the_value_tab_shows_margin_prediction_shares_wallets_tier_and_judgement(valued):
    response = _client(valued.manager).get(f"/accounts/{valued.acme.pk}/value/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Value of Acme Industries" in page
    assert 'data-kpi="margin">€1,200<' in page  # 2 x (1,000 - 400)
    assert "bgnbd-gammagamma-sbg v1, run" in page
    # shares: 1,000 of 4,000 in each category, the rep's estimate labelled
    assert 'data-chart="chart-shares"' in page
    assert page.count("Rep estimated") >= 4  # in the share table and the wallet list
    assert '<td class="num">25%</td>' in page
    # the model's strategic figure beside the manager's judgement, with who and why
    assert "Opens the German market" in page
    assert "82<small> / 100</small>" in page
    assert "Max Manager" in page
    # tier, its reasons, its history, and the most to spend keeping it
    assert 'data-tier="most_valuable"' in page
    assert "Among the top 20% by value" in page
    assert 'id="tier-history"' in page
    # the forms the records helper provides, for a manager
    assert 'id="wallet-form-' in page
    assert 'id="judgement-form-' in page


def test_a_unit_shows_its_organisations_value_and_says_so(valued):
    page = _client(valued.rep).get(f"/accounts/{valued.acme_plant.pk}/value/").content.decode()
    assert "Plant Hamburg is a unit of" in page
    assert "Value of Acme Industries" in page
    # a rep records wallets but does not judge
    assert 'id="wallet-form-' in page
    assert 'id="judgement-form-' not in page


def test_an_organisation_not_valued_yet_says_how_it_gets_a_value(world):
    org = make_account(world.admin, "Fresh Prospect")
    page = _client(world.analyst).get(f"/accounts/{org.pk}/value/").content.decode()
    assert "Not valued yet" in page
    assert 'id="wallet-form-' not in page  # analysts read only


def test_the_account_page_links_to_the_value_tab_for_staff_only(valued):
    page = _client(valued.rep).get(f"/accounts/{valued.acme.pk}/").content.decode()
    assert f'href="/accounts/{valued.acme.pk}/value/"' in page
    portal = _client(valued.portal_acme).get(f"/accounts/{valued.acme.pk}/").content.decode()
    assert "/value/" not in portal


@pytest.mark.parametrize("who", ["portal_acme", "partner_user"])
def test_customers_and_partners_may_not_open_the_value_tab(valued, who):
    response = _client(getattr(valued, who)).get(f"/accounts/{valued.acme.pk}/value/")
    assert response.status_code == 403
    assert b"Opens the German market" not in response.content


def test_another_organisations_value_tab_is_not_found(valued):
    response = _client(valued.portal_globex).get(f"/accounts/{valued.acme.pk}/value/")
    assert response.status_code == 404


def test_the_value_tab_issues_the_same_queries_however_many_categories_and_runs(
    world, django_assert_max_num_queries
):
    _value(world, categories=1)
    client = _client(world.manager)
    client.get(f"/accounts/{world.acme.pk}/value/")  # warm the session
    with django_assert_max_num_queries(20) as small:
        client.get(f"/accounts/{world.acme.pk}/value/")
    for n in range(1, 8):
        category = product_category_create(actor=world.admin, name=f"More {n}")
        wallet_estimate_record(
            actor=world.rep,
            account=world.acme,
            category=category,
            annual_amount=Decimal(500),
            source="customer_said",
        )
    runners.recompute(only="value")
    runners.recompute(only="tiers")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"/accounts/{world.acme.pk}/value/")
    assert response.content.decode().count("whitespace</span>") == 7


def test_the_share_chart_says_each_share_past_its_bar_and_amounts_in_the_currency():
    from decimal import Decimal
    from types import SimpleNamespace

    from rapport.valuation.views import share_chart

    share = SimpleNamespace(
        category=SimpleNamespace(name="Consumables"),
        wallet=Decimal(10_000),
        revenue_12m=Decimal(7_000),
        share=0.7,
    )
    chart = share_chart([share])  # type: ignore[list-item]
    assert chart is not None
    rest = chart["series"][1]
    # dark text past the end of the whole bar, not white inside a light one
    assert rest["label"]["position"] == "right"
    assert rest["label"]["color"] == "#334155"
    assert rest["data"] == [{"value": 3000, "name": "70%"}]
    assert chart["xAxis"]["axisLabel"]["formatter"] == "money:EUR"
    assert chart["tooltip"]["valueFormatter"] == "money:EUR"
