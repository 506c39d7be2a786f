"""Never ask twice: askings are recorded, a known answer is shown instead, re-asks need a reason."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core.errors import InvalidInput, NotFound
from rapport.memory import selectors, services
from rapport.memory.models import Asking, Fact, FactSource
from rapport.memory.selectors import attribute_get

pytestmark = pytest.mark.django_db


def _ask(world, key, *, actor=None, **kwargs):
    return services.question_ask(
        actor=actor or world.rep, attribute=attribute_get(key=key), **kwargs
    )


def test_an_unknown_question_is_asked_and_its_answer_becomes_a_fact(world):
    asking = _ask(world, "pref-meeting-format", contact=world.acme_buyer, channel="call")
    assert not asking.is_reask

    services.question_answer(actor=world.rep, asking=asking, value="in person")

    asking.refresh_from_db()
    assert asking.answer.display == "in person"
    assert asking.answer.said_by == world.acme_buyer
    assert asking.answer.source == FactSource.USER


def test_asking_what_we_know_shows_the_answer_and_its_provenance_instead(world):
    # Given the buyer told us their preferred format
    services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="pref-meeting-format"),
        value="video",
        contact=world.acme_buyer,
        source=FactSource.USER,
        said_by=world.acme_buyer,
    )

    # When a colleague is about to ask it again
    with pytest.raises(services.AlreadyKnown) as refusal:
        _ask(world, "pref-meeting-format", actor=world.manager, contact=world.acme_buyer)

    # Then they are stopped and shown the answer with where it came from
    assert refusal.value.status == 409
    assert refusal.value.field == "reason"
    assert "video" in refusal.value.message
    assert "Ben Buyer" in refusal.value.message
    assert refusal.value.fact.display == "video"
    assert Asking.objects.count() == 0


def test_a_deliberate_reask_says_why_and_is_counted(world):
    known = services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="spec-seats"),
        value=100,
        account=world.acme_plant,
        source=FactSource.USER,
    ).fact
    Fact.objects.filter(pk=known.pk).update(recorded_at=timezone.now() - timedelta(days=400))

    asking = _ask(
        world,
        "spec-seats",
        actor=world.manager,
        account=world.acme_plant,
        reason="Confirm before the renewal: last said over a year ago",
    )
    services.question_answer(actor=world.manager, asking=asking, value=140)

    assert asking.is_reask
    assert asking.known_fact == known
    summary = selectors.reask_summary(user=world.admin)
    assert [(r.name, r.reasks, r.askings) for r in summary.by_account] == [
        ("Acme Industries", 1, 1)
    ]
    assert [(r.name, r.reasks) for r in summary.by_employee] == [("Max Manager", 1)]
    assert (summary.total_reasks, summary.total_askings) == (1, 1)


def test_a_unit_inherits_the_known_answer_of_its_organisation(world):
    services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="need-uptime"),
        value="high",
        account=world.acme,
        source=FactSource.USER,
    )
    with pytest.raises(services.AlreadyKnown):
        _ask(world, "need-uptime", account=world.acme_plant)


def test_next_questions_rank_unknowns_by_what_depends_on_them(world):
    services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="con-annual-budget"),
        value=1000,
        account=world.acme,
        source=FactSource.USER,
    )
    suggestions = selectors.next_questions(user=world.rep, account=world.acme, limit=4)

    keys = [s.attribute.key for s in suggestions]
    assert "con-annual-budget" not in keys
    # importance 5 and three uses each: the top of the list, by label where they tie
    assert keys[:3] == ["plan-replacement", "spec-seats", "need-uptime"]
    assert suggestions[0].reasons[0] == "Unknown"
    assert all(a.score >= b.score for a, b in itertools.pairwise(suggestions))


def test_a_stale_answer_is_suggested_for_confirmation_and_recent_askings_are_left_alone(world):
    fact = services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="plan-replacement"),
        value="2027-01-01",
        account=world.acme,
        source=FactSource.USER,
    ).fact
    Fact.objects.filter(pk=fact.pk).update(recorded_at=timezone.now() - timedelta(days=500))
    _ask(world, "need-uptime", account=world.acme)

    suggestions = {
        s.attribute.key: s
        for s in selectors.next_questions(user=world.rep, account=world.acme, limit=30)
    }

    assert suggestions["plan-replacement"].known.pk == fact.pk
    assert suggestions["plan-replacement"].reasons[0].startswith("Last confirmed 500 days ago")
    assert "need-uptime" not in suggestions


def test_the_customer_answers_what_they_choose_on_a_questionnaire(world):
    # Given a questionnaire link for the buyer with three questions, one already known
    services.fact_record(
        actor=world.rep,
        attribute=attribute_get(key="pref-meeting-format"),
        value="video",
        contact=world.acme_buyer,
        source=FactSource.USER,
    )
    chosen = [attribute_get(key=k) for k in ("pref-meeting-format", "pref-topics", "spec-seats")]
    link, key = services.questionnaire_create(
        actor=world.rep, attributes=chosen, contact=world.acme_buyer
    )
    assert services.questionnaire_for_key(key) == link

    # When they leave the known one as it was, answer topics and skip the seats
    recorded = services.questionnaire_answer(
        link=link,
        answers={
            "pref-meeting-format": "video",
            "pref-topics": ["events", "training"],
            "spec-seats": "",
        },
    )

    # Then only the new answer is recorded, as told by them via the questionnaire
    assert [f.attribute.key for f in recorded] == ["pref-topics"]
    assert recorded[0].source == FactSource.QUESTIONNAIRE
    assert recorded[0].said_by == world.acme_buyer
    assert recorded[0].recorded_by is None
    asking = Asking.objects.get()
    assert (asking.channel, asking.asked_by, asking.answer) == ("web", None, recorded[0])


def test_one_bad_questionnaire_answer_records_none(world):
    chosen = [attribute_get(key=k) for k in ("pref-topics", "spec-seats")]
    link, _ = services.questionnaire_create(
        actor=world.rep, attributes=chosen, contact=world.acme_buyer
    )

    with pytest.raises(InvalidInput) as error:
        services.questionnaire_answer(
            link=link, answers={"pref-topics": "events", "spec-seats": "many"}
        )

    assert "spec-seats" in error.value.errors
    assert Fact.objects.count() == 0
    assert Asking.objects.count() == 0


def test_a_revoked_or_expired_link_opens_nothing(world):
    chosen = [attribute_get(key="pref-topics")]
    link, key = services.questionnaire_create(
        actor=world.rep, attributes=chosen, contact=world.acme_buyer
    )
    services.questionnaire_revoke(actor=world.rep, link=link)
    with pytest.raises(NotFound):
        services.questionnaire_for_key(key)
    other, other_key = services.questionnaire_create(
        actor=world.rep, attributes=chosen, contact=world.acme_buyer
    )
    type(other).objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        services.questionnaire_for_key(other_key)
    with pytest.raises(NotFound):
        services.questionnaire_for_key("made-up")


def test_a_questionnaire_needs_questions_that_fit_its_subject(world):
    with pytest.raises(InvalidInput) as error:
        services.questionnaire_create(actor=world.rep, attributes=[], contact=world.acme_buyer)
    assert error.value.field == "attributes"
    with pytest.raises(InvalidInput) as error:
        services.questionnaire_create(
            actor=world.rep, attributes=[attribute_get(key="pref-topics")], account=world.acme
        )
    assert error.value.field == "contact"
