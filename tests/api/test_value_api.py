"""API of the model results: an account's value, its history, tiers, and recompute runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.valuation import runners
from rapport.valuation.models import AccountValue, ModelRun, TierAssignment
from rapport.valuation.services import (
    judgement_record,
    order_line_create,
    product_category_create,
    wallet_estimate_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def valued(world):
    """Acme bought hardware twice; a rep says its hardware wallet is 10,000; both valued."""
    hardware = product_category_create(actor=world.admin, name="Hardware")
    today = timezone.localdate()
    for days_ago, revenue in ((200, 1500), (20, 500)):
        order_line_create(
            actor=world.admin,
            account=world.acme_plant,
            category=hardware,
            ordered_on=today - timedelta(days=days_ago),
            product="Press",
            revenue=Decimal(revenue),
            cost=Decimal(revenue) / 2,
        )
    wallet_estimate_record(
        actor=world.rep,
        account=world.acme,
        category=hardware,
        annual_amount=Decimal(10_000),
        source="rep_estimated",
    )
    judgement_record(actor=world.manager, customer=world.acme, score=75, reason="Lighthouse")
    runners.recompute(only="value")
    runners.recompute(only="tiers")
    return world


def test_an_accounts_value_shows_the_models_figures_shares_tier_and_judgement(valued, rep_api):
    response = rep_api.get(f"/accounts/{valued.acme.pk}/value")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["organisation"] == {"id": valued.acme.pk, "name": "Acme Industries"}
    value = body["value"]
    assert value["revenue_12m"] == "2000.00"
    assert value["margin_12m"] == "1000.00"
    assert value["run"]["kind"] == "value"
    assert value["run"]["model_name"] == "bgnbd-gammagamma-sbg"
    assert body["shares"] == [
        {
            "category": {"id": body["shares"][0]["category"]["id"], "name": "Hardware"},
            "revenue_12m": "2000.00",
            "wallet": "10000.00",
            "wallet_source": "rep_estimated",
            "wallet_source_label": "Rep estimated",
            "share": 0.2,
            "is_whitespace": False,
        }
    ]
    assert body["tier"]["tier"] == "most_valuable"
    assert body["tier"]["recommendation"] == "keep"
    assert body["tier"]["reasons"][0].startswith("Among the top 20% by value")
    assert body["judgement"]["score"] == 75
    assert body["judgement"]["reason"] == "Lighthouse"
    assert body["judgement"]["author"]["id"] == valued.manager.pk


def test_a_unit_answers_with_its_organisations_value(valued, rep_api):
    body = rep_api.get(f"/accounts/{valued.acme_plant.pk}/value").json()
    assert body["account"]["id"] == valued.acme_plant.pk
    assert body["organisation"]["id"] == valued.acme.pk
    assert body["value"]["revenue_12m"] == "2000.00"


def test_before_any_run_the_value_is_empty_not_an_error(world, rep_api):
    body = rep_api.get(f"/accounts/{world.globex.pk}/value").json()
    assert body["value"] is None
    assert body["shares"] == []
    assert body["tier"] is None


def test_value_history_keeps_every_run(valued, rep_api):
    runners.recompute(only="value")
    history = rep_api.get(f"/accounts/{valued.acme.pk}/value/history").json()
    assert [row["is_current"] for row in history] == [True, False]
    assert history[0]["run"]["id"] != history[1]["run"]["id"]


def test_tiers_are_listed_filtered_and_paginated(valued, rep_api):
    page = rep_api.get("/tiers", {"limit": 1}).json()
    assert [item["customer"]["name"] for item in page["items"]] == ["Acme Industries"]
    second = rep_api.get("/tiers", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [item["customer"]["name"] for item in second["items"]] == ["Globex Corporation"]
    assert second["next_cursor"] is None
    growable = rep_api.get("/tiers", {"tier": "most_valuable"}).json()
    assert [item["customer"]["name"] for item in growable["items"]] == ["Acme Industries"]
    assert rep_api.get("/tiers", {"tier": "golden"}).status_code == 400
    assert rep_api.get("/tiers", {"cursor": "garbage"}).status_code == 400


def test_a_manager_triggers_a_recompute_and_follows_the_run(valued, api_as):
    manager_api = api_as(valued.manager)
    response = manager_api.post("/runs", {"kind": "value"})
    assert response.status_code == 202, response.json()
    run = response.json()
    # the test worker runs it at once: value, then tiers (and segments when they exist)
    assert run["kind"] == "value"
    assert run["status"] == "done"
    assert run["triggered_by"]["id"] == valued.manager.pk
    assert run["parameters"]["horizon_years"] == 3.0
    followed = manager_api.get(f"/runs/{run['id']}").json()
    assert followed["processed"] == followed["total"] == 2
    kinds = [r["kind"] for r in manager_api.get("/runs").json()]
    assert kinds.count("value") == 2
    assert kinds.count("tiers") == 2
    assert [r["kind"] for r in manager_api.get("/runs", {"kind": "tiers"}).json()] == [
        "tiers",
        "tiers",
    ]
    assert AccountValue.objects.filter(run_id=run["id"], is_current=True).count() == 2


def test_a_rep_may_not_trigger_a_recompute_and_nothing_runs(valued, rep_api):
    before = ModelRun.objects.count()
    response = rep_api.post("/runs", {"kind": "tiers"})
    assert response.status_code == 403
    assert ModelRun.objects.count() == before


def test_an_unknown_kind_is_bad_input(valued, api_as):
    response = api_as(valued.admin).post("/runs", {"kind": "horoscope"})
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


@pytest.mark.parametrize("who", ["portal_acme", "partner_user", "portal_globex"])
def test_customers_and_partners_never_see_what_an_account_is_worth(valued, api_as, who):
    client = api_as(getattr(valued, who))
    run = ModelRun.objects.filter(kind="value").first()
    own = valued.acme if who in {"portal_acme", "partner_user"} else valued.globex
    other = valued.globex if own is valued.acme else valued.acme
    assert client.get(f"/accounts/{own.pk}/value").status_code == 403
    assert client.get(f"/accounts/{other.pk}/value").status_code == 404
    assert client.get(f"/accounts/{own.pk}/value/history").status_code == 403
    assert client.get("/tiers").status_code == 403
    assert client.get("/runs").status_code == 403
    assert client.get(f"/runs/{run.pk}").status_code == 403
    assert client.post("/runs", {"kind": "value"}).status_code == 403


def test_anonymous_gets_401(valued, api_as):
    client = api_as(None)
    assert client.get(f"/accounts/{valued.acme.pk}/value").status_code == 401
    assert client.get("/tiers").status_code == 401
    assert client.post("/runs", {}).status_code == 401


def test_an_analyst_reads_but_may_not_trigger(valued, api_as):
    analyst = api_as(valued.analyst)
    assert analyst.get(f"/accounts/{valued.acme.pk}/value").status_code == 200
    assert analyst.get("/tiers").json()["items"]
    assert analyst.post("/runs", {"kind": "tiers"}).status_code == 403
    assert TierAssignment.objects.filter(is_current=True).count() == 2
