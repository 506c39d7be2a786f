"""Ingestion (X10): interactions from mbox, .eml, .ics and CSV, matched by identity,
never twice, unmatched kept for review, and all or nothing."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from icalendar import Calendar, Event, vCalAddress

from rapport.accounts import services as account_services
from rapport.accounts.models import Account, BuyingRole, Contact, IdentityKind
from rapport.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from rapport.core.models import Run
from rapport.interactions import selectors as interaction_selectors
from rapport.interactions.models import Interaction, Participant, Side
from rapport.transfer import ingestion, selectors, services
from rapport.transfer.models import IngestionItem, IngestionRun, ReviewStatus
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path) -> None:
    """Uploaded files are kept under VAR_DIR; keep the tests' out of the real one."""
    settings.VAR_DIR = tmp_path / "var"


# --- building files ---------------------------------------------------------------------


def email_of(contact: Contact) -> str:
    return contact.identities.get(kind=IdentityKind.EMAIL, is_primary=True).normalized


def message(
    *,
    sender: str,
    to: str,
    subject: str = "Quarterly numbers",
    when: datetime = WHEN,
    message_id: str | None = None,
    cc: str = "",
    body: str = "Here are the figures.\n> quoted reply, left out",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or f"<{subject.replace(' ', '.')}.{when.timestamp()}@mail.test>"
    msg.set_content(body)
    return msg


def mbox_bytes(tmp_path: Path, messages: list[EmailMessage], name: str = "box.mbox") -> bytes:
    path = tmp_path / name
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path))
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()
    return path.read_bytes()


def calendar_bytes(events: list[dict]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//tests//")
    calendar.add("version", "2.0")
    for spec in events:
        event = Event()
        event.add("uid", spec["uid"])
        event.add("dtstart", spec.get("start", WHEN))
        event.add("summary", spec.get("summary", "Site visit"))
        if "recurrence_id" in spec:
            event.add("recurrence-id", spec["recurrence_id"])
        if "organizer" in spec:
            event.add("organizer", vCalAddress(f"mailto:{spec['organizer']}"))
        for attendee in spec.get("attendees", []):
            event.add("attendee", vCalAddress(f"mailto:{attendee}"))
        calendar.add_component(event)
    return calendar.to_ical()


def start(actor, filename: str, content: bytes, **kwargs) -> IngestionRun:
    """Start an import; background tasks run at once in tests."""
    run = services.ingestion_start(actor=actor, filename=filename, content=content, **kwargs)
    run.refresh_from_db()
    return run


def table_counts() -> dict[str, int]:
    """Rows in every table of ours, history included (the run records themselves aside)."""
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"core", "accounts", "interactions", "memory", "transfer"}:
            continue
        if model in (IngestionRun, Run):  # a run records its own outcome
            continue
        manager = getattr(model, "all_objects", model._default_manager)
        counts[model._meta.label] = manager.count()
    counts["roll-ups"] = tuple(
        Account.objects.order_by("pk").values_list("interaction_count", "last_interaction_at")
    )
    counts["engaged"] = tuple(
        Contact.all_objects.order_by("pk").values_list("last_engaged_at", flat=True)
    )
    return counts


# --- the journey: an mbox imported twice --------------------------------------------------


def test_importing_an_mbox_twice_finds_each_message_once(world, tmp_path):
    # Given a mailbox with two messages from Acme's CFO and one to Globex's CTO
    content = mbox_bytes(
        tmp_path,
        [
            message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="Budget"),
            message(
                sender=world.rep.email,
                to=email_of(world.acme_cfo),
                subject="Re: Budget",
                when=WHEN + timedelta(hours=1),
            ),
            message(sender=world.rep.email, to=email_of(world.globex_cto), subject="Renewal"),
        ],
    )

    # When it is imported twice
    first = start(world.rep, "inbox.mbox", content)
    second = start(world.rep, "inbox.mbox", content)

    # Then the first run creates three interactions and the second finds them all
    assert (first.status, first.format, first.total, first.processed) == ("done", "mbox", 3, 3)
    assert (first.created, first.duplicates, first.queued_for_review) == (3, 0, 0)
    assert (second.status, second.created, second.duplicates) == ("done", 0, 3)
    imported = Interaction.objects.exclude(external_id="")
    assert sorted(imported.values_list("subject", flat=True)) == ["Budget", "Re: Budget", "Renewal"]
    # And each message is on its organisation's timeline once
    acme_timeline = interaction_selectors.timeline(user=world.admin, account=world.acme)
    assert [i.subject for i in acme_timeline.items].count("Budget") == 1
    assert first.errors == []
    assert first.started_at
    assert first.finished_at


