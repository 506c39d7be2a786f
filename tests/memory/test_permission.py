"""May we contact this person on this channel for this purpose now? allow, warn or block."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.memory import selectors, services
from rapport.memory.models import Consent
from tests.factories import make_contact, make_interaction

pytestmark = pytest.mark.django_db

WED_0930_BERLIN = datetime(2026, 11, 4, 8, 30, tzinfo=UTC)


def _consent(world, contact, purpose, status, *, channel="", how="web form", at=None):
    return services.consent_record(
        actor=world.rep,
        contact=contact,
        purpose=purpose,
        status=status,
        channel=channel,
        how=how,
        recorded_at=at,
    )


def _check(contact, channel="email", purpose="marketing", at=None):
    return selectors.contact_permission(contact=contact, channel=channel, purpose=purpose, at=at)


def test_withdrawn_consent_blocks_with_when_and_how(world):
    # Given Carla opted in to marketing, then withdrew it by replying to a newsletter
    _consent(world, world.acme_cfo, "marketing", "granted", at=datetime(2026, 10, 1, tzinfo=UTC))
    _consent(
        world,
        world.acme_cfo,
        "marketing",
        "withdrawn",
        how="reply to newsletter",
        at=datetime(2026, 11, 3, 10, tzinfo=UTC),
    )
    # When we ask whether a marketing e-mail may go out
    permission = _check(world.acme_cfo, at=WED_0930_BERLIN)
    # Then it is blocked, saying when and how
    assert permission.verdict == "block"
    assert permission.reasons == [
        "Withdrew consent to marketing on 3 Nov 2026 (reply to newsletter)."
    ]


def test_opt_in_purposes_need_a_granted_consent(world):
    assert _check(world.acme_cfo, purpose="newsletter").reasons == [
        "Has not opted in to newsletters: record their consent first."
    ]
    _consent(world, world.acme_cfo, "newsletter", "granted")
    assert _check(world.acme_cfo, purpose="newsletter").verdict == "allow"


@pytest.mark.parametrize("purpose", ["service", "sales", "training", ""])
def test_implied_purposes_are_allowed_until_withdrawn(world, purpose):
    assert _check(world.acme_cfo, purpose=purpose).verdict == "allow"
    _consent(world, world.acme_cfo, purpose or "service", "withdrawn")
    assert _check(world.acme_cfo, purpose=purpose).verdict == "block"


def test_the_newest_record_covering_the_channel_decides(world):
    day = timezone.now() - timedelta(days=10)
    # Given an opt-in to events on every channel, then a withdrawal by e-mail only
    _consent(world, world.acme_cfo, "events", "granted", at=day)
    _consent(world, world.acme_cfo, "events", "withdrawn", channel="email", at=day + timedelta(1))
    # Then e-mail is blocked, calls are not
    assert _check(world.acme_cfo, "email", "events").reasons == [
        f"Withdrew consent to event invitations by e-mail on {_day(day + timedelta(1))} (web form)."
    ]
    assert _check(world.acme_cfo, "call", "events").verdict == "allow"
    # When they later grant events on every channel again, e-mail reopens
    _consent(world, world.acme_cfo, "events", "granted", at=day + timedelta(2))
    assert _check(world.acme_cfo, "email", "events").verdict == "allow"
    # and a blanket withdrawal silences every channel
    _consent(world, world.acme_cfo, "events", "withdrawn", at=day + timedelta(3))
    assert _check(world.acme_cfo, "call", "events").verdict == "block"


def _day(moment):
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def test_consent_is_judged_as_of_the_time_asked(world):
    granted_at = timezone.now() - timedelta(days=5)
    _consent(world, world.acme_cfo, "surveys", "granted", at=granted_at)
    assert _check(world.acme_cfo, purpose="surveys").verdict == "allow"
    assert _check(world.acme_cfo, purpose="surveys", at=granted_at - timedelta(1)).verdict == (
        "block"
    )


def test_a_contact_who_left_is_blocked(world):
    account_services.contact_update(actor=world.admin, contact=world.acme_cfo, status="left")
    world.acme_cfo.refresh_from_db()
    permission = _check(world.acme_cfo, purpose="service")
    assert permission.verdict == "block"
    assert permission.reasons == ["Has left the company: reach whoever took over from them."]


def test_a_reached_frequency_cap_blocks(world):
    # Given at most 2 e-mails in 7 days, and two sent in the last week (one 9 days ago)
    services.frequency_cap_set(
        actor=world.rep, contact=world.acme_cfo, channel="email", max_contacts=2, per_days=7
    )
    for days_ago in (1, 3, 9):
        make_interaction(
            world.rep,
            world.acme,
            contacts=[world.acme_cfo],
            channel="email",
            occurred_at=timezone.now() - timedelta(days=days_ago),
        )
    # and an inbound e-mail and a call, which do not count
    make_interaction(
        world.rep, world.acme, contacts=[world.acme_cfo], channel="email", direction="inbound"
    )
    make_interaction(world.rep, world.acme, contacts=[world.acme_cfo], channel="call")
    # Then another e-mail is blocked, a call is not
    assert _check(world.acme_cfo, "email", "service").reasons == [
        "Already contacted 2 times by e-mail in the last 7 days (their limit is 2)."
    ]
    assert _check(world.acme_cfo, "call", "service").verdict == "allow"
    # and a week from now there is room again
    later = timezone.now() + timedelta(days=6, hours=1)
    assert _check(world.acme_cfo, "email", "service", at=later).verdict == "allow"


def test_other_channel_days_and_hours_warn_in_their_time_zone(world):
    services.preference_set(
        actor=world.rep,
        contact=world.acme_cfo,
        preferred_channel="call",
        preferred_days=[1, 2, 3, 4, 5],
        preferred_from=time(9, 0),
        preferred_until=time(17, 0),
        time_zone="Europe/Berlin",
    )
    # Wednesday 09:30 in Berlin by call: fine
    assert _check(world.acme_cfo, "call", "service", at=WED_0930_BERLIN).verdict == "allow"
    # by e-mail: not their channel
    assert _check(world.acme_cfo, "email", "service", at=WED_0930_BERLIN).reasons == [
        "Prefers to be reached by call, not by e-mail."
    ]
    # 08:30 in Berlin (07:30 UTC): before their hours
    early = datetime(2026, 11, 4, 7, 30, tzinfo=UTC)
    permission = _check(world.acme_cfo, "call", "service", at=early)
    assert permission.verdict == "warn"
    assert permission.reasons == [
        "Prefers to be contacted between 09:00 and 17:00; it is Wednesday 08:30 for them "
        "(Europe/Berlin)."
    ]
    # Saturday: not one of their days
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=UTC)
    assert _check(world.acme_cfo, "call", "service", at=saturday).reasons == [
        "Prefers to be contacted on Mon, Tue, Wed, Thu, Fri; it is Saturday 11:00 for them "
        "(Europe/Berlin)."
    ]


def test_block_and_warnings_add_up(world):
    services.preference_set(actor=world.rep, contact=world.acme_cfo, preferred_channel="call")
    _consent(world, world.acme_cfo, "marketing", "withdrawn", at=datetime(2026, 11, 3, tzinfo=UTC))
    permission = _check(world.acme_cfo, "email", "marketing", at=WED_0930_BERLIN)
    assert permission.verdict == "block"
    assert permission.reasons == [
        "Withdrew consent to marketing on 3 Nov 2026 (web form).",
        "Prefers to be reached by call, not by e-mail.",
    ]


def test_many_contacts_are_checked_in_a_bounded_number_of_queries(
    world, django_assert_max_num_queries
):
    def people(n):
        found = []
        for _ in range(n):
            contact = make_contact(world.admin, world.acme)
            services.frequency_cap_set(
                actor=world.rep, contact=contact, channel="email", max_contacts=1, per_days=30
            )
            services.preference_set(actor=world.rep, contact=contact, preferred_channel="call")
            _consent(world, contact, "marketing", "granted")
            make_interaction(world.rep, world.acme, contacts=[contact], channel="email")
            found.append(contact)
        return found

    for size in (2, 12):
        contacts = people(size)
        with django_assert_max_num_queries(4):
            permissions = selectors.contact_permissions(
                contacts=contacts, channel="email", purpose="marketing"
            )
        assert {p.verdict for p in permissions.values()} == {"block"}
        assert len(permissions) == size
    assert Consent.objects.count() == 14
