"""The ingestion API: upload a file (202), follow the run, work the review queue."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rapport.interactions.models import Interaction
from rapport.transfer.models import IngestionItem, IngestionRun
from tests.api.conftest import BASE

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path / "var"


def _message(sender: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(WHEN)
    msg["Message-ID"] = f"<{subject}@api.test>"
    msg.set_content("Body")
    return msg


def _mbox(tmp_path, messages: list[EmailMessage]) -> bytes:
    path = tmp_path / "api.mbox"
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path))
    for msg in messages:
        box.add(msg)
    box.close()
    return path.read_bytes()


def _upload(api, name: str, content: bytes, **fields):
    """POST /ingestions as multipart/form-data."""
    return api.client.post(
        f"{BASE}/ingestions", {"file": SimpleUploadedFile(name, content), **fields}
    )


def _cfo_email(world) -> str:
    return world.acme_cfo.identities.get(is_primary=True).normalized


def test_upload_answers_202_with_the_run_and_its_progress(world, rep_api, tmp_path):
    # Given a mailbox with one known and one unknown sender
    content = _mbox(
        tmp_path,
        [
            _message(_cfo_email(world), world.rep.email, "Known"),
            _message("nia@newco.test", world.rep.email, "Unknown"),
        ],
    )

    # When it is uploaded
    response = _upload(rep_api, "inbox.mbox", content)

    # Then the run is accepted (and, with tasks run at once in tests, already done)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["format"] == "mbox"
    assert body["filename"] == "inbox.mbox"
    assert body["created_by"]["id"] == world.rep.pk
    detail = rep_api.get(f"/ingestions/{body['id']}").json()
    assert {k: detail[k] for k in ("status", "total", "processed", "created")} == {
        "status": "done",
        "total": 2,
        "processed": 2,
        "created": 1,
    }
    assert (detail["duplicates"], detail["queued_for_review"], detail["errors"]) == (0, 1, [])
    # And a second upload finds both messages again
    again = _upload(rep_api, "inbox.mbox", content).json()
    assert (again["status"], again["created"], again["duplicates"]) == ("done", 0, 2)
    assert Interaction.objects.filter(subject="Known").count() == 1


def test_a_dry_run_and_a_chosen_format(world, rep_api, tmp_path):
    content = _mbox(tmp_path, [_message(_cfo_email(world), world.rep.email, "Dry")])
    body = _upload(rep_api, "export.txt", content, format="mbox", dry_run="true").json()
    assert (body["format"], body["dry_run"], body["created"]) == ("mbox", True, 1)
    assert not Interaction.objects.filter(subject="Dry").exists()


def test_row_errors_are_reported_with_row_and_field(world, rep_api):
    csv = b"occurred_at,channel,subject,to\n2026-01-01T10:00:00Z,fax,Hello,a@b.test\n"
    body = _upload(rep_api, "log.csv", csv).json()
    assert body["status"] == "failed"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "channel")]


def test_an_unknown_format_is_400(world, rep_api):
    response = _upload(rep_api, "a.eml", b"From: a@b.test\n\nhi", format="pdf")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["format"]
    assert IngestionRun.objects.count() == 0


def test_a_missing_file_is_400(world, rep_api):
    response = rep_api.client.post(f"{BASE}/ingestions", {"dry_run": "true"})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_an_unreadable_format_is_400_on_format(world, rep_api):
    response = _upload(rep_api, "notes.txt", b"just words")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["format"]


@pytest.mark.parametrize(
    ("who", "status"), [("portal_acme", 403), ("partner_user", 403), ("analyst", 403)]
)
def test_only_staff_writers_may_upload(world, api_as, who, status):
    response = _upload(api_as(getattr(world, who)), "a.eml", b"From: a@b.test\n\nhi")
    assert response.status_code == status
    assert IngestionRun.objects.count() == 0


def test_anonymous_callers_get_401(world, api_as):
    anonymous = api_as(None)
    assert _upload(anonymous, "a.eml", b"From: a@b.test\n\nhi").status_code == 401
    assert anonymous.get("/ingestions").status_code == 401
    assert anonymous.get("/ingestion-review").status_code == 401


@pytest.mark.parametrize("who", ["portal_acme", "portal_globex", "partner_user"])
def test_outside_users_see_no_runs_or_review_items(world, api_as, rep_api, tmp_path, who):
    run = _upload(
        rep_api, "a.mbox", _mbox(tmp_path, [_message("n@x.test", "m@x.test", "S")])
    ).json()
    item = IngestionItem.objects.get()
    api = api_as(getattr(world, who))
    assert api.get("/ingestions").json() == {"items": [], "next_cursor": None}
    assert api.get("/ingestion-review").json() == {"items": [], "next_cursor": None}
    assert api.get(f"/ingestions/{run['id']}").status_code == 404
    assert api.post(f"/ingestion-review/{item.pk}/dismiss").status_code == 404
    assert (
        api.post(f"/ingestion-review/{item.pk}/attach", {"account_id": world.acme.pk}).status_code
        == 404
    )
    assert IngestionItem.objects.get().status == "open"


def test_the_review_queue_attach_and_dismiss(world, rep_api, api_as, tmp_path):
    # Given two unmatched messages
    _upload(
        rep_api,
        "a.mbox",
        _mbox(
            tmp_path,
            [
                _message("nia@newco.test", world.rep.email, "Intro"),
                _message("ads@spam.test", world.rep.email, "Offer"),
            ],
        ),
    )
    queue = rep_api.get("/ingestion-review").json()
    by_subject = {i["subject"]: i for i in queue["items"]}
    assert set(by_subject) == {"Intro", "Offer"}
    assert by_subject["Intro"]["addresses"][0] == {
        "email": "nia@newco.test",
        "name": "",
        "role": "from",
    }
    assert by_subject["Intro"]["summary"] == "Body"
    # An analyst may look but not resolve
    analyst = api_as(world.analyst)
    assert len(analyst.get("/ingestion-review").json()["items"]) == 2
    assert analyst.post(f"/ingestion-review/{by_subject['Offer']['id']}/dismiss").status_code == 403

    # When the rep attaches one to Acme's plant with the buyer and dismisses the other
    attached = rep_api.post(
        f"/ingestion-review/{by_subject['Intro']['id']}/attach",
        {"account_id": world.acme_plant.pk, "contact_ids": [world.acme_buyer.pk]},
    )
    dismissed = rep_api.post(f"/ingestion-review/{by_subject['Offer']['id']}/dismiss")

    # Then both are resolved, the first on the timeline
    assert attached.status_code == 200, attached.content
    assert attached.json()["status"] == "attached"
    interaction = Interaction.objects.get(pk=attached.json()["interaction_id"])
    assert (interaction.account_id, interaction.subject) == (world.acme_plant.pk, "Intro")
    assert dismissed.json()["status"] == "dismissed"
    assert rep_api.get("/ingestion-review").json()["items"] == []
    assert len(rep_api.get("/ingestion-review", {"status": "attached"}).json()["items"]) == 1
    # And resolving again clashes
    again = rep_api.post(f"/ingestion-review/{by_subject['Offer']['id']}/dismiss")
    assert again.status_code == 409


def test_attach_refuses_a_contact_of_another_organisation(world, rep_api, tmp_path):
    _upload(rep_api, "a.mbox", _mbox(tmp_path, [_message("n@x.test", "m@x.test", "S")]))
    item = IngestionItem.objects.get()
    response = rep_api.post(
        f"/ingestion-review/{item.pk}/attach",
        {"account_id": world.acme.pk, "contact_ids": [world.globex_cto.pk]},
    )
    assert response.status_code == 400
    assert "contact_ids" in response.json()["errors"]
    assert IngestionItem.objects.get().status == "open"


def test_lists_paginate_and_cost_the_same_queries_at_any_size(
    world, rep_api, tmp_path, django_assert_max_num_queries
):
    for n in range(7):
        _upload(
            rep_api,
            f"{n}.mbox",
            _mbox(tmp_path, [_message(f"n{n}@x.test", "m@x.test", f"S{n}")]),
        )
    for path in ("/ingestions", "/ingestion-review"):
        seen, cursor = [], None
        while True:
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            with django_assert_max_num_queries(6):
                page = rep_api.get(path, params).json()
            seen += [row["id"] for row in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 7, path


@hypothesis_settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(data=st.data())
def test_random_attach_bodies_never_answer_500(world, rep_api, tmp_path, data):
    if not IngestionItem.objects.exists():
        _upload(rep_api, "a.mbox", _mbox(tmp_path, [_message("n@x.test", "m@x.test", "S")]))
    item = IngestionItem.objects.get()
    anything = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    ids = st.sampled_from([world.acme.pk, world.globex_it.pk, world.acme_cfo.pk, 0, -1, 10**40])
    body = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "account_id": ids | anything,
                "contact_ids": st.lists(ids, max_size=3) | anything,
                "extra": anything,
            },
        )
    )
    response = rep_api.post(f"/ingestion-review/{item.pk}/attach", body)
    assert response.status_code in {200, 400, 409}, response.content
    assert response.status_code == 200 or set(response.json()) == {"code", "message", "errors"}