def test_an_overlapping_file_adds_only_what_is_new(world, tmp_path):
    # Given one message imported already
    old = message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="Old")
    start(world.rep, "a.mbox", mbox_bytes(tmp_path, [old], "a.mbox"))

    # When a larger mailbox holding it again (and one more) is imported
    new = message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="New")
    run = start(world.rep, "b.mbox", mbox_bytes(tmp_path, [old, new, new], "b.mbox"))

    # Then only the new message is added; the repeats count as duplicates
    assert (run.created, run.duplicates) == (1, 2)
    assert Interaction.objects.filter(subject__in=["Old", "New"]).count() == 2


# --- matching people --------------------------------------------------------------------


def test_people_are_matched_by_identity_whatever_the_case(world, tmp_path):
    # Given the CFO has a second address, stored with capitals
    account_services.identity_add(
        actor=world.admin, contact=world.acme_cfo, kind="email", value="Carla.Finch@Acme.Example"
    )

    # When a message names it in other capitals, among a sender of ours
    msg = message(sender=f"Rita <{world.rep.email.upper()}>", to="CARLA.FINCH@acme.example")
    run = start(world.admin, "one.mbox", mbox_bytes(tmp_path, [msg]))

    # Then it is logged on the CFO's unit with the CFO and the rep as participants
    interaction = Interaction.objects.get(external_id=msg["Message-ID"])
    assert run.created == 1
    assert (interaction.account, interaction.customer_id) == (world.acme, world.acme.pk)
    people = {(p.side, p.contact_id, p.user_id) for p in interaction.participants.all()}
    assert people == {(Side.CUSTOMER, world.acme_cfo.pk, None), (Side.US, None, world.rep.pk)}
    assert interaction.logged_by == world.admin
    assert interaction.summary == "Here are the figures."


def test_direction_follows_the_sender(world, tmp_path):
    # Given one message from a customer, one from us, and one from a stranger to us
    cfo = email_of(world.acme_cfo)
    messages = [
        message(sender=cfo, to=world.rep.email, subject="From them"),
        message(sender=world.rep.email, to=cfo, subject="From us"),
        message(sender="someone@elsewhere.test", to=world.rep.email, cc=cfo, subject="Stranger"),
    ]

    # When they are imported
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, messages))

    # Then the direction says who reached whom
    directions = dict(
        Interaction.objects.exclude(external_id="").values_list("subject", "direction")
    )
    assert directions == {"From them": "inbound", "From us": "outbound", "Stranger": "inbound"}


def test_a_message_naming_two_organisations_is_logged_on_each(world, tmp_path):
    # Given a message to Acme's CFO and Globex's CTO at once
    msg = message(
        sender=world.rep.email,
        to=f"{email_of(world.acme_cfo)}, {email_of(world.globex_cto)}",
        subject="Joint workshop",
    )

    # When it is imported (twice)
    content = mbox_bytes(tmp_path, [msg])
    run = start(world.rep, "joint.mbox", content)
    again = start(world.rep, "joint.mbox", content)

    # Then each organisation has it once, with only its own contact
    logged = Interaction.objects.filter(external_id=msg["Message-ID"]).order_by("customer_id")
    assert [(i.customer_id, i.account_id) for i in logged] == [
        (world.acme.pk, world.acme.pk),
        (world.globex.pk, world.globex_it.pk),
    ]
    assert list(
        logged[1].participants.filter(side=Side.CUSTOMER).values_list("contact", flat=True)
    ) == [world.globex_cto.pk]
    assert (run.created, again.created, again.duplicates) == (2, 0, 2)
    # And each participant row carries its own organisation's id
    assert set(
        Participant.objects.filter(interaction__in=logged).values_list(
            "interaction__customer_id", "customer_id"
        )
    ) == {(world.acme.pk, world.acme.pk), (world.globex.pk, world.globex.pk)}


