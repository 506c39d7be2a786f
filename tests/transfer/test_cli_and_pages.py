"""`rapport import KIND FILE` for accounts, contacts, orders and subscriptions; the import pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from rapport.accounts.models import Account, Contact
from rapport.transfer.models import ImportRun
from tests.transfer.conftest import table_counts

pytestmark = pytest.mark.django_db

BROKEN = "Firm;Town\nInitech;Austin\n;Nowhere\n"


def test_cli_dry_run_reports_and_writes_nothing(world, tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_text(BROKEN)
    before = table_counts()

    with pytest.raises(
        CommandError, match="1 bad rows: an all-or-nothing import would write nothing"
    ):
        call_command(
            "import",
            "accounts",
            str(path),
            "--mapping",
            "Firm=name",
            "--mapping",
            "Town=city",
            "--dry-run",
        )

    out, err = capsys.readouterr()
    assert "columns: Firm→name, Town→city" in out
    assert "dry run, nothing written: 2 rows, created 1" in out
    assert "row 3, Firm: Give the account's name." in err
    assert table_counts() == before


def test_cli_good_rows_with_an_error_report(world, tmp_path, capsys):
    path = tmp_path / "accounts.csv"
    path.write_text(BROKEN)
    report = tmp_path / "errors.csv"

    call_command(
        "import", "accounts", str(path), "--mapping", "Firm=name", "--mapping", "Town=city",
        "--mode", "good", "--errors", str(report), "--as", world.rep.email,
    )  # fmt: skip

    assert Account.objects.get(name="Initech").city == "Austin"
    assert report.read_text(encoding="utf-8-sig").splitlines() == [
        "row,Firm,Town,error",
        "3,,Nowhere,Firm: Give the account's name.",
    ]
    assert ImportRun.objects.get().created_by == world.rep


def test_cli_all_or_nothing_fails_with_a_non_zero_exit(world, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(BROKEN)
    before = table_counts()

    with pytest.raises(CommandError, match="The import failed"):
        call_command("import", "accounts", str(path), "--mapping", "Firm=name")

    assert dict(table_counts().items()) == before


def test_cli_contacts_and_unknown_column(world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("first,last,company,email\nHal,Hart,Globex IT,hal@globex.example\n")

    call_command("import", "contacts", str(path))
    with pytest.raises(CommandError, match=r"No column 'nope' in the file\."):
        call_command("import", "contacts", str(path), "--mapping", "nope=title")

    assert Contact.objects.get(first_name="Hal").account == world.globex_it


# --- pages -----------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_flow_upload_map_dry_run_import(world):
    client = _client(world.rep)
    assert client.get("/import/").status_code == 200

    uploaded = client.post(
        "/import/",
        {
            "kind": "accounts",
            "file": SimpleUploadedFile("a.csv", b"Firm,Town\nInitech,Austin\n,Nowhere\n"),
        },
    )
    run = ImportRun.objects.get()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == f"/import/{run.pk}/"
    page = client.get(f"/import/{run.pk}/")
    assert b"Which column holds what" in page.content

    refused = client.post(f"/import/{run.pk}/check/", {"column_0": "", "column_1": "city"})
    assert refused.status_code == 400
    assert b"Choose the column that holds Name (it is required)." in refused.content

    checked = client.post(
        f"/import/{run.pk}/check/",
        {"column_0": "name", "column_1": "city", "skip_duplicates": "on"},
    )
    assert checked.status_code == 302
    page = client.get(f"/import/{run.pk}/")
    assert b"Dry run: what the import would do" in page.content
    assert b"Give the account&#x27;s name." in page.content

    done = client.post(f"/import/{run.pk}/confirm/", {"mode": "good", "skip_duplicates": "on"})
    assert done.status_code == 302
    assert Account.objects.filter(name="Initech").exists()
    page = client.get(f"/import/{run.pk}/")
    assert b'data-run-status="done"' in page.content
    report = client.get(f"/import/{run.pk}/errors.csv")
    assert report["Content-Disposition"] == 'attachment; filename="a-errors.csv"'
    assert (
        report.content.decode("utf-8-sig").splitlines()[1]
        == "3,,Nowhere,Firm: Give the account's name."
    )


def test_the_nav_points_at_the_general_import_which_offers_interactions_too(world):
    page = _client(world.rep).get("/import/")

    assert b'href="/import/" aria-current="page"' in page.content
    assert b'href="/interactions/import/"' in page.content
    assert b'<option value="interactions">Interactions</option>' in page.content


@pytest.mark.parametrize("who", ["portal_acme", "partner_user"])
def test_import_pages_do_not_exist_for_customers_and_partners(world, who):
    client = _client(getattr(world, who))

    assert client.get("/import/").status_code == 404
    assert client.post("/import/", {"kind": "accounts"}).status_code == 404


def test_an_analyst_sees_imports_but_may_not_upload(world):
    client = _client(world.analyst)

    page = client.get("/import/")
    refused = client.post(
        "/import/", {"kind": "accounts", "file": SimpleUploadedFile("a.csv", b"name\nX\n")}
    )

    assert page.status_code == 200
    assert b"Upload a file" not in page.content
    assert refused.status_code == 403
    assert ImportRun.objects.count() == 0


def test_a_large_file_runs_in_the_background_with_progress(world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = _client(world.rep)
    rows = "".join(f"Bulk {i},Town\n" for i in range(501))
    client.post(
        "/import/",
        {"kind": "accounts", "file": SimpleUploadedFile("big.csv", f"name,city\n{rows}".encode())},
    )
    run = ImportRun.objects.get()

    client.post(f"/import/{run.pk}/check/", {"column_0": "name", "column_1": "city"})

    run.refresh_from_db()
    assert (run.status, run.total) == ("checking", 501)
    progress = client.get(f"/import/{run.pk}/progress/")
    assert b"0 of 501 rows" in progress.content
    assert b'hx-trigger="every 1s"' in progress.content
    from rapport.transfer.services import import_process

    import_process(run=run)
    run.refresh_from_db()
    assert (run.status, run.created, run.processed) == ("checked", 501, 501)
    finished = client.get(f"/import/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
