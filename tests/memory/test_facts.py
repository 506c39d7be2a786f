"""The learning memory: facts with provenance, superseded never erased, contradictions flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.core.errors import InvalidInput, PermissionDenied
from rapport.memory import selectors, services
from rapport.memory.models import Contradiction, Fact, FactSource
from rapport.memory.selectors import attribute_get
from tests.factories import make_contact, make_interaction

pytestmark = pytest.mark.django_db


def _record(world, key, value, *, actor=None, **kwargs):
    kwargs.setdefault("source", FactSource.USER)
    return services.fact_record(
        actor=actor or world.rep, attribute=attribute_get(key=key), value=value, **kwargs
    )


def test_a_preference_told_on_a_call_is_on_the_contacts_profile_with_its_source(world):
    # Given a call with the buyer
    call = make_interaction(world.rep, world.acme_plant, contacts=[world.acme_buyer])

    # When the rep records what the buyer said on it
    recorded = _record(
        world,
        "pref-meeting-format",
        "video",
        contact=world.acme_buyer,
        source=FactSource.INTERACTION,
        interaction=call,
        said_by=world.acme_buyer,
    )

    # Then the contact's profile shows it, with where it came from
    entry = next(
        e
        for e in selectors.profile(user=world.rep, contact=world.acme_buyer).entries
        if e.attribute.key == "pref-meeting-format"
    )
    assert entry.fact == recorded.fact
    assert entry.fact.display == "video"
    assert entry.fact.interaction == call
    assert entry.fact.recorded_by == world.rep
    assert entry.fact.said_by == world.acme_buyer
    assert entry.fact.confidence == 90
    assert entry.inherited_from is None


def test_values_are_typed_and_said_back_in_words(world):
    budget = _record(world, "con-annual-budget", "250,000", account=world.acme_emea).fact
    systems = _record(world, "need-integration", ["workday", "SAP"], account=world.acme_emea).fact
    seats = _record(world, "spec-seats", 1200, account=world.acme_emea).fact
    tender = _record(world, "plan-tender", "yes", account=world.acme).fact
    standards = _record(world, "spec-standards", "ISO: 27001\nIEC: 62443", account=world.acme).fact

    assert (budget.value, budget.display) == (250000, "EUR 250,000")
    assert (systems.value, systems.display) == (["SAP", "Workday"], "SAP, Workday")
    assert seats.display == "1,200 users"
    assert (tender.value, tender.display) == (True, "Yes")
    assert standards.value == {"ISO": "27001", "IEC": "62443"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("con-annual-budget", "a lot", "must be a number"),
        ("need-uptime", "sometimes", "is not one of"),
        ("plan-budget-cycle", "next spring", "YYYY-MM-DD"),
        ("plan-tender", "perhaps", "yes or no"),
        ("spec-standards", "no colon here", "name: value"),
        ("plan-expansion", "", "Give a value"),
    ],
)
def test_a_bad_value_names_the_value_field_and_stores_nothing(world, key, value, message):
    with pytest.raises(InvalidInput) as error:
        _record(world, key, value, account=world.acme)
    assert error.value.field == "value"
    assert message in error.value.message
    assert Fact.objects.count() == 0


def test_organisation_attributes_are_kept_at_the_top_and_inherited_below(world):
    # Given payment terms told about a site
    recorded = _record(world, "con-payment-terms", "60 days", account=world.acme_plant).fact

    # Then it is kept on the organisation and shown as inherited on the site and its people
    assert recorded.account == world.acme
    site = {
        e.attribute.key: e
        for e in selectors.profile(user=world.rep, account=world.acme_plant).entries
    }
    assert site["con-payment-terms"].fact == recorded
    assert site["con-payment-terms"].inherited_from == world.acme
    person = {
        e.attribute.key: e
        for e in selectors.profile(user=world.rep, contact=world.acme_buyer).entries
    }
    assert person["con-payment-terms"].inherited_from == world.acme


def test_a_deeper_unit_overrides_what_its_parent_told_us(world):
    _record(world, "spec-seats", 500, account=world.acme)
    site_value = _record(world, "spec-seats", 40, account=world.acme_plant).fact

    site = {
        e.attribute.key: e
        for e in selectors.profile(user=world.rep, account=world.acme_plant).entries
    }
    assert site["spec-seats"].fact == site_value
    assert site["spec-seats"].inherited_from is None


def test_a_contact_attribute_needs_a_contact(world):
    with pytest.raises(InvalidInput) as error:
        _record(world, "pref-meeting-format", "video", account=world.acme)
    assert error.value.field == "contact"


def test_a_new_value_supersedes_the_old_one_which_stays_in_history(world):
    first = _record(world, "spec-seats", 100, account=world.acme_emea).fact
    second = _record(world, "spec-seats", 150, account=world.acme_emea).fact

    first.refresh_from_db()
    assert first.superseded_by == second
    assert first.superseded_at is not None
    assert second.is_current
    history = selectors.fact_history(
        user=world.rep, attribute=first.attribute, account=world.acme_emea
    )
    assert [f.value for f in history] == [150, 100]
    # the same person correcting themselves is no contradiction
    assert Contradiction.objects.count() == 0


def test_different_values_from_different_sources_are_flagged_for_a_person(world):
    # Given the CFO told us the budget on a call
    call = make_interaction(world.rep, world.acme, contacts=[world.acme_cfo])
    told = _record(
        world,
        "con-annual-budget",
        200000,
        account=world.acme,
        source=FactSource.INTERACTION,
        interaction=call,
        said_by=world.acme_cfo,
    ).fact

    # When the buyer gives another figure
    later = _record(
        world, "con-annual-budget", 120000, account=world.acme, said_by=world.acme_buyer
    )

    # Then the new figure is current and both are flagged as contradicting
    contradiction = later.contradiction
    assert contradiction is not None
    assert (contradiction.earlier, contradiction.later) == (told, later.fact)
    entry = next(
        e
        for e in selectors.profile(user=world.manager, account=world.acme).entries
        if e.attribute.key == "con-annual-budget"
    )
    assert entry.contradiction == contradiction

    # When the manager keeps the CFO's figure
    services.contradiction_resolve(
        actor=world.manager, contradiction=contradiction, keep="earlier", note="CFO owns it"
    )

    # Then it is current again, told by the CFO, and nothing was erased
    current = Fact.objects.get(attribute=told.attribute, superseded_at__isnull=True)
    assert current.value == 200000
    assert current.said_by == world.acme_cfo
    assert current.recorded_by == world.manager
    assert Fact.objects.filter(attribute=told.attribute).count() == 3
    contradiction.refresh_from_db()
    assert contradiction.status == "resolved"
    assert contradiction.resolution == current
    assert Contradiction.objects.count() == 1


def test_an_old_value_from_someone_else_is_simply_superseded(world):
    old = _record(world, "con-annual-budget", 200000, account=world.acme, said_by=world.acme_cfo)
    Fact.objects.filter(pk=old.fact.pk).update(recorded_at=timezone.now() - timedelta(days=400))

    later = _record(
        world, "con-annual-budget", 120000, account=world.acme, said_by=world.acme_buyer
    )

    assert later.contradiction is None


def test_validity_is_checked_and_an_expired_fact_is_no_longer_known(world):
    with pytest.raises(InvalidInput) as error:
        _record(
            world,
            "plan-expansion",
            "New plant",
            account=world.acme,
            valid_from=date(2026, 5, 1),
            valid_until=date(2026, 4, 1),
        )
    assert error.value.field == "valid_until"

    _record(
        world,
        "plan-expansion",
        "New plant",
        account=world.acme,
        valid_from=date(2020, 1, 1),
        valid_until=date(2021, 1, 1),
    )
    entry = next(
        e
        for e in selectors.profile(user=world.rep, account=world.acme).entries
        if e.attribute.key == "plan-expansion"
    )
    assert entry.is_expired
    assert not entry.is_known


def test_read_only_and_outside_users_cannot_teach_the_memory(world):
    for user in (world.analyst, world.portal_acme, world.partner_user):
        with pytest.raises(PermissionDenied):
            _record(world, "spec-seats", 5, account=world.acme, actor=user)
    assert Fact.objects.count() == 0


def test_facts_of_another_organisation_are_invisible(world):
    fact = _record(world, "spec-seats", 5, account=world.globex).fact
    assert selectors.fact_history(user=world.portal_acme, attribute=fact.attribute) == []
    assert selectors.fact_history(user=world.partner_user, attribute=fact.attribute) == []
    assert selectors.fact_history(user=world.portal_globex, attribute=fact.attribute) == [fact]


def test_a_person_from_another_organisation_cannot_have_told_us(world):
    with pytest.raises(InvalidInput) as error:
        _record(world, "spec-seats", 5, account=world.acme, said_by=world.globex_cto)
    assert error.value.field == "said_by"


def test_profile_queries_do_not_grow_with_facts(world, django_assert_max_num_queries):
    for index in range(3):
        _record(world, "spec-seats", index + 1, account=world.acme_plant)
    with django_assert_max_num_queries(3):
        assert selectors.profile(user=world.rep, contact=world.acme_buyer).entries
    colleague = make_contact(world.admin, world.acme_plant)
    for key, value in [("pref-meeting-format", "phone"), ("pref-topics", "events")]:
        _record(world, key, value, contact=colleague)
    for key, value in [("con-payment-terms", "30 days"), ("need-uptime", "high")]:
        _record(world, key, value, account=world.acme_plant)
    with django_assert_max_num_queries(3):
        assert selectors.profile(user=world.rep, contact=colleague).entries