def test_contacts_of_two_units_put_it_on_the_unit_above_both(world, tmp_path):
    # Given contacts in Acme EMEA and in Plant Hamburg (below EMEA)
    emea = make_contact(world.admin, world.acme_emea, first_name="Eve")
    msg = message(sender=world.rep.email, to=f"{email_of(emea)}, {email_of(world.acme_buyer)}")

    # When a message to both is imported
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))

    # Then it is logged on EMEA, the unit above both
    assert Interaction.objects.get(external_id=msg["Message-ID"]).account == world.acme_emea


def test_roll_up_counters_follow_an_import(world, tmp_path):
    # Given the plant's counters before
    plant = Account.objects.get(pk=world.acme_plant.pk)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    msg = message(sender=email_of(world.acme_buyer), to=world.rep.email, when=later)

    # When a message from the buyer (newer than anything) is imported
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))

    # Then the unit, the contact and the buying role count it and know it is the latest
    plant_after = Account.objects.get(pk=world.acme_plant.pk)
    assert plant_after.interaction_count == plant.interaction_count + 1
    assert plant_after.last_interaction_at == later
    assert Contact.objects.get(pk=world.acme_buyer.pk).last_engaged_at == later
    assert BuyingRole.objects.get(contact=world.acme_buyer).last_engaged_at == later
    # And an older import does not move "latest" back
    start(
        world.rep,
        "old.mbox",
        mbox_bytes(
            tmp_path,
            [
                message(
                    sender=email_of(world.acme_buyer),
                    to=world.rep.email,
                    subject="Older",
                    when=WHEN,
                )
            ],
            "old.mbox",
        ),
    )
    assert Account.objects.get(pk=world.acme_plant.pk).last_interaction_at == later
    # And the audit history records who brought it in
    interaction = Interaction.objects.get(external_id=msg["Message-ID"])
    assert interaction.history.get().history_user == world.rep


# --- the review queue ---------------------------------------------------------------------


def test_unmatched_messages_wait_for_review_once_even_when_reimported(world, tmp_path):
    # Given a message from someone nobody knows, and one among our own people only
    stranger = message(sender="Nia <nia@newco.test>", to=world.rep.email, subject="Intro")
    internal = message(sender=world.rep.email, to=world.manager.email, subject="Internal")
    content = mbox_bytes(tmp_path, [stranger, internal])

    # When the file is imported twice
    first = start(world.rep, "box.mbox", content)
    second = start(world.rep, "box.mbox", content)

    # Then both wait for review once, with the reason, and nothing is logged
    assert (first.created, first.queued_for_review) == (0, 2)
    assert (second.queued_for_review, second.duplicates) == (0, 2)
    items = {i.subject: i for i in IngestionItem.objects.all()}
    assert items["Intro"].reason == "No address matches a contact: nia@newco.test"
    assert items["Internal"].reason.startswith("Only our own people")
    assert items["Intro"].addresses[0] == {"email": "nia@newco.test", "name": "Nia", "role": "from"}
    assert items["Intro"].status == ReviewStatus.OPEN
    assert not Interaction.objects.filter(subject__in=["Intro", "Internal"]).exists()


def test_attaching_a_review_item_logs_it_once(world, tmp_path):
    # Given a message from an unknown address waiting for review
    msg = message(sender="nia@newco.test", to=world.rep.email, subject="Intro")
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))
    item = IngestionItem.objects.get()

    # When the rep attaches it to Acme's plant with the buyer
    services.ingestion_item_attach(
        actor=world.rep, item=item, account=world.acme_plant, contacts=[world.acme_buyer]
    )

    # Then it is on the timeline, inbound, with the rep on our side, and the item is resolved
    item.refresh_from_db()
    interaction = item.interaction
    assert (item.status, item.resolved_by) == (ReviewStatus.ATTACHED, world.rep)
    assert (interaction.account, interaction.direction, interaction.external_id) == (
        world.acme_plant,
        "inbound",
        msg["Message-ID"],
    )
    assert interaction.occurred_at == WHEN
    assert {p.user_id for p in interaction.participants.filter(side=Side.US)} == {world.rep.pk}
    # And attaching again, or re-importing the file, adds nothing
    with pytest.raises(Conflict):
        services.ingestion_item_attach(actor=world.rep, item=item, account=world.acme)
    again = start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))
    assert (again.created, again.queued_for_review, again.duplicates) == (0, 0, 1)


