"""A customer's own prices, standard configurations, quotes and orders through the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core.models import Role
from rapport.offers import services
from rapport.offers.models import Order, PriceAgreement, StandardConfiguration
from rapport.valuation.models import OrderLine
from tests.api.conftest import BASE
from tests.factories import make_laptop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop(world):
    return make_laptop(world)


def _agreement(api, account, laptop, **terms):
    body = {
        "product_id": laptop.pk,
        "kind": "discount",
        "value": "10",
        "valid_from": (timezone.localdate() - timedelta(days=10)).isoformat(),
        **terms,
    }
    return api.post(f"/accounts/{account.pk}/agreements", body)


def test_a_manager_agrees_a_price_and_a_rep_sees_it_explained_for_a_plant(world, api_as, laptop):
    made = _agreement(api_as(world.manager), world.acme, laptop, breaks=[["10", "15"]])
    assert made.status_code == 201, made.json()
    assert made.json()["breaks"] == [["10.00", "15.00"]]
    priced = api_as(world.rep).post(
        f"/accounts/{world.acme_plant.pk}/prices",
        {"lines": [{"product_id": laptop.pk, "options": ["i7"], "quantity": "12"}]},
    )
    assert priced.status_code == 200, priced.json()
    [line] = priced.json()["lines"]
    assert (line["unit_price"], line["total"], line["source"]) == (
        "977.50",
        "11730.00",
        "volume break",
    )
    assert line["explanation"][2] == "Volume break from 10: 15% off list: €977.50 per unit."
    listed = api_as(world.rep).get(f"/accounts/{world.acme_plant.pk}/agreements").json()
    assert [(row["inherited_from"]["name"], row["current"]) for row in listed] == [
        ("Acme Industries", True)
    ]


def test_bad_agreements_are_400s_naming_the_field(world, api_as, laptop):
    api = api_as(world.manager)
    assert _agreement(api, world.acme, laptop).status_code == 201
    overlap = _agreement(api, world.acme, laptop, valid_from=timezone.localdate().isoformat())
    assert overlap.status_code == 400
    assert list(overlap.json()["errors"]) == ["valid_from"]
    usd = _agreement(api, world.acme_emea, laptop, currency="USD")
    assert usd.json()["errors"] == {
        "currency": [
            "The catalog's prices are in EUR: an agreement in USD cannot be applied to them."
        ]
    }
    assert _agreement(api, world.acme_emea, laptop, value="-1").status_code == 400
    # a value sent empty is no price, not a price of 0
    agreement = PriceAgreement.objects.get()
    emptied = api.patch(f"/agreements/{agreement.pk}", {"value": None})
    assert emptied.status_code == 400
    assert list(emptied.json()["errors"]) == ["value"]
    assert PriceAgreement.objects.get().value == agreement.value
    assert (
        api_as(world.rep)
        .post(
            f"/accounts/{world.acme.pk}/agreements",
            {"product_id": laptop.pk, "kind": "fixed", "value": "1", "valid_from": "2026-01-01"},
        )
        .status_code
        == 403
    )
    assert PriceAgreement.objects.count() == 1


def test_a_configuration_is_saved_changed_with_a_reason_and_reordered(world, api_as, laptop):
    api = api_as(world.rep)
    broken = api.post(
        f"/accounts/{world.acme_emea.pk}/configurations",
        {"name": "Executive laptop", "product_id": laptop.pk, "options": []},
    )
    assert broken.status_code == 400
    assert broken.json()["errors"] == {"options": ["Choose at least 1 of Processor (none chosen)."]}
    made = api.post(
        f"/accounts/{world.acme_emea.pk}/configurations",
        {"name": "Executive laptop", "product_id": laptop.pk, "options": ["i5"], "quantity": "2"},
    )
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made["ETag"] == '"1"'
    # A stale change is refused, a fresh one needs a reason and makes a version
    stale = api.client.patch(
        f"{BASE}/configurations/{pk}",
        data=json.dumps({"reason": "faster", "options": ["i7"]}),
        content_type="application/json",
        headers={"If-Match": '"7"'},
    )
    assert stale.status_code == 412
    changed = api.client.patch(
        f"{BASE}/configurations/{pk}",
        data=json.dumps({"reason": "Executives want the faster processor", "options": ["i7"]}),
        content_type="application/json",
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.json()
    versions = api.get(f"/configurations/{pk}/versions").json()
    assert [(v["reason"], v["changed_by"]) for v in versions] == [
        ("Executives want the faster processor", "Rita Rep"),
        ("created", "Rita Rep"),
    ]
    assert versions[0]["changes"] == [["options", ["i5"], ["i7"]]]
    inherited = api.get(f"/accounts/{world.acme_plant.pk}/configurations").json()
    assert [(c["configuration"]["name"], c["inherited_from"]["name"]) for c in inherited] == [
        ("Executive laptop", "Acme EMEA")
    ]
    # Reorder for the plant below, in one step
    order = api.post(f"/configurations/{pk}/reorder", {"account_id": world.acme_plant.pk})
    assert order.status_code == 201, order.json()
    body = order.json()
    assert (body["status"], body["origin"], body["total"]) == ("placed", "reorder", "2300.00")
    assert OrderLine.objects.get(order_ref=body["number"]).account == world.acme_plant


def test_a_quote_is_accepted_or_declined_and_bad_lines_are_named(world, api_as, laptop):
    api = api_as(world.rep)
    bad = api.post(
        f"/accounts/{world.acme.pk}/quotes",
        {
            "lines": [
                {"product_id": laptop.pk, "options": ["i5"]},
                {"product_id": laptop.pk, "options": ["i9"]},
            ]
        },
    )
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["lines.1.options"]
    negative = api.post(
        f"/accounts/{world.acme.pk}/quotes",
        {"lines": [{"product_id": laptop.pk, "options": ["i5"], "quantity": "-1"}]},
    )
    assert negative.status_code == 400
    assert not Order.objects.exists()
    quote = api.post(
        f"/accounts/{world.acme.pk}/quotes",
        {"lines": [{"product_id": laptop.pk, "options": ["i5"], "quantity": "3"}]},
    ).json()
    assert (quote["status"], quote["total"]) == ("quote", "3000.00")
    assert quote["items"][0]["explanation"][-1] == "€1,000.00 × 3 = €3,000.00."  # noqa: RUF001
    accepted = api.post(f"/orders/{quote['id']}/accept")
    assert accepted.json()["status"] == "placed"
    assert api.post(f"/orders/{quote['id']}/accept").status_code == 409
    other = api.post(
        f"/accounts/{world.acme.pk}/quotes",
        {"lines": [{"product_id": laptop.pk, "options": ["i5"]}]},
    ).json()
    declined = api.post(f"/orders/{other['id']}/decline", {"reason": "Budget frozen"}).json()
    assert (declined["status"], declined["note"]) == ("declined", "Declined: Budget frozen")
    listed = api.get(f"/accounts/{world.acme.pk}/orders").json()
    assert [o["status"] for o in listed["items"]] == ["declined", "placed"]


def test_outsiders_find_none_of_another_customers_offers(world, api_as, laptop):
    configuration = services.configuration_create(
        actor=world.rep, account=world.acme, name="Standard", product=laptop, options=["i5"]
    )
    other_partner = make_user(Role.PARTNER, full_name="Sam South", partner=world.other_partner)
    for outsider in (world.portal_globex, other_partner):
        api = api_as(outsider)
        assert api.get(f"/accounts/{world.acme.pk}/configurations").status_code == 404
        assert api.get(f"/configurations/{configuration.pk}").status_code == 404
        assert api.post(f"/configurations/{configuration.pk}/reorder", {}).status_code in (403, 404)
    assert StandardConfiguration.objects.count() == 1
    assert not Order.objects.exists()
