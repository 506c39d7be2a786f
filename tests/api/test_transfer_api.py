"""API of import and export: upload, map, dry run, confirm, error report, list exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.accounts.models import Account
from tests.api.conftest import BASE

pytestmark = pytest.mark.django_db

FILE = "Company,City,Employees\nInitech,Austin,12\nBad Co,Nowhere,lots\n"


def _upload(api, content: str = FILE, kind: str = "accounts", name: str = "accounts.csv"):
    return api.client.post(
        f"{BASE}/imports", {"file": SimpleUploadedFile(name, content.encode()), "kind": kind}
    )


def test_upload_map_dry_run_confirm_and_error_report(world, rep_api):
    uploaded = _upload(rep_api)
    assert uploaded.status_code == 201, uploaded.json()
    run = uploaded.json()
    assert (run["status"], run["headers"], run["mapping"], run["total"]) == (
        "mapping", ["Company", "City", "Employees"], ["name", "city", "employees"], 2,
    )  # fmt: skip
    assert {"name": "name", "label": "Name", "required": True, "many": False} in run["fields"]

    checked = rep_api.post(f"/imports/{run['id']}/check", {})
    assert checked.status_code == 200, checked.json()
    assert (checked.json()["status"], checked.json()["created"], checked.json()["failed"]) == (
        "checked", 1, 1,
    )  # fmt: skip
    assert checked.json()["errors"] == [
        {"row": 3, "column": "Employees", "field": "employees",
         "message": "'lots' is not a whole number."},
    ]  # fmt: skip
    assert not Account.objects.filter(name="Initech").exists()

    done = rep_api.post(f"/imports/{run['id']}/confirm", {"mode": "good"})
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["created"], done.json()["dry_run"]) == (
        "done", 1, False,
    )  # fmt: skip
    assert Account.objects.get(name="Initech").employees == 12

    report = rep_api.get(f"/imports/{run['id']}/errors")
    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows == [
        ["row", "Company", "City", "Employees", "error"],
        ["3", "Bad Co", "Nowhere", "lots", "Employees: 'lots' is not a whole number."],
    ]

    listed = rep_api.get("/imports")
    assert [item["id"] for item in listed.json()["items"]] == [run["id"]]
    assert rep_api.get(f"/imports/{run['id']}").json()["status"] == "done"


def test_all_or_nothing_fails_and_writes_nothing(world, rep_api, unchanged):
    run = _upload(rep_api).json()
    rep_api.post(f"/imports/{run['id']}/check", {})
    same = unchanged()

    failed = rep_api.post(f"/imports/{run['id']}/confirm", {"mode": "all"})

    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["created"]) == ("failed", 0)
    same()


def test_a_bad_mapping_is_400_naming_the_field(world, rep_api):
    run = _upload(rep_api).json()

    response = rep_api.post(f"/imports/{run['id']}/check", {"mapping": ["city", "", "employees"]})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": ["Choose the column that holds Name (it is required)."]
    }


def test_confirm_before_the_dry_run_is_409(world, rep_api):
    run = _upload(rep_api).json()

    response = rep_api.post(f"/imports/{run['id']}/confirm", {"mode": "good"})

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "status": ["Map the columns and look at the dry run first."]
    }


def test_an_unreadable_file_is_400(world, rep_api):
    response = _upload(rep_api, content="", name="empty.csv")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The file is empty."]}


@pytest.mark.parametrize("who", ["analyst", "partner_user", "portal_acme"])
def test_only_writing_staff_may_import(world, api_as, who, unchanged):
    api = api_as(getattr(world, who))
    same = unchanged()

    response = _upload(api)

    assert response.status_code == 403
    same()


@pytest.mark.parametrize("who", ["partner_user", "portal_acme"])
def test_other_callers_do_not_see_imports(world, api_as, rep_api, who):
    run = _upload(rep_api).json()
    api = api_as(getattr(world, who))

    assert api.get("/imports").json()["items"] == []
    assert api.get(f"/imports/{run['id']}").status_code == 404
    assert api.get(f"/imports/{run['id']}/errors").status_code == 404
    assert api.post(f"/imports/{run['id']}/confirm", {"mode": "good"}).status_code == 404


def test_export_by_api_is_scoped_and_filtered(world, api_as, rep_api):
    portal = api_as(world.portal_globex)

    staff = rep_api.get("/exports/accounts", {"format": "csv", "q": "globex"})
    theirs = portal.get("/exports/contacts", {"format": "csv"})

    assert staff.status_code == 200
    body = b"".join(staff.streaming_content).decode("utf-8-sig")
    assert [row[1] for row in list(csv.reader(io.StringIO(body)))[1:]] == ["Globex Corporation"]
    rows = list(csv.reader(io.StringIO(b"".join(theirs.streaming_content).decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Gold"]


def test_export_by_api_as_xlsx_and_bad_input(world, rep_api):
    xlsx = rep_api.get("/exports/partners", {"format": "xlsx"})
    bad_format = rep_api.get("/exports/partners", {"format": "pdf"})
    unknown = rep_api.get("/exports/nothing")

    assert xlsx.status_code == 200
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert bad_format.status_code == 400
    assert unknown.status_code == 404