def test_dismissing_a_review_item_keeps_it_out_of_the_queue(world, tmp_path):
    # Given an unmatched message
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="x@y.test", to="z@y.test")]))
    item = IngestionItem.objects.get()

    # When it is dismissed
    services.ingestion_item_dismiss(actor=world.manager, item=item)

    # Then the queue is empty and the item remembers who dismissed it
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == (ReviewStatus.DISMISSED, world.manager)
    assert selectors.review_queue(user=world.admin).items == []
    assert selectors.review_queue(user=world.admin, status="dismissed").items == [item]
    with pytest.raises(Conflict):
        services.ingestion_item_dismiss(actor=world.manager, item=item)


def test_a_waiting_item_is_resolved_when_its_sender_becomes_known(world, tmp_path):
    # Given a message from an address nobody had, waiting for review
    msg = message(sender="nia@newco.test", to=world.rep.email, subject="Intro")
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))

    # When the address is given to a contact and the file is imported again
    make_contact(world.admin, world.acme, first_name="Nia", email="nia@newco.test")
    run = start(world.rep, "box.mbox", mbox_bytes(tmp_path, [msg]))

    # Then the message is logged and its review item resolved by it
    item = IngestionItem.objects.get()
    assert run.created == 1
    assert item.status == ReviewStatus.ATTACHED
    assert item.interaction.external_id == msg["Message-ID"]


# --- other formats --------------------------------------------------------------------


def test_an_eml_file_is_one_message(world):
    # Given one message saved as .eml
    msg = message(sender=email_of(world.globex_cto), to=world.rep.email, subject="Contract")

    # When it is imported
    run = start(world.rep, "contract.eml", msg.as_bytes())

    # Then it is logged, inbound, on Globex IT
    interaction = Interaction.objects.get(external_id=msg["Message-ID"])
    assert (run.format, run.created) == ("eml", 1)
    assert (interaction.account, interaction.channel, interaction.direction) == (
        world.globex_it,
        "email",
        "inbound",
    )


def test_calendar_events_become_meetings_once_per_occurrence(world):
    # Given a recurring meeting organised by the rep, with one moved occurrence
    content = calendar_bytes(
        [
            {
                "uid": "qbr-1@cal.test",
                "organizer": world.rep.email,
                "attendees": [email_of(world.acme_cfo)],
                "summary": "QBR",
            },
            {
                "uid": "qbr-1@cal.test",
                "recurrence_id": WHEN + timedelta(days=7),
                "start": WHEN + timedelta(days=8),
                "organizer": world.rep.email,
                "attendees": [email_of(world.acme_cfo)],
                "summary": "QBR (moved)",
            },
            {
                "uid": "visit@cal.test",
                "organizer": email_of(world.globex_cto),
                "attendees": [world.rep.email],
            },
        ]
    )

    # When the calendar is imported twice
    run = start(world.rep, "calendar.ics", content)
    again = start(world.rep, "calendar.ics", content)

    # Then each event is one meeting; the organiser decides the direction
    meetings = dict(
        Interaction.objects.exclude(external_id="").values_list("external_id", "direction")
    )
    assert meetings == {
        "qbr-1@cal.test": "outbound",
        f"qbr-1@cal.test#{(WHEN + timedelta(days=7)).isoformat()}": "outbound",
        "visit@cal.test": "inbound",
    }
    assert set(Interaction.objects.exclude(external_id="").values_list("channel", flat=True)) == {
        "meeting"
    }
    assert (run.format, run.total, run.created, again.duplicates) == ("ics", 3, 3, 3)


CSV_HEADER = "occurred_at,channel,direction,subject,summary,from,to,external_id\n"


def test_a_csv_file_is_imported_with_its_own_ids_or_a_stable_hash(world):
    # Given a CSV with an id column filled on one row and empty on the other
    cfo = email_of(world.acme_cfo)
    content = (
        CSV_HEADER
        + f"2026-03-01T10:00:00+01:00,call,outbound,Pricing call,Went well,{world.rep.email},{cfo},crm-42\n"
        + f"2026-03-02 11:00,Meeting,,Visit,,{cfo},{world.rep.email};{world.manager.email},\n"
    ).encode()

    # When it is imported twice
    run = start(world.rep, "log.csv", content)
    again = start(world.rep, "log.csv", content)

    # Then both rows are logged once, with the file's id or a hash of the row
    assert (run.created, again.duplicates) == (2, 2)
    pricing = Interaction.objects.get(external_id="crm-42")
    visit = Interaction.objects.get(subject="Visit")
    assert (pricing.channel, pricing.direction, pricing.summary) == (
        "call",
        "outbound",
        "Went well",
    )
    assert pricing.occurred_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert visit.external_id.startswith("sha256:")
    assert (visit.channel, visit.direction) == ("meeting", "inbound")
    assert {p.user_id for p in visit.participants.filter(side=Side.US)} == {
        world.rep.pk,
        world.manager.pk,
    }


