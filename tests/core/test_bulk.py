"""What bulk jobs share beside the inserts: a batch's keys looked up as one array, and the
garbage collector's full collections held off while a job runs."""

from __future__ import annotations

import gc

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import Account, Contact
from rapport.core import bulk
from rapport.core.bulk import AnyOf
from tests.factories import make_account, make_contact, make_user


@pytest.mark.django_db
def test_any_of_finds_what_in_finds_one_parameter_on_postgresql():
    # Given accounts whose names hold quotes and a backslash, with a contact each
    admin = make_user()
    names = ["O'Brien & Co", 'The "Best" Ltd', "Back\\slash GmbH", "Plain AG"]
    accounts = [make_account(admin, name) for name in names]
    contacts = [make_contact(admin, account, last_name="Roe") for account in accounts]
    wanted = [accounts[0].pk, accounts[2].pk, None, accounts[2].pk]

    # When they are looked up as one array (text, a lowered name, ids, a foreign key)
    with CaptureQueriesContext(connection) as queries:
        by_name = set(Account.objects.filter(AnyOf(F("name"), [*names[:3], "Nobody"])))
        lowered = Account.objects.annotate(lowered=Lower("name"))
        by_lowered = set(lowered.filter(AnyOf(F("lowered"), {n.lower() for n in names[1:]})))
        by_pk = set(Account.objects.filter(AnyOf(F("pk"), wanted)))
        by_account = set(Contact.objects.filter(AnyOf(F("account_id"), wanted)))

    # Then they are the rows `__in` finds, each lookup one parameter on PostgreSQL
    assert by_name == set(accounts[:3])
    assert by_lowered == set(accounts[1:])
    assert by_pk == {accounts[0], accounts[2]}
    assert by_account == {contacts[0], contacts[2]}
    if connection.vendor == "postgresql":
        assert all("= ANY(" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
def test_any_of_nothing_finds_nothing():
    make_account(make_user(), "Acme")

    assert list(Account.objects.filter(AnyOf(F("pk"), []))) == []
    assert list(Account.objects.filter(AnyOf(F("name"), [None]))) == []


def test_full_collections_are_held_off_while_a_job_runs_and_resume_after():
    before = gc.get_threshold()

    with bulk.full_collections_deferred():
        during = gc.get_threshold()
        with bulk.full_collections_deferred():  # a job inside a job
            pass
        nested_after = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk.full_collections_deferred():
        raise RuntimeError("the job failed")

    assert during[:2] == before[:2]
    assert during[2] > 1_000_000
    assert nested_after == during  # the outer job still holds them off
    assert gc.get_threshold() == before


@pytest.mark.django_db
def test_rows_inserted_keep_their_times_and_dates_and_get_history():
    # Given a contact, and a job that starts on a date, made at a time given in Berlin time
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from rapport.accounts.models import Employment

    admin = make_user()
    account = make_account(admin, "Acme")
    contact = make_contact(admin, account, last_name="Roe")
    made = datetime(2024, 4, 2, 9, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))

    # When it is inserted in bulk with its history
    [pk] = bulk.rows_insert(
        Employment,
        [{"contact_id": contact.pk, "account_id": account.pk, "customer_id": account.pk,
          "title": "Buyer", "started_on": date(2024, 4, 1)}],
        history_user=admin,
        at=made,
    )  # fmt: skip

    # Then the row and its history hold the same instant and day as given
    job = Employment.objects.get(pk=pk)
    assert (job.title, job.started_on, job.ended_on) == ("Buyer", date(2024, 4, 1), None)
    [history] = job.history.all()
    assert (history.history_date, history.history_type, history.history_user) == (made, "+", admin)
    assert history.started_on == date(2024, 4, 1)
