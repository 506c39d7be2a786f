"""Segment treatments (C7): a needs segment's default treatment of its members, one
organisation's own, the effective treatment with its sources, and the cadence applied to
the quiet-interval alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.core.errors import InvalidInput, PermissionDenied, StaleWrite
from rapport.interactions.cadence import cadence_recompute
from rapport.interactions.models import AccountCadence
from rapport.needs.models import NeedsSegment
from rapport.needs.runners import segments_recompute
from rapport.offers import selectors, services
from rapport.offers.models import AccountTreatment, SegmentTreatment
from tests.factories import rhythm
from tests.needs.portfolio import make_portfolio

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.fixture
def products(catalog):
    return catalog


@pytest.fixture
def segmented(world):
    make_portfolio(world, extra=4)
    return NeedsSegment.objects.get(is_current=True, members__customer=world.acme)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _set_default(world, segment, products, **parts):
    parts.setdefault("offers", [products["plan"].pk])
    parts.setdefault("cadence_days", 30)
    parts.setdefault("channel", "call")
    return services.segment_treatment_set(actor=world.manager, segment=segment, **parts)


def test_each_part_comes_from_the_segment_until_the_account_has_its_own(world, products, segmented):
    _set_default(world, segmented, products, note="They want to be called")

    effective = selectors.treatment_for(user=world.rep, account=world.acme)
    assert effective.segment == segmented
    assert [line.product for line in effective.offers.value] == [products["plan"]]
    assert effective.offers.value[0].price.unit_price == Decimal("200.00")
    assert (effective.offers.source, effective.cadence_days.source) == ("segment", "segment")
    assert (effective.cadence_days.value, effective.channel.value) == (30, "call")
    assert effective.channel_label == "Call"

    services.account_treatment_set(
        actor=world.rep, account=world.acme, cadence_days=14, reason="Renewal this quarter"
    )
    effective = selectors.treatment_for(user=world.rep, account=world.acme_plant)
    assert effective.organisation == world.acme  # a unit is treated as its organisation
    assert (effective.cadence_days.value, effective.cadence_days.source) == (14, "account")
    assert (effective.channel.value, effective.channel.source) == ("call", "segment")
    assert effective.offers.source == "segment"

    # its own offers replace the segment's; ticked with none chosen, it is offered nothing
    services.account_treatment_set(
        actor=world.rep, account=world.acme, own_offers=True, offers=[], reason="Frozen budget"
    )
    effective = selectors.treatment_for(user=world.rep, account=world.acme)
    assert (effective.offers.value, effective.offers.source) == ((), "account")
    assert effective.cadence_days.source == "segment"  # the override no longer names one

    services.account_treatment_clear(actor=world.rep, account=world.acme)
    assert selectors.treatment_for(user=world.rep, account=world.acme).own is None
    # each version, and the clearing, stays in the history
    assert AccountTreatment.history.filter(customer_id=world.acme.pk).count() == 3


def test_an_account_outside_any_segment_has_only_its_own(world, products):
    effective = selectors.treatment_for(user=world.rep, account=world.globex)
    assert effective.segment is None
    assert not effective.is_set
    services.account_treatment_set(
        actor=world.rep, account=world.globex, channel="meeting", reason="Prefers to meet"
    )
    effective = selectors.treatment_for(user=world.rep, account=world.globex)
    assert (effective.channel.value, effective.channel.source) == ("meeting", "account")
    assert effective.cadence_days.source == ""


def test_the_treatment_follows_its_segment_through_a_recompute(world, products, segmented):
    treatment = _set_default(world, segmented, products)

    segments_recompute(now=NOW)

    current = NeedsSegment.objects.get(is_current=True, members__customer=world.acme)
    assert current.pk != segmented.pk
    assert current.lineage == segmented.lineage
    effective = selectors.treatment_for(user=world.rep, account=world.acme)
    assert effective.default == treatment
    assert effective.cadence_days.value == 30
    rows, orphans = selectors.segment_treatments(user=world.manager)
    assert orphans == []
    assert [r.treatment for r in rows if r.segment == current] == [treatment]


def test_a_treatment_whose_segment_is_gone_can_be_given_to_a_current_one(
    world, products, segmented
):
    treatment = _set_default(world, segmented, products)
    # as after a recompute that split the segment away: no current segment has its lineage
    SegmentTreatment.objects.filter(pk=treatment.pk).update(lineage=10_000)
    _rows, orphans = selectors.segment_treatments(user=world.manager)
    assert orphans == [SegmentTreatment.objects.get(pk=treatment.pk)]
    assert selectors.treatment_for(user=world.rep, account=world.acme).default is None

    services.segment_treatment_move(
        actor=world.manager, treatment=orphans[0], segment=segmented, expected_version=1
    )
    assert selectors.treatment_for(user=world.rep, account=world.acme).default == treatment


def test_bad_treatments_are_refused_naming_the_field_and_write_nothing(world, products, segmented):
    hamburg = world.acme_plant
    cases = [
        ({"cadence_days": 0}, "cadence_days"),
        ({"cadence_days": 731}, "cadence_days"),
        ({"cadence_days": "often"}, "cadence_days"),
        ({"channel": "fax"}, "channel"),
        ({"offers": [999_999]}, "offers"),
        ({"offers": "laptop"}, "offers"),
    ]
    for parts, field in cases:
        with pytest.raises(InvalidInput) as refused:
            _set_default(world, segmented, products, **parts)
        assert refused.value.field == field, parts
    with pytest.raises(PermissionDenied):
        services.segment_treatment_set(actor=world.rep, segment=segmented, cadence_days=30)
    assert not SegmentTreatment.objects.exists()

    services.catalog_entry_add(actor=world.manager, account=world.acme, product=products["plan"])
    own_cases = [
        ({"cadence_days": 10, "reason": ""}, "reason"),
        ({"reason": "Nothing differs"}, "own_offers"),
        ({"own_offers": True, "offers": [products["laptop"].pk], "reason": "x"}, "offers"),
    ]
    for parts, field in own_cases:
        with pytest.raises(InvalidInput) as refused:
            services.account_treatment_set(actor=world.rep, account=world.acme, **parts)
        assert refused.value.field == field, parts
    with pytest.raises(InvalidInput) as refused:
        services.account_treatment_set(actor=world.rep, account=hamburg, cadence_days=9, reason="x")
    assert refused.value.field == "account"
    with pytest.raises(PermissionDenied):
        services.account_treatment_set(
            actor=world.analyst, account=world.acme, cadence_days=9, reason="x"
        )
    assert not AccountTreatment.objects.exists()


def test_a_stale_treatment_save_is_refused(world, products, segmented):
    first = _set_default(world, segmented, products)
    # a form opened when there was none, saved after someone set one
    with pytest.raises(StaleWrite):
        _set_default(world, segmented, products, cadence_days=60, expected_version=0)
    _set_default(world, segmented, products, cadence_days=45, expected_version=first.version)
    with pytest.raises(StaleWrite):
        _set_default(world, segmented, products, cadence_days=60, expected_version=1)
    assert SegmentTreatment.objects.get().cadence_days == 45


def test_the_effective_treatment_costs_the_same_queries_however_many_offers(
    world, products, segmented
):
    _set_default(world, segmented, products, offers=[products["plan"].pk])
    with CaptureQueriesContext(connection) as one:
        selectors.treatment_for(user=world.rep, account=world.acme)
    extra = [
        services.product_create(
            actor=world.manager,
            sku=f"care-{i}",
            name=f"Care {i}",
            category=products["care"],
            list_price=Decimal(10 + i),
        ).pk
        for i in range(12)
    ]
    _set_default(world, segmented, products, offers=[products["plan"].pk, *extra])
    with CaptureQueriesContext(connection) as many:
        effective = selectors.treatment_for(user=world.rep, account=world.acme)
    assert len(effective.offers.value) == 13
    assert len(many) == len(one)


def test_a_treatment_cadence_holds_the_quiet_alerts_to_its_rhythm(world, products, segmented):
    # Acme talks to us every 60 days, last 40 days ago: quiet by its own rhythm? no
    rhythm(world, world.acme, every=60, count=7, last_days_ago=40)
    cadence_recompute()
    row = AccountCadence.objects.get(customer=world.acme)
    assert not row.is_quiet
    assert row.agreed_gap_days is None

    # its segment's treatment says every 30 days: it has gone quiet, 10 days overdue
    _set_default(world, segmented, products, cadence_days=30)
    cadence_recompute()
    row = AccountCadence.objects.get(customer=world.acme)
    assert (row.is_quiet, row.agreed_gap_days, row.allowed_gap_days) == (True, 30, 30.0)
    assert round(row.overdue_days) == 10

    # its own treatment agrees every 90 days: not quiet
    services.account_treatment_set(
        actor=world.rep, account=world.acme, cadence_days=90, reason="Quarterly reviews"
    )
    cadence_recompute()
    row = AccountCadence.objects.get(customer=world.acme)
    assert (row.is_quiet, row.agreed_gap_days) == (False, 90)


def test_the_pages_show_and_set_treatments(world, products, segmented):
    manager = _client(world.manager)
    listing = manager.get("/treatments/")
    assert listing.status_code == 200
    assert "Set treatment" in listing.content.decode()

    saved = manager.post(
        f"/treatments/segments/{segmented.pk}/",
        {
            "version": "0",
            "offers": [str(products["plan"].pk)],
            "cadence_days": "30",
            "channel": "call",
        },
    )
    assert saved.status_code == 302
    assert SegmentTreatment.objects.get().cadence_days == 30
    refused = manager.post(
        f"/treatments/segments/{segmented.pk}/",
        {"version": "1", "cadence_days": "0", "channel": "call"},
    )
    assert refused.status_code == 400
    assert SegmentTreatment.objects.get().cadence_days == 30

    rep = _client(world.rep)
    page = rep.get(f"/accounts/{world.acme.pk}/treatment/").content.decode()
    assert "Care plan 3 years" in page
    assert "segment default" in page
    assert "every 30 days" in page
    own = rep.post(
        f"/accounts/{world.acme.pk}/treatment/",
        {"version": "0", "cadence_days": "14", "channel": "", "reason": "Renewal"},
    )
    assert own.status_code == 302
    card = rep.get(f"/accounts/{world.acme.pk}/offers/in-use/").content.decode()
    assert "every 14 days" in card
    assert 'data-source="account"' in card
    assert rep.post(f"/accounts/{world.acme.pk}/treatment/clear/").status_code == 302
    assert not AccountTreatment.objects.exists()

    # a rep may treat one account otherwise but not set a segment's default
    assert rep.get(f"/treatments/segments/{segmented.pk}/").status_code == 403
    # the portal and partners never see how we treat anyone
    for outsider in (world.portal_acme, world.partner_user):
        client = _client(outsider)
        assert client.get("/treatments/").status_code in (403, 404)
        assert client.get(f"/accounts/{world.acme.pk}/treatment/").status_code in (403, 404)
        assert (
            "Treatment"
            not in client.get(f"/accounts/{world.acme.pk}/offers/in-use/").content.decode()
        )