# --- all or nothing ---------------------------------------------------------------------


def test_a_csv_with_bad_rows_names_each_row_and_column_and_writes_nothing(world):
    # Given a CSV whose second and third rows are bad
    cfo = email_of(world.acme_cfo)
    content = (
        CSV_HEADER
        + f"2026-03-01T10:00:00+00:00,call,,Fine,,{world.rep.email},{cfo},\n"
        + f"yesterday,call,,Bad date,,{world.rep.email},{cfo},\n"
        + f"2026-03-01T10:00:00+00:00,pigeon,sideways,Bad channel,,{world.rep.email},{cfo},\n"
    ).encode()
    before = table_counts()

    # When it is imported
    run = start(world.rep, "log.csv", content)

    # Then the run failed with every fault named by row and column, and nothing was written
    assert run.status == "failed"
    assert [(e["row"], e["field"]) for e in run.errors] == [
        (3, "occurred_at"),
        (4, "channel"),
        (4, "direction"),
    ]
    assert "'yesterday' is not a date" in run.errors[0]["message"]
    assert "Unknown channel 'pigeon'" in run.errors[1]["message"]
    assert table_counts() == before


def test_a_malformed_message_fails_the_whole_mailbox(world, tmp_path):
    # Given a mailbox whose second message has no date
    good = message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="Good")
    bad = message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="Bad")
    del bad["Date"]
    before = table_counts()

    # When it is imported
    run = start(world.rep, "box.mbox", mbox_bytes(tmp_path, [good, bad]))

    # Then it failed naming message 2 and its Date, and even the good message is not stored
    assert run.status == "failed"
    assert run.errors == [{"row": 2, "field": "Date", "message": "The message has no Date header."}]
    assert (run.total, run.created) == (2, 0)
    assert table_counts() == before


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("box.mbox", b"Hello, this is not a mailbox\n", "This is not an mbox file"),
        ("cal.ics", b"BEGIN:VCALENDAR\r\nnonsense\r\n", "This is not a readable calendar"),
        ("cal.ics", b"just text", "This is not a calendar"),
        ("log.csv", b"when,what\n1,2\n", "The CSV header lacks the columns occurred_at"),
        ("log.csv", b"\xff\xfe\x00bad", "The CSV file is not UTF-8"),
        ("mail.eml", b"no headers here", "This is not an e-mail message"),
    ],
)
def test_a_malformed_file_fails_with_one_clear_error(world, filename, content, message):
    # Given the database as it is
    before = table_counts()

    # When a file that is not what it claims is imported
    run = start(world.rep, filename, content)

    # Then the run failed with one error about the file, and nothing changed
    assert run.status == "failed"
    assert len(run.errors) == 1
    assert (run.errors[0]["row"], run.errors[0]["field"]) == (None, "file")
    assert run.errors[0]["message"].startswith(message)
    assert table_counts() == before


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(world, tmp_path):
    # Given a mailbox with a known and an unknown sender
    content = mbox_bytes(
        tmp_path,
        [
            message(sender=email_of(world.acme_cfo), to=world.rep.email, subject="Known"),
            message(sender="nia@newco.test", to=world.rep.email, subject="Unknown"),
        ],
    )
    before = table_counts()

    # When it is imported as a dry run
    run = start(world.rep, "box.mbox", content, dry_run=True)

    # Then the counts say what would happen, and nothing was written
    assert (run.status, run.dry_run, run.created, run.queued_for_review) == ("done", True, 1, 1)
    assert table_counts() == before


