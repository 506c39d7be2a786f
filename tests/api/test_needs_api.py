"""API of needs, needs segments and the Differentiate pictures: content and who sees what."""

from __future__ import annotations

import pytest

from rapport.needs.models import NeedsSegment, SegmentMembership
from rapport.needs.runners import segments_recompute
from tests.needs.portfolio import T0, make_portfolio

pytestmark = pytest.mark.django_db


def test_needs_catalogue_counts_the_organisations_each_is_known_for(world, api_as):
    make_portfolio(world, extra=4)

    body = api_as(world.rep).get("/needs").json()

    known = {n["attribute"]["key"]: n["organisations"] for n in body}
    assert known["need-uptime"] == 6
    assert known["need-support-hours"] == 3  # Acme and every other
    assert known["need-sustainability"] == 0
    assert next(n for n in body if n["attribute"]["key"] == "need-uptime")["ordered"] is True
    # the partner serving Acme counts Acme alone
    partner = api_as(world.partner_user).get("/needs").json()
    assert {n["attribute"]["key"]: n["organisations"] for n in partner}["need-uptime"] == 1


def test_an_accounts_needs_roll_up_with_their_sources_and_segment(world, api_as):
    make_portfolio(world, extra=4)
    api = api_as(world.rep)

    body = api.get(f"/accounts/{world.acme.pk}/needs").json()

    uptime = next(n for n in body["needs"] if n["attribute"]["key"] == "need-uptime")
    assert (uptime["known"], uptime["value"], uptime["display"], uptime["how"]) == (
        True,
        "mission-critical",
        "mission-critical",
        "own",
    )
    assert uptime["sources"][0]["account"]["id"] == world.acme.pk
    membership = SegmentMembership.objects.get(customer=world.acme, is_current=True)
    assert body["segment"]["id"] == membership.segment_id
    assert body["distance"] == pytest.approx(membership.distance)
    # a unit inherits
    unit = api.get(f"/accounts/{world.acme_plant.pk}/needs").json()
    inherited = next(n for n in unit["needs"] if n["attribute"]["key"] == "need-uptime")
    assert (inherited["how"], inherited["how_label"]) == (
        "inherited",
        "Inherited from Acme Industries",
    )


def test_a_contacts_needs(world, api_as):
    make_portfolio(world, extra=0)
    body = api_as(world.rep).get(f"/contacts/{world.acme_buyer.pk}/needs").json()
    keys = {n["attribute"]["key"]: n for n in body["needs"]}
    assert keys["need-uptime"]["known"] is True
    assert keys["need-uptime"]["inherited_from"]["id"] == world.acme.pk
    assert keys["need-sustainability"]["known"] is False


def test_segments_in_words_with_members_keyset_paginated(world, api_as):
    make_portfolio(world, extra=6)
    api = api_as(world.analyst)

    segments = api.get("/segments").json()

    assert [s["number"] for s in segments] == [1, 2]
    assert [s["size"] for s in segments] == [4, 4]
    assert all(s["visible_members"] == s["size"] for s in segments)
    assert segments[0]["run"]["kind"] == "segments"
    assert segments[0]["distinctive_needs"][0]["lift"] == pytest.approx(2.0)
    one = api.get(f"/segments/{segments[0]['id']}").json()
    assert one["name"] == segments[0]["name"]
    first = api.get(f"/segments/{one['id']}/members", {"limit": 3}).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = api.get(f"/segments/{one['id']}/members", {"limit": 3, "cursor": first["next_cursor"]}).json()  # fmt: skip
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    ids = [m["customer"]["id"] for m in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(
        SegmentMembership.objects.filter(segment_id=one["id"]).values_list("customer_id", flat=True)
    )
    assert api.get(f"/segments/{one['id']}/members", {"cursor": "garbage"}).status_code == 400


def test_segments_say_their_lineage_and_what_they_continue(world, api_as):
    make_portfolio(world, extra=6)
    api = api_as(world.analyst)
    first = {s["lineage"]: s for s in api.get("/segments").json()}

    segments_recompute(now=T0)  # the same needs again

    second = api.get("/segments").json()
    assert sorted(s["lineage"] for s in second) == sorted(first)
    for segment in second:
        before = first[segment["lineage"]]
        assert (segment["continues_id"], segment["continued_share"]) == (before["id"], 1.0)
        assert segment["id"] != before["id"]
        assert api.get(f"/segments/{segment['id']}").json()["continues_id"] == before["id"]
    # the first run's segments were new in it, and keep saying so
    older = api.get(f"/segments/{second[0]['continues_id']}").json()
    assert (older["is_current"], older["continues_id"], older["continued_share"]) == (
        False,
        None,
        None,
    )
    assert older["lineage"] == second[0]["lineage"]
    # an account's needs name its segment's lineage
    acme = api.get(f"/accounts/{world.acme.pk}/needs").json()["segment"]
    assert acme["lineage"] == NeedsSegment.objects.get(pk=acme["id"]).lineage


def test_portal_and_partner_users_never_see_other_accounts_needs_or_members(world, api_as):
    make_portfolio(world, extra=4)
    segment = NeedsSegment.objects.get(is_current=True, members__customer=world.globex)
    portal, partner = api_as(world.portal_acme), api_as(world.partner_user)

    # another organisation's needs: not found, as if missing
    assert portal.get(f"/accounts/{world.globex.pk}/needs").status_code == 404
    assert partner.get(f"/accounts/{world.globex.pk}/needs").status_code == 404
    assert portal.get(f"/contacts/{world.globex_cto.pk}/needs").status_code == 404
    # their own: fine
    assert portal.get(f"/accounts/{world.acme.pk}/needs").status_code == 200
    # the portfolio (segments with their value and tiers, the pictures) is our side:
    # neither customers nor partners see it
    paths = ("/segments", f"/segments/{segment.pk}", f"/segments/{segment.pk}/members", "/differentiate")  # fmt: skip
    for outsider in (portal, partner):
        for path in paths:
            assert outsider.get(path).status_code == 403, path
    # the partner still sees the needs of the account it serves
    assert partner.get(f"/accounts/{world.acme.pk}/needs").status_code == 200
    assert api_as(None).get("/segments").status_code == 401


def test_differentiate_pictures_as_json(world, api_as):
    make_portfolio(world, extra=6)

    response = api_as(world.manager).get("/differentiate", {"top": 3})

    assert response.status_code == 200
    body = response.json()
    concentration = body["concentration"]
    assert concentration["accounts"] == 8
    assert concentration["top_percent"][3] == {
        "percent": 20,
        "accounts": 2,
        "share": 0.551937,
    }  # 15000 / 27177
    assert body["migration"]["matrix_from"][-1] == "new"
    assert len(body["migration"]["runs"]) == 2
    assert sum(map(sum, body["migration"]["matrix"])) == 8
    assert [a["name"] for a in body["whitespace"]["accounts"]] == [
        "Acme Industries",
        "Globex Corporation",
        "Portfolio Org 0",
    ]
    assert {c["name"] for c in body["share_by_category"]} == {"Hardware", "Service"}
    assert len(body["value_by_needs"]["points"]) == 8
    assert body["value_by_needs"]["verdict"].startswith("Needs: 2 segments")
    assert len(body["segments"]) == 2
    assert api_as(world.manager).get("/differentiate", {"measure": "nonsense"}).status_code == 400
