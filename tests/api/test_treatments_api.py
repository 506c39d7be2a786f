"""The segment treatment endpoints (C7): set a segment's default, one organisation's own,
read the effective treatment with its sources; stale writes, bad input and outsiders."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from rapport.needs.models import NeedsSegment
from rapport.offers import services
from rapport.offers.models import AccountTreatment, SegmentTreatment
from tests.api.conftest import BASE
from tests.factories import ProductCategoryFactory
from tests.needs.portfolio import make_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world):
    return services.product_create(
        actor=world.manager,
        sku="care-3y",
        name="Care plan 3 years",
        category=ProductCategoryFactory(actor=world.admin, name="Care"),
        list_price=Decimal(200),
    )


@pytest.fixture
def segment(world):
    make_portfolio(world, extra=4)
    return NeedsSegment.objects.get(is_current=True, members__customer=world.acme)


def _put(api, path, body, version=None):
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if version is not None else {}
    return api.client.put(BASE + path, json.dumps(body), content_type="application/json", **headers)


def test_a_segment_default_and_an_own_treatment_make_the_effective_one(
    world, api_as, plan, segment
):
    manager, rep = api_as(world.manager), api_as(world.rep)
    body = {"offers": [plan.pk], "cadence_days": 30, "channel": "call", "note": "Call them"}
    saved = _put(manager, f"/segments/{segment.pk}/treatment", body, version=0)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] == '"1"'
    assert saved.json()["lineage"] == segment.lineage
    # someone else's form, opened when there was none, is refused
    stale = _put(manager, f"/segments/{segment.pk}/treatment", {**body, "cadence_days": 9}, 0)
    assert stale.status_code == 412
    assert SegmentTreatment.objects.get().cadence_days == 30

    listing = manager.get("/treatments").json()
    [row] = [r for r in listing["segments"] if r["segment"]["id"] == segment.pk]
    assert row["treatment"]["offers"] == [plan.pk]
    assert listing["orphaned"] == []

    own = _put(
        rep, f"/accounts/{world.acme.pk}/treatment", {"cadence_days": 14, "reason": "Renewal"}
    )
    assert own.status_code == 200, own.content
    assert own.json()["organisation"]["id"] == world.acme.pk

    effective = rep.get(f"/accounts/{world.acme_plant.pk}/treatment").json()
    assert effective["organisation"]["id"] == world.acme.pk
    assert effective["segment"]["id"] == segment.pk
    assert effective["cadence_days"] == {"value": 14, "source": "account"}
    assert effective["channel"] == {"value": "call", "source": "segment"}
    assert effective["offers"]["source"] == "segment"
    assert effective["offers"]["value"][0]["product"]["sku"] == "CARE-3Y"
    assert effective["offers"]["value"][0]["unit_price"] == "200.00"

    assert rep.delete(f"/accounts/{world.acme.pk}/treatment").status_code == 204
    effective = rep.get(f"/accounts/{world.acme.pk}/treatment").json()
    assert effective["cadence_days"] == {"value": 30, "source": "segment"}
    assert effective["own"] is None


def test_bad_treatments_are_400s_naming_the_field(world, api_as, plan, segment):
    manager, rep = api_as(world.manager), api_as(world.rep)
    for body, field in [
        ({"cadence_days": 0}, "cadence_days"),
        ({"channel": "fax"}, "channel"),
        ({"offers": [987_654]}, "offers"),
    ]:
        refused = _put(manager, f"/segments/{segment.pk}/treatment", body)
        assert refused.status_code == 400, body
        assert field in json.dumps(refused.json()), refused.json()
    for body, field in [
        ({"cadence_days": 10}, "reason"),
        ({"reason": "nothing differs"}, "own_offers"),
    ]:
        refused = _put(rep, f"/accounts/{world.acme.pk}/treatment", body)
        assert refused.status_code == 400, body
        assert field in json.dumps(refused.json()), refused.json()
    unit = _put(
        rep, f"/accounts/{world.acme_plant.pk}/treatment", {"cadence_days": 9, "reason": "x"}
    )
    assert unit.status_code == 400
    assert "account" in json.dumps(unit.json())
    # a rep may not set a segment's default
    assert _put(rep, f"/segments/{segment.pk}/treatment", {"cadence_days": 30}).status_code == 403
    assert not SegmentTreatment.objects.exists()
    assert not AccountTreatment.objects.exists()


def test_outsiders_never_see_or_set_how_we_treat_anyone(world, api_as, plan, segment):
    services.segment_treatment_set(actor=world.manager, segment=segment, cadence_days=30)
    for outsider in (world.portal_acme, world.partner_user, world.portal_globex):
        api = api_as(outsider)
        assert api.get("/treatments").status_code in (403, 404)
        assert api.get(f"/accounts/{world.acme.pk}/treatment").status_code in (403, 404)
        put = _put(api, f"/accounts/{world.acme.pk}/treatment", {"cadence_days": 1, "reason": "x"})
        assert put.status_code in (403, 404)
        assert api.delete(f"/treatments/{SegmentTreatment.objects.get().pk}").status_code in (
            403,
            404,
        )
    assert SegmentTreatment.objects.get().cadence_days == 30
    assert not AccountTreatment.objects.exists()
    assert api_as(None).get("/treatments").status_code == 401