def test_a_file_of_unknown_format_or_empty_is_refused_before_anything_is_stored(world):
    with pytest.raises(InvalidInput) as unknown:
        services.ingestion_start(actor=world.rep, filename="notes.txt", content=b"hello")
    with pytest.raises(InvalidInput) as empty:
        services.ingestion_start(actor=world.rep, filename="a.mbox", content=b"")
    with pytest.raises(InvalidInput) as bad_format:
        services.ingestion_start(
            actor=world.rep, filename="a.mbox", content=b"From x", format="pdf"
        )
    assert (unknown.value.field, empty.value.field, bad_format.value.field) == (
        "format",
        "file",
        "format",
    )
    assert IngestionRun.objects.count() == 0


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["portal_acme", "partner_user", "analyst"])
def test_only_staff_writers_may_import(world, who):
    with pytest.raises(PermissionDenied):
        services.ingestion_start(
            actor=getattr(world, who), filename="a.eml", content=b"From: a@b.test\n\nhi"
        )
    assert IngestionRun.objects.count() == 0


@pytest.mark.parametrize("who", ["portal_acme", "portal_globex", "partner_user"])
def test_outside_users_see_no_runs_and_no_review_items(world, tmp_path, who):
    # Given a run with an unmatched item
    run = start(
        world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="x@y.test", to="z@y.test")])
    )
    item = IngestionItem.objects.get()
    user = getattr(world, who)

    # Then an outside user sees none of it
    assert selectors.ingestion_run_list(user=user).items == []
    assert selectors.review_queue(user=user).items == []
    with pytest.raises(NotFound):
        selectors.ingestion_run_get(user=user, pk=run.pk)
    with pytest.raises(NotFound):
        selectors.review_item_get(user=user, pk=item.pk)


def test_analysts_see_runs_and_the_queue_but_may_not_resolve(world, tmp_path):
    run = start(
        world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="x@y.test", to="z@y.test")])
    )
    item = IngestionItem.objects.get()
    assert selectors.ingestion_run_list(user=world.analyst).items == [run]
    assert selectors.review_queue(user=world.analyst).items == [item]
    with pytest.raises(PermissionDenied):
        services.ingestion_item_dismiss(actor=world.analyst, item=item)
    with pytest.raises(PermissionDenied):
        services.ingestion_item_attach(actor=world.analyst, item=item, account=world.acme)


# --- parsing on its own ---------------------------------------------------------------


def test_format_is_told_by_extension_or_content():
    assert ingestion.detect_format("x.MBOX", b"") == "mbox"
    assert ingestion.detect_format("upload", b"From a@b Mon Jan 1 00:00:00 2024\n") == "mbox"
    assert ingestion.detect_format("upload", b"BEGIN:VCALENDAR\r\n") == "ics"
    assert ingestion.detect_format("upload", b"Message-ID: <a@b>\nFrom: a@b\n") == "eml"
    assert ingestion.detect_format("upload", b"a,b,c\n") is None


def test_a_message_without_message_id_gets_a_stable_id(world):
    msg = message(sender="a@b.test", to="c@d.test")
    del msg["Message-ID"]
    errors: list = []
    first = ingestion.message_candidate(msg, 1, errors)
    second = ingestion.message_candidate(msg, 7, errors)
    assert errors == []
    assert first is not None
    assert second is not None
    assert first.external_id == second.external_id
    assert first.external_id.startswith("sha256:")


# --- the CLI ----------------------------------------------------------------------------


def test_the_cli_imports_a_file_and_reports_counts(world, tmp_path, capsys):
    # Given an mbox on disk
    content = mbox_bytes(
        tmp_path, [message(sender=email_of(world.acme_cfo), to=world.rep.email)], "cli.mbox"
    )

    # When `rapport import interactions FILE --as rep` runs
    call_command("import", "interactions", str(tmp_path / "cli.mbox"), "--as", world.rep.email)

    # Then it printed its progress and counts, and the message is logged
    out = capsys.readouterr().out
    assert "created 1, duplicates 0, for review 0" in out
    assert Interaction.objects.exclude(external_id="").count() == 1
    assert IngestionRun.objects.get().created_by == world.rep
    assert content


