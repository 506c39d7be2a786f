"""API of threads, commitments, where we left off (X2) and the capture scorecard (X9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.interactions import services
from rapport.interactions.models import Commitment, Interaction, Thread

pytestmark = pytest.mark.django_db


def day(offset: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


def call_body(world, **overrides):
    body = {
        "account_id": world.acme_plant.pk,
        "channel": "call",
        "direction": "two_way",
        "subject": "Pricing call",
        "contact_ids": [world.acme_buyer.pk],
        "new_thread_title": "2027 renewal",
        "commitments": [
            {"owed_by": "us", "description": "Send the revised quote", "due_on": day(1)},
            {
                "owed_by": "customer",
                "description": "Confirm volumes",
                "owner_contact_id": world.acme_buyer.pk,
            },
        ],
    }
    body.update(overrides)
    return body


def test_a_call_logged_with_commitments_is_where_we_left_off(world, rep_api):
    # When the rep logs a call with two commitments on a new thread
    response = rep_api.post("/interactions", call_body(world))
    assert response.status_code == 201, response.json()
    interaction_id = response.json()["id"]

    # Then the account and the contact show it where we left off
    for path in (
        f"/accounts/{world.acme.pk}/where-we-left-off",
        f"/contacts/{world.acme_buyer.pk}/where-we-left-off",
    ):
        left_off = rep_api.get(path).json()
        assert [t["title"] for t in left_off["threads"]] == ["2027 renewal"]
        exchange = left_off["threads"][0]["last_exchange"]
        assert (exchange["id"], exchange["subject"], exchange["channel"]) == (
            interaction_id,
            "Pricing call",
            "call",
        )
        assert [c["full_name"] for c in exchange["contacts"]] == ["Ben Buyer"]
        assert [u["full_name"] for u in exchange["users"]] == ["Rita Rep"]
        assert [
            (c["description"], c["due_on"], c["owner_user"]["id"]) for c in left_off["ours"]
        ] == [("Send the revised quote", day(1), world.rep.pk)]
        assert [(c["description"], c["owner_contact"]["id"]) for c in left_off["theirs"]] == [
            ("Confirm volumes", world.acme_buyer.pk)
        ]
        assert (left_off["open_ours"], left_off["open_theirs"], left_off["overdue_count"]) == (
            1,
            1,
            0,
        )
        assert left_off["last_told"]["id"] == interaction_id


def test_continuing_a_thread_by_id(world, rep_api):
    thread = services.thread_open(actor=world.rep, account=world.acme, title="Rollout")
    response = rep_api.post(
        "/interactions", call_body(world, new_thread_title="", thread_id=thread.pk, commitments=[])
    )
    assert response.status_code == 201
    thread.refresh_from_db()
    assert thread.last_interaction_id == response.json()["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"thread_id": 999999, "new_thread_title": ""}, "thread_id"),
        (
            {"commitments": [{"owed_by": "us", "description": "Q", "due_on": day(-3)}]},
            "commitments.0.due_on",
        ),
        ({"commitments": [{"owed_by": "us", "description": ""}]}, "commitments.0.description"),
        ({"commitments": [{"owed_by": "them", "description": "Q"}]}, "commitments.0.owed_by"),
        (
            {"commitments": [{"owed_by": "us", "description": "Q", "owner_contact_id": 1}]},
            "commitments.0.owner_contact_id",
        ),
        (
            {"commitments": [{"owed_by": "customer", "description": "Q", "owner_user_id": 1}]},
            "commitments.0.owner_user_id",
        ),
        (
            {"commitments": [{"owed_by": "us", "description": "Q", "owner_user_id": 999999}]},
            "commitments.0.owner_user_id",
        ),
        (
            {"commitments": [{"owed_by": "us", "description": "Q", "extra": 1}]},
            "commitments.0.extra",
        ),
    ],
)
def test_bad_threads_and_commitments_name_their_field_and_change_nothing(
    world, rep_api, unchanged, change, field
):
    for key in ("owner_contact_id", "owner_user_id"):
        for row in change.get("commitments", []):
            if row.get(key) == 1:
                row[key] = world.acme_buyer.pk if key == "owner_contact_id" else world.rep.pk
    still = unchanged()
    response = rep_api.post("/interactions", call_body(world, **change))
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    still()
    assert (Thread.objects.count(), Commitment.objects.count()) == (0, 0)


def test_threads_list_create_close_reopen_and_detail(world, rep_api):
    created = rep_api.post("/threads", {"account_id": world.acme_emea.pk, "title": "Pilot"})
    assert created.status_code == 201
    thread_id = created.json()["id"]
    rep_api.post("/interactions", call_body(world, new_thread_title="", thread_id=thread_id))
    rep_api.post("/threads", {"account_id": world.globex.pk, "title": "Globex"})

    listed = rep_api.get(f"/accounts/{world.acme.pk}/threads", {"status": "open"}).json()
    assert [t["title"] for t in listed["items"]] == ["Pilot"]

    assert rep_api.post(f"/threads/{thread_id}/close").json()["status"] == "closed"
    assert rep_api.post(f"/threads/{thread_id}/close").status_code == 409
    assert (
        rep_api.get(f"/accounts/{world.acme.pk}/threads", {"status": "open"}).json()["items"] == []
    )
    assert rep_api.post(f"/threads/{thread_id}/reopen").json()["status"] == "open"

    detail = rep_api.get(f"/threads/{thread_id}").json()
    assert detail["thread"]["title"] == "Pilot"
    assert [i["subject"] for i in detail["interactions"]] == ["Pricing call"]
    assert [c["description"] for c in detail["commitments"]] == [
        "Send the revised quote",
        "Confirm volumes",
    ]
    assert rep_api.get(f"/accounts/{world.acme.pk}/threads", {"status": "shut"}).status_code == 400


def test_threads_list_pages_by_cursor(world, rep_api):
    for i in range(5):
        services.thread_open(actor=world.rep, account=world.acme, title=f"T{i}")
    first = rep_api.get(f"/accounts/{world.acme.pk}/threads", {"limit": 3}).json()
    second = rep_api.get(
        f"/accounts/{world.acme.pk}/threads", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [t["title"] for t in first["items"] + second["items"]] == ["T4", "T3", "T2", "T1", "T0"]
    assert second["next_cursor"] is None


def test_commitments_create_filter_patch_complete_cancel(world, rep_api):
    made = rep_api.post(
        "/commitments",
        {
            "account_id": world.acme.pk,
            "owed_by": "us",
            "description": "Board pack",
            "due_on": day(2),
        },
    )
    assert made.status_code == 201
    commitment_id = made.json()["id"]
    assert made.json()["owner_user"]["id"] == world.rep.pk
    rep_api.post(
        "/commitments",
        {
            "account_id": world.acme.pk,
            "owed_by": "customer",
            "description": "Signed order",
            "owner_contact_id": world.acme_cfo.pk,
        },
    )
    late = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Late"
    )
    Commitment.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))

    def listed(**params):
        return [c["description"] for c in rep_api.get("/commitments", params).json()["items"]]

    assert listed() == ["Late", "Board pack", "Signed order"]
    assert listed(owed_by="customer") == ["Signed order"]
    assert listed(overdue="true") == ["Late"]
    assert listed(overdue="false") == ["Board pack", "Signed order"]
    assert listed(owner_user_id=world.rep.pk, account_id=world.acme.pk) == ["Late", "Board pack"]
    page = rep_api.get("/commitments", {"limit": 2}).json()
    rest = rep_api.get("/commitments", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [c["description"] for c in page["items"] + rest["items"]] == [
        "Late",
        "Board pack",
        "Signed order",
    ]

    patched = rep_api.patch(
        f"/commitments/{commitment_id}", {"due_on": day(5), "owner_user_id": world.manager.pk}
    )
    assert (patched.json()["due_on"], patched.json()["owner_user"]["id"]) == (
        day(5),
        world.manager.pk,
    )
    bad = rep_api.patch(f"/commitments/{commitment_id}", {"owner_contact_id": world.acme_cfo.pk})
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["owner_contact_id"])
    bad = rep_api.patch(f"/commitments/{commitment_id}", {"due_on": day(-400)})
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["due_on"])

    done = rep_api.post(f"/commitments/{commitment_id}/complete").json()
    assert (done["status"], done["done_by"]["id"]) == ("done", world.rep.pk)
    assert rep_api.post(f"/commitments/{commitment_id}/cancel").status_code == 409
    assert rep_api.post(f"/commitments/{late.pk}/cancel").json()["status"] == "cancelled"
    assert listed(status="open") == ["Signed order"]


@pytest.mark.parametrize("who", ["portal_acme", "partner_user"])
def test_outside_users_cannot_see_another_organisations_left_off(world, api_as, who):
    services.thread_open(actor=world.rep, account=world.globex, title="Globex thread")
    commitment = services.commitment_create(
        actor=world.rep, account=world.globex, owed_by="us", description="Globex report"
    )
    # Acme's portal user and the partner serving Acme: both outside Globex
    api = api_as(getattr(world, who))
    assert api.get(f"/accounts/{world.globex.pk}/where-we-left-off").status_code == 404
    assert api.get(f"/contacts/{world.globex_cto.pk}/where-we-left-off").status_code == 404
    assert api.get(f"/commitments/{commitment.pk}").status_code == 404
    assert api.post(f"/commitments/{commitment.pk}/complete").status_code == 404
    assert api.get("/commitments").json()["items"] == []
    commitment.refresh_from_db()
    assert commitment.status == "open"


def test_the_partner_user_sees_acme_but_cannot_write(world, api_as, unchanged):
    commitment = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Acme report"
    )
    api = api_as(world.partner_user)
    assert [
        c["description"]
        for c in api.get(f"/accounts/{world.acme.pk}/where-we-left-off").json()["ours"]
    ] == ["Acme report"]
    still = unchanged()
    assert api.post(f"/commitments/{commitment.pk}/complete").status_code == 403
    assert api.post("/threads", {"account_id": world.acme.pk, "title": "X"}).status_code == 403
    still()


def test_the_analyst_reads_but_cannot_write(world, api_as, unchanged):
    commitment = services.commitment_create(
        actor=world.rep, account=world.acme, owed_by="us", description="Acme report"
    )
    thread = services.thread_open(actor=world.rep, account=world.acme, title="T")
    api = api_as(world.analyst)
    assert api.get(f"/threads/{thread.pk}").status_code == 200
    still = unchanged()
    for path in (
        f"/commitments/{commitment.pk}/complete",
        f"/commitments/{commitment.pk}/cancel",
        f"/threads/{thread.pk}/close",
    ):
        assert api.post(path).status_code == 403
    assert api.patch(f"/commitments/{commitment.pk}", {"description": "x"}).status_code == 403
    assert api.post("/interactions", call_body(world)).status_code == 403
    still()
    commitment.refresh_from_db()
    thread.refresh_from_db()
    assert (commitment.status, commitment.description, thread.status) == (
        "open",
        "Acme report",
        "open",
    )


def test_anonymous_gets_401(world, api_as):
    api = api_as(None)
    for path in (
        "/commitments",
        f"/accounts/{world.acme.pk}/where-we-left-off",
        "/scorecards/capture",
    ):
        assert api.get(path).status_code == 401


def test_the_capture_scorecard(world, rep_api, api_as):
    Interaction.objects.filter(logged_by=world.admin).update(outcome="positive")
    response = rep_api.get("/scorecards/capture", {"since": day(-6), "until": day(0)})
    assert response.status_code == 200
    body = response.json()
    assert (body["since"], body["until"]) == (day(-6), day(0))
    admin = next(r for r in body["rows"] if r["user"]["id"] == world.admin.pk)
    logged = Interaction.objects.filter(logged_by=world.admin).count()
    assert (admin["interactions"], admin["with_outcome"], admin["outcome_share"]) == (
        logged,
        logged,
        1.0,
    )
    assert (
        rep_api.get("/scorecards/capture", {"since": day(0), "until": day(-1)}).status_code == 400
    )
    assert api_as(world.portal_acme).get("/scorecards/capture").status_code == 404
    assert api_as(world.partner_user).get("/scorecards/capture").status_code == 404


def test_where_we_left_off_endpoint_is_bounded_at_two_sizes(
    world, admin_api, django_assert_max_num_queries
):
    path = f"/accounts/{world.acme.pk}/where-we-left-off"
    with django_assert_max_num_queries(10):
        assert admin_api.get(path).status_code == 200
    for i in range(12):
        admin_api.post("/interactions", call_body(world, new_thread_title=f"Topic {i}"))
    with django_assert_max_num_queries(10):
        body = admin_api.get(path).json()
    assert (len(body["threads"]), body["open_threads"], body["open_ours"]) == (8, 12, 12)
