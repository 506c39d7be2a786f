"""Segment lineage through the runner, the segment pages and the selectors: a recomputed
segment keeps its identity, a new one is new."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.core.errors import PermissionDenied
from rapport.needs import selectors
from rapport.needs.models import NeedsSegment
from rapport.needs.runners import segments_recompute
from tests.factories import FactFactory, make_account, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
# Every organisation answers the same four needs, so moving one is re-answering all four.
PROFILES = {
    "critical": {
        "need-uptime": "mission-critical",
        "need-support-hours": "24/7",
        "need-integration": ["SAP"],
        "need-cost-reduction": "low",
    },
    "thrifty": {
        "need-uptime": "low",
        "need-support-hours": "office hours",
        "need-integration": ["Salesforce"],
        "need-cost-reduction": "high",
    },
    "middle": {
        "need-uptime": "medium",
        "need-support-hours": "extended hours",
        "need-integration": ["Oracle"],
        "need-cost-reduction": "medium",
    },
    "workday": {
        "need-uptime": "high",
        "need-support-hours": "extended hours",
        "need-integration": ["Workday"],
        "need-cost-reduction": "low",
    },
}


def _answer(actor, org, profile: str) -> None:
    for key, value in PROFILES[profile].items():
        FactFactory(actor=actor, account=org, key=key, value=value)


def _plant(actor, groups: dict[str, int], prefix: str = "") -> dict[str, list]:
    """`groups` organisations answering each profile (name → how many)."""
    planted: dict[str, list] = {}
    for profile, size in groups.items():
        for i in range(size):
            org = make_account(actor, f"{prefix}{profile.title()} {i}")
            _answer(actor, org, profile)
            planted.setdefault(profile, []).append(org)
    return planted


def _current() -> dict[frozenset[int], NeedsSegment]:
    """The current segments by their members' ids."""
    segments = NeedsSegment.objects.filter(is_current=True).prefetch_related("members")
    return {frozenset(m.customer_id for m in s.members.all()): s for s in segments}


def _ids(*groups: list) -> frozenset[int]:
    return frozenset(org.pk for group in groups for org in group)


def test_a_first_run_gives_each_segment_a_new_lineage():
    admin = make_user()
    planted = _plant(admin, {"critical": 4, "thrifty": 3, "middle": 2})

    run = segments_recompute(now=NOW)

    segments = list(NeedsSegment.objects.filter(run=run).order_by("number"))
    assert [(s.number, s.lineage, s.continues_id, s.continued_share) for s in segments] == [
        (1, 1, None, None),
        (2, 2, None, None),
        (3, 3, None, None),
    ]
    assert _current()[_ids(planted["critical"])].lineage == 1
    assert run.parameters["continued"] == 0


def test_recomputing_the_same_data_keeps_every_lineage():
    admin = make_user()
    _plant(admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)
    first = _current()

    run = segments_recompute(now=NOW)

    second = _current()
    assert set(second) == set(first)
    for members, segment in second.items():
        before = first[members]
        assert segment.run_id == run.pk
        assert (segment.lineage, segment.continues_id, segment.continued_share) == (
            before.lineage,
            before.pk,
            1.0,
        )
    assert run.parameters["continued"] == 3


def test_a_member_moving_keeps_both_lines_even_when_the_numbers_swap():
    admin = make_user()
    planted = _plant(admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)
    first = _current()
    critical, thrifty = first[_ids(planted["critical"])], first[_ids(planted["thrifty"])]
    assert (critical.number, thrifty.number) == (1, 2)

    # one of the critical organisations now answers like the thrifty ones
    mover = planted["critical"][0]
    _answer(admin, mover, "thrifty")
    segments_recompute(now=NOW)

    second = _current()
    grown = second[_ids(planted["thrifty"], [mover])]
    shrunk = second[_ids(planted["critical"][1:])]
    # the thrifty segment is now the largest (4 against 3): number 1, still the same line
    assert (grown.number, grown.lineage, grown.continues_id, grown.continued_share) == (
        1,
        thrifty.lineage,
        thrifty.pk,
        1.0,
    )
    # the critical segment kept three of its four members: 75% of them
    assert (shrunk.number, shrunk.lineage, shrunk.continues_id, shrunk.continued_share) == (
        2,
        critical.lineage,
        critical.pk,
        0.75,
    )
    middle = second[_ids(planted["middle"])]
    assert middle.lineage == first[_ids(planted["middle"])].lineage


def test_a_merged_segment_ends_and_a_new_one_gets_a_number_never_given():
    admin = make_user()
    planted = _plant(admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)
    first = _current()
    middle = first[_ids(planted["middle"])]

    # the middle organisations answer like the thrifty ones now; three newcomers use Workday
    for org in planted["middle"]:
        _answer(admin, org, "thrifty")
    newcomers = _plant(admin, {"workday": 3}, prefix="New ")
    segments_recompute(now=NOW)

    second = _current()
    merged = second[_ids(planted["thrifty"], planted["middle"])]
    thrifty = first[_ids(planted["thrifty"])]
    # 3 of its 5 came from the thrifty segment (all of it), 2 from the middle one
    assert (merged.lineage, merged.continues_id, merged.continued_share) == (
        thrifty.lineage,
        thrifty.pk,
        1.0,
    )
    assert middle.lineage not in {s.lineage for s in second.values()}
    new = second[_ids(newcomers["workday"])]
    # lineage 3 (the middle segment's) is history, not free: the new one is 4
    assert (new.lineage, new.continues_id, new.continued_share) == (4, None, None)