def test_the_cli_fails_with_the_row_errors(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(CSV_HEADER + "soon,call,,S,,a@b.test,c@d.test,\n")
    with pytest.raises(CommandError, match="failed"):
        call_command("import", "interactions", str(path), "--as", world.rep.email)
    assert "row 2, occurred_at: 'soon' is not a date" in capsys.readouterr().err


def test_the_cli_refuses_an_unknown_user_or_kind(world, tmp_path):
    path = tmp_path / "a.eml"
    path.write_bytes(message(sender="a@b.test", to="c@d.test").as_bytes())
    with pytest.raises(CommandError, match="No active user"):
        call_command("import", "interactions", str(path), "--as", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("import", "spaceships", str(path))


# --- the pages --------------------------------------------------------------------------


def _signed_in(client, user):
    client.force_login(user)
    return client


def _upload(client, name: str, content: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/interactions/import/", {"file": SimpleUploadedFile(name, content), **fields}
    )


def test_uploading_on_the_import_page_shows_the_finished_run(world, client, tmp_path):
    # Given a rep on the import page
    _signed_in(client, world.rep)
    assert client.get("/interactions/import/").status_code == 200
    content = mbox_bytes(tmp_path, [message(sender=email_of(world.acme_cfo), to=world.rep.email)])

    # When they upload a mailbox
    response = _upload(client, "inbox.mbox", content)

    # Then they land on the run, done, with its counts
    run = IngestionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/interactions/import/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-run-status="done"' in page
    assert 'data-count="created">1<' in page
    assert "hx-trigger" not in page  # nothing left to poll
    # And the import page lists the run
    assert "inbox.mbox" in client.get("/interactions/import/").content.decode()


def test_a_running_import_is_polled_until_it_is_done(world, client):
    # Given a run still waiting for the worker
    run = IngestionRun.objects.create(
        format="mbox", filename="big.mbox", sha256="0" * 64, created_by=world.rep, total=10
    )
    _signed_in(client, world.rep)

    # Then its progress fragment asks to be fetched again every second
    fragment = client.get(f"/interactions/import/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert f'hx-get="/interactions/import/{run.pk}/progress/"' in fragment


def test_the_upload_form_shows_a_refusal_next_to_its_field(world, client):
    _signed_in(client, world.rep)
    response = _upload(client, "notes.txt", b"just words")
    assert response.status_code == 400
    assert "Cannot tell the file&#x27;s format" in response.content.decode()
    assert IngestionRun.objects.count() == 0


def test_a_failed_run_page_lists_its_row_errors(world, client):
    _signed_in(client, world.rep)
    _upload(client, "log.csv", (CSV_HEADER + "soon,call,,S,,a@b.test,c@d.test,\n").encode())
    run = IngestionRun.objects.get()
    page = client.get(f"/interactions/import/{run.pk}/").content.decode()
    assert run.status == "failed"
    assert "&#x27;soon&#x27; is not a date" in page
    assert "<code>occurred_at</code>" in page


def test_attaching_and_dismissing_from_the_review_page(world, client, tmp_path):
    # Given two unmatched messages
    start(
        world.rep,
        "box.mbox",
        mbox_bytes(
            tmp_path,
            [
                message(sender="nia@newco.test", to=world.rep.email, subject="Intro"),
                message(sender="spam@ads.test", to=world.rep.email, subject="Offer"),
            ],
        ),
    )
    intro = IngestionItem.objects.get(subject="Intro")
    offer = IngestionItem.objects.get(subject="Offer")
    _signed_in(client, world.rep)
    queue = client.get("/interactions/import/review/").content.decode()
    assert "Intro" in queue
    assert "Offer" in queue

    # When the rep finds Acme, picks the plant and the buyer, and dismisses the offer
    picker = client.get(f"/interactions/import/review/{intro.pk}/attach/?q=Acme").content.decode()
    assert f"?account={world.acme.pk}" in picker
    form = client.get(f"/interactions/import/review/{intro.pk}/attach/?account={world.acme.pk}")
    assert "Plant Hamburg" in form.content.decode()
    attached = client.post(
        f"/interactions/import/review/{intro.pk}/attach/?account={world.acme.pk}",
        {"account": world.acme_plant.pk, "contacts": [world.acme_buyer.pk]},
    )
    dismissed = client.post(f"/interactions/import/review/{offer.pk}/dismiss/")

    # Then the intro is logged on the plant and the queue is empty
    assert (attached.status_code, dismissed.status_code) == (302, 302)
    intro.refresh_from_db()
    assert intro.interaction.account == world.acme_plant
    assert "Nothing here" in client.get("/interactions/import/review/").content.decode()


def test_attaching_to_a_unit_of_another_organisation_is_refused(world, client, tmp_path):
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="n@x.test", to="m@x.test")]))
    item = IngestionItem.objects.get()
    _signed_in(client, world.rep)
    response = client.post(
        f"/interactions/import/review/{item.pk}/attach/?account={world.acme.pk}",
        {"account": world.globex_it.pk},
    )
    assert response.status_code == 400
    assert IngestionItem.objects.get().status == "open"


