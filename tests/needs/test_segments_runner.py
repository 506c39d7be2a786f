"""The needs segmentation runner: roll-up of units and people, stored segments, history, no data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.analytics.segments import NeedSpec
from rapport.memory.models import Attribute
from rapport.memory.selectors import attribute_get
from rapport.needs import rollup
from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.needs.runners import segments_recompute
from rapport.valuation.models import ModelRun
from tests.factories import FactFactory, make_account, make_contact, make_user

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

# --- the roll-up rule (no database) ------------------------------------------------------

UPTIME = NeedSpec("need-uptime", "Uptime", "choice", ("low", "medium", "high"), ordered=True)
REGION = NeedSpec("r", "Region", "choice", ("north", "south", "east"))
SYSTEMS = NeedSpec("s", "Systems", "multi_choice", ("SAP", "Oracle", "Workday"))
GREEN = NeedSpec("g", "Green", "boolean")


def test_units_answers_roll_up_to_the_organisation():
    # the most demanding of an ordered choice
    assert rollup.combine(UPTIME, ["low", "high", "medium"]) == "high"
    # the most common of an unordered choice; a tie goes to the one listed first
    assert rollup.combine(REGION, ["east", "south", "east"]) == "east"
    assert rollup.combine(REGION, ["south", "north"]) == "north"
    # the union of several-of-a-list, in the catalogue's order
    assert rollup.combine(SYSTEMS, [["Workday"], ["Oracle", "SAP"], []]) == [
        "SAP",
        "Oracle",
        "Workday",
    ]
    # yes when any unit needs it
    assert rollup.combine(GREEN, [False, True]) is True
    assert rollup.combine(GREEN, [False]) is False
    assert rollup.combine(GREEN, []) is None


def test_own_answer_wins_then_rolled_up_then_inherited():
    assert rollup.resolve(UPTIME, own="low", below=["high"], inherited="medium") == ("low", "own")
    assert rollup.resolve(UPTIME, below=["high"], inherited="low") == ("high", "rolled_up")
    assert rollup.resolve(UPTIME, inherited="medium") == ("medium", "inherited")
    assert rollup.resolve(UPTIME) == (None, "")


def test_ordered_choices_are_the_starter_ones_and_words_of_degree():
    assert rollup.is_ordered("need-uptime", "choice", ["low", "high"])
    assert rollup.is_ordered("x", "choice", ["Low", "Medium", "High"])
    assert not rollup.is_ordered("x", "choice", ["north", "south"])
    assert not rollup.is_ordered("need-uptime", "multi_choice", ["low"])


# --- the runner --------------------------------------------------------------------------


def _plant(actor):
    """Three groups of organisations (4, 3, 2) and one we know nothing about."""
    orgs = {}
    for i in range(4):  # mission-critical, 24/7, SAP: told by their units
        org = make_account(actor, f"Critical {i}")
        plant = make_account(actor, f"Critical {i} plant", parent=org)
        office = make_account(actor, f"Critical {i} office", parent=org)
        FactFactory(actor=actor, account=plant, key="need-uptime", value="mission-critical")
        FactFactory(
            actor=actor, account=office, key="need-uptime", value="low"
        )  # the plant's need is the organisation's
        FactFactory(actor=actor, account=plant, key="need-support-hours", value="24/7")
        FactFactory(actor=actor, account=office, key="need-integration", value=["SAP"])
        FactFactory(actor=actor, account=org, key="need-sustainability", value=False)
        orgs[org.pk] = "critical"
    for i in range(3):  # cost-driven, low uptime, Salesforce
        org = make_account(actor, f"Thrifty {i}")
        FactFactory(actor=actor, account=org, key="need-cost-reduction", value="high")
        FactFactory(actor=actor, account=org, key="need-uptime", value="low")
        FactFactory(actor=actor, account=org, key="need-integration", value=["Salesforce"])
        FactFactory(actor=actor, account=org, key="need-support-hours", value="office hours")
        FactFactory(actor=actor, account=org, key="need-sustainability", value=False)
        orgs[org.pk] = "thrifty"
    for i in range(2):  # sustainability reporting, ongoing training
        org = make_account(actor, f"Green {i}")
        FactFactory(actor=actor, account=org, key="need-sustainability", value=True)
        FactFactory(actor=actor, account=org, key="need-training", value="ongoing")
        FactFactory(actor=actor, account=org, key="need-uptime", value="medium")
        orgs[org.pk] = "green"
    make_account(actor, "Unknown Ltd")
    return orgs


@pytest.mark.django_db
def test_no_need_facts_is_a_run_that_says_so():
    admin = make_user()
    make_account(admin, "Quiet Ltd")

    run = segments_recompute(triggered_by=admin, now=NOW)

    assert (run.kind, run.status, run.model_name, run.model_version) == (
        "segments",
        "done",
        "needs-kmeans",
        "1",
    )
    assert run.parameters["organisations"] == 0
    assert run.parameters["without_needs"] == 1
    assert run.parameters["note"] == "No need facts recorded yet: nothing to segment."
    assert (run.started_at, run.finished_at, run.triggered_by) == (NOW, NOW, admin)
    assert NeedsSegment.objects.count() == 0
    assert SegmentMembership.objects.count() == 0


@pytest.mark.django_db
def test_segments_are_stored_with_members_and_the_organisations_without_needs_counted():
    admin = make_user()
    planted = _plant(admin)
    steps = []

    run = segments_recompute(now=NOW, progress=lambda done, total: steps.append((done, total)))

    assert steps == [(1, 4), (2, 4), (3, 4)]
    assert run.status == "done"
    assert run.processed == run.total == 4
    assert run.parameters["organisations"] == 9
    assert run.parameters["without_needs"] == 1
    assert run.parameters["k"] == 3
    segments = list(NeedsSegment.objects.filter(run=run).order_by("number"))
    assert [(s.number, s.size, s.is_current) for s in segments] == [
        (1, 4, True),
        (2, 3, True),
        (3, 2, True),
    ]
    groups = {}
    for member in SegmentMembership.objects.filter(run=run):
        groups.setdefault(member.segment.number, set()).add(planted[member.customer_id])
    assert groups == {1: {"critical"}, 2: {"thrifty"}, 3: {"green"}}
    # The units' answers rolled up: the plant's mission-critical uptime beats the office's low
    assert "Mission-critical uptime" in segments[0].name
    assert "24/7 support" in segments[0].name
    assert "Sustainability reporting" in segments[2].name
    assert segments[0].centroid["need-uptime"] == pytest.approx(1.0)
    member = SegmentMembership.objects.filter(run=run, segment=segments[0]).first()
    assert member.needs_known == 4
    assert member.distance == pytest.approx(0.0)


@pytest.mark.django_db
def test_a_new_run_becomes_current_and_the_old_one_stays_as_history():
    admin = make_user()
    _plant(admin)
    first = segments_recompute(now=NOW)

    second = segments_recompute(now=NOW)

    assert set(NeedsSegment.objects.filter(is_current=True).values_list("run", flat=True)) == {
        second.pk
    }
    assert NeedsSegment.objects.filter(run=first, is_current=False).count() == 3
    assert SegmentMembership.objects.filter(run=first, is_current=False).count() == 9
    assert SegmentMembership.objects.filter(is_current=True).count() == 9
    assert ModelRun.objects.filter(kind="segments").count() == 2


@pytest.mark.django_db
def test_a_persons_need_rolls_up_and_a_retired_need_is_ignored():
    admin = make_user()
    _plant(admin)
    personal = Attribute.objects.create(
        key="need-mobile",
        label="Mobile access",
        kind="need",
        value_type="boolean",
        level="contact",
        question="Do you need it on your phone?",
    )
    org = make_account(admin, "Mobile Ltd")
    person = make_contact(admin, org)
    FactFactory(actor=admin, account=org, key="need-mobile", value=True, contact=person)
    retired = attribute_get(key="need-training")
    retired.deleted_at = NOW
    retired.save()

    run = segments_recompute(now=NOW)

    assert run.parameters["organisations"] == 10
    assert "need-training" not in run.parameters["needs"]
    assert personal.key in run.parameters["needs"]
    mobile = SegmentMembership.objects.get(run=run, customer=org)
    assert mobile.needs_known == 1


@pytest.mark.django_db
def test_a_failing_model_is_stored_on_the_run(monkeypatch):
    admin = make_user()
    _plant(admin)

    def broken(*args, **kwargs):
        raise RuntimeError("no convergence")

    monkeypatch.setattr("rapport.needs.runners.segment", broken)
    with pytest.raises(RuntimeError):
        segments_recompute(now=NOW)

    run = ModelRun.objects.get(kind="segments")
    assert (run.status, run.error) == ("failed", "RuntimeError: no convergence")