def test_the_run_costs_the_same_queries_whatever_the_number_of_organisations():
    admin = make_user()
    _plant(admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)

    with CaptureQueriesContext(connection) as small:
        segments_recompute(now=NOW)
    _plant(admin, {"critical": 12, "thrifty": 9, "middle": 6}, prefix="More ")
    with CaptureQueriesContext(connection) as large:
        segments_recompute(now=NOW)

    assert len(large) == len(small)
    assert len(NeedsSegment.objects.filter(is_current=True, continues__isnull=False)) == 3


# --- the pages and the selectors ---------------------------------------------------------


def _page(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_segment_page_says_which_segment_it_continues(world, django_assert_max_num_queries):
    planted = _plant(world.admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)
    critical = _current()[_ids(planted["critical"])]
    first_page = _page(world.analyst, f"/differentiate/segments/{critical.pk}/")
    assert '<span data-testid="continuation">New in this run.</span>' in first_page

    _answer(world.admin, planted["critical"][0], "thrifty")
    segments_recompute(now=NOW)
    shrunk = _current()[_ids(planted["critical"][1:])]
    client = Client()
    client.force_login(world.analyst)
    with django_assert_max_num_queries(6):
        response = client.get(f"/differentiate/segments/{shrunk.pk}/")

    html = response.content.decode()
    assert (
        f'<span data-testid="continuation">Continues <a href="/differentiate/segments/{critical.pk}/">'
        f"segment 1 ‘{critical.name}’</a> of the previous run (75% of its members).</span>"  # noqa: RUF001
    ) in html
    # the Differentiate page's segment cards say it too
    portfolio = _page(world.manager, "/differentiate/")
    assert "of the previous run (75% of its members)." in portfolio
    assert "of the previous run (100% of its members)." in portfolio


def test_a_segment_whose_previous_run_was_deleted_still_says_how_much_it_kept(world):
    planted = _plant(world.admin, {"critical": 4, "thrifty": 3})
    first = segments_recompute(now=NOW)
    segments_recompute(now=NOW)
    first.delete()  # e.g. by an admin; the continuation's target goes, its share stays
    critical = _current()[_ids(planted["critical"])]

    html = _page(world.analyst, f"/differentiate/segments/{critical.pk}/")

    assert "Continues a segment of a run since deleted (100% of its members)." in html


def test_current_segment_by_lineage_follows_a_lineage_across_recomputes(
    world, django_assert_num_queries
):
    planted = _plant(world.admin, {"critical": 4, "thrifty": 3, "middle": 2})
    segments_recompute(now=NOW)
    first = _current()
    critical, middle = first[_ids(planted["critical"])], first[_ids(planted["middle"])]
    # what offers would store: the lineages, not the segments of one run
    wanted = [critical.lineage, middle.lineage, 99]

    for org in planted["middle"]:
        _answer(world.admin, org, "thrifty")
    segments_recompute(now=NOW)
    with django_assert_num_queries(1):
        found = selectors.current_segment_by_lineage(user=world.analyst, lineages=wanted)
        assert found[critical.lineage].continues.number == critical.number  # joined

    # the critical line goes on in this run's segment; the merged middle line and an
    # unknown lineage have no current segment
    assert list(found) == [critical.lineage]
    today = found[critical.lineage]
    assert (today.is_current, today.continues_id, today.visible) == (True, critical.pk, 4)
    assert today.pk != critical.pk
    assert selectors.current_segment_by_lineage(user=world.analyst, lineages=[]) == {}
    # the portfolio is our side: neither a customer nor a partner reads it
    for outsider in (world.portal_acme, world.partner_user):
        with pytest.raises(PermissionDenied):
            selectors.current_segment_by_lineage(user=outsider, lineages=wanted)


def test_a_needs_profile_gives_the_segments_lineage_without_another_query(
    world, django_assert_num_queries
):
    _answer(world.admin, world.acme, "critical")
    _plant(world.admin, {"critical": 3, "thrifty": 3})
    segments_recompute(now=NOW)
    lineage = NeedsSegment.objects.get(is_current=True, members__customer=world.acme).lineage

    with django_assert_num_queries(3):
        profile = selectors.needs_profile(user=world.rep, account=world.acme_plant)
    membership = selectors.membership_of(user=world.rep, account=world.acme)

    with django_assert_num_queries(0):
        assert profile.segment is not None
        assert profile.segment.lineage == lineage
        assert membership is not None
        assert membership.segment.lineage == lineage