@pytest.mark.parametrize("who", ["portal_acme", "portal_globex", "partner_user"])
def test_outside_users_find_no_import_pages(world, client, tmp_path, who):
    run = start(
        world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="n@x.test", to="m@x.test")])
    )
    item = IngestionItem.objects.get()
    _signed_in(client, getattr(world, who))
    for url in [
        "/interactions/import/",
        f"/interactions/import/{run.pk}/",
        f"/interactions/import/{run.pk}/progress/",
        "/interactions/import/review/",
        f"/interactions/import/review/{item.pk}/attach/",
    ]:
        assert client.get(url).status_code == 404, url
    assert _upload(client, "a.eml", b"From: a@b.test\n\nhi").status_code == 404
    assert client.post(f"/interactions/import/review/{item.pk}/dismiss/").status_code == 404
    assert IngestionRun.objects.count() == 1
    assert IngestionItem.objects.get().status == "open"


def test_an_analyst_sees_imports_but_cannot_upload_or_resolve(world, client, tmp_path):
    start(world.rep, "box.mbox", mbox_bytes(tmp_path, [message(sender="n@x.test", to="m@x.test")]))
    item = IngestionItem.objects.get()
    _signed_in(client, world.analyst)
    page = client.get("/interactions/import/").content.decode()
    assert "box.mbox" in page
    assert 'enctype="multipart/form-data"' not in page
    assert _upload(client, "a.eml", b"From: a@b.test\n\nhi").status_code == 403
    assert client.post(f"/interactions/import/review/{item.pk}/dismiss/").status_code == 403
    assert IngestionRun.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    response = client.get("/interactions/import/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_sidebar_links_the_import_page_for_staff_only(world, client):
    _signed_in(client, world.rep)
    assert 'href="/import/"' in client.get("/interactions/").content.decode()
    client.force_login(world.portal_acme)
    assert 'href="/import/"' not in client.get("/").content.decode()


def _runs_and_items(world, tmp_path, n: int) -> None:
    for i in range(n):
        start(
            world.rep,
            f"box{i}.mbox",
            mbox_bytes(
                tmp_path,
                [message(sender=f"n{i}@x.test", to=world.rep.email, subject=f"S{i}")],
                f"box{i}.mbox",
            ),
        )


@pytest.mark.parametrize("n", [2, 12])
def test_the_import_and_review_pages_issue_bounded_queries(
    world, client, tmp_path, n, django_assert_max_num_queries
):
    _runs_and_items(world, tmp_path, n)
    _signed_in(client, world.rep)
    with django_assert_max_num_queries(12):
        assert client.get("/interactions/import/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/interactions/import/review/").status_code == 200
    run = IngestionRun.objects.first()
    with django_assert_max_num_queries(8):
        assert client.get(f"/interactions/import/{run.pk}/").status_code == 200


def test_progress_is_reported_while_reading_before_anything_is_written(
    world, tmp_path, monkeypatch
):
    # Given a mailbox of three messages and progress reported after every message
    monkeypatch.setattr(ingestion, "PROGRESS_EVERY", 1)
    content = mbox_bytes(
        tmp_path,
        [
            message(sender=email_of(world.acme_cfo), to=world.rep.email, subject=f"M{n}")
            for n in range(3)
        ],
    )
    seen = []

    def progress(done: int, total: int) -> None:
        run = IngestionRun.objects.get()
        written = Interaction.objects.filter(subject__startswith="M").count()
        seen.append((done, total, run.status, run.processed, written))

    # When it is imported at once (as the CLI does)
    run = services.ingestion_start(
        actor=world.rep, filename="box.mbox", content=content, background=False, progress=progress
    )

    # Then the run's row showed each step while running, before any interaction was written
    assert seen[:3] == [(1, 3, "running", 1, 0), (2, 3, "running", 2, 0), (3, 3, "running", 3, 0)]
    assert (run.status, run.processed, run.created) == ("done", 3, 3)
