"""Reading files of interactions: CSV, e-mail (.eml, mbox) and calendars (.ics).

Pure parsing, no database: a file becomes candidate interactions (when, which channel,
what about, every address named, an external id that stays the same however often the
file is read) plus row-level errors. Matching people and writing rows is the services'
job (`transfer.runners.IngestionRunner`, with `transfer.ingestion_plan`).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import mailbox
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from rapport.interactions.models import Channel, Direction, Outcome
from rapport.transfer.models import IngestionFormat

SUBJECT_MAX = 300
EXTERNAL_ID_MAX = 300
SUMMARY_MAX = 4000
NO_SUBJECT = "(no subject)"
PROGRESS_EVERY = 250

Progress = Callable[[int, int], None]
"""Told (rows read, rows in the file) now and then while a large file is read."""

# Address roles: who sent or organised (decides the direction) and who else was named.
SENDER_ROLES = frozenset({"from", "organizer"})

_EXTENSIONS = {
    ".csv": IngestionFormat.CSV,
    ".eml": IngestionFormat.EML,
    ".mbox": IngestionFormat.MBOX,
    ".mbx": IngestionFormat.MBOX,
    ".ics": IngestionFormat.ICS,
    ".ical": IngestionFormat.ICS,
}


class MalformedFile(Exception):
    """The file as a whole cannot be read as its format: one clear message, no rows."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Address:
    """One e-mail address a message or event names, and in which role."""

    email: str
    name: str
    role: str  # from, to, cc, organizer, attendee, participant

    def as_dict(self) -> dict[str, str]:
        """The JSON form kept on a review item."""
        return {"email": self.email, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row (CSV line, message or event): its number and field."""

    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form kept on the run."""
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Candidate:
    """One interaction a file describes, before anyone is matched."""

    row: int
    external_id: str
    occurred_at: datetime
    channel: str
    subject: str
    summary: str = ""
    addresses: list[Address] = field(default_factory=list)
    direction: str = ""  # only when the file says so (a CSV column); else from the sender
    outcome: str = ""
    next_step: str = ""

    @property
    def sender(self) -> Address | None:
        """Who sent the message or organised the meeting, if the file says."""
        return next((a for a in self.addresses if a.role in SENDER_ROLES), None)

    def as_payload(self) -> dict[str, Any]:
        """Everything needed to log it later, as JSON (kept on a review item)."""
        return {
            "row": self.row,
            "occurred_at": self.occurred_at.isoformat(),
            "channel": self.channel,
            "direction": self.direction,
            "subject": self.subject,
            "summary": self.summary,
            "outcome": self.outcome,
            "next_step": self.next_step,
            "addresses": [a.as_dict() for a in self.addresses],
        }


@dataclass
class Parsed:
    """A file read: its candidates, the rows it holds, and what was wrong with some."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def detect_format(filename: str, content: bytes) -> str | None:
    """The format a file is in, by its extension or else by its first bytes."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = content[:4096].lstrip()
    if head.startswith(b"From "):
        return IngestionFormat.MBOX
    if head.upper().startswith(b"BEGIN:VCALENDAR"):
        return IngestionFormat.ICS
    if re.match(rb"(?im)^(message-id|from|date|subject|received|return-path):", head):
        return IngestionFormat.EML
    return None


def parse_file(path: Path, format: str, progress: Progress | None = None) -> Parsed:
    """Read a stored file of the given format; MalformedFile when it cannot be read at all."""
    if format == IngestionFormat.MBOX:
        return parse_mbox(path, progress)
    content = path.read_bytes()
    if format == IngestionFormat.CSV:
        return parse_csv(content)
    if format == IngestionFormat.EML:
        return parse_eml(content)
    if format == IngestionFormat.ICS:
        return parse_ics(content)
    raise MalformedFile(f"Unknown format {format!r}.")


# --- shared helpers --------------------------------------------------------------------


def stable_id(*parts: object) -> str:
    """An external id for something that carries none: the same content gives the same id."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"sha256:{digest[:48]}"


def _bounded_id(value: str) -> str:
    """An external id that fits its column; a longer one is replaced by its hash."""
    value = value.strip()
    return value if len(value) <= EXTERNAL_ID_MAX else stable_id(value)


def _subject(value: str) -> str:
    value = " ".join((value or "").split())
    return (value or NO_SUBJECT)[:SUBJECT_MAX]


def _excerpt(text: str) -> str:
    """The body without quoted replies and runs of blank lines, cut to a readable length."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line.startswith(">"):
            continue
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    excerpt = "\n".join(kept).strip()
    return excerpt if len(excerpt) <= SUMMARY_MAX else excerpt[: SUMMARY_MAX - 1] + "…"


def _aware(moment: datetime) -> datetime:
    """A time with its zone; a floating (zone-less) one is read in the site's time zone."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _addresses(values: Iterable[str], role: str) -> list[Address]:
    found = []
    for name, email in getaddresses([v for v in values if v]):
        email = email.strip().lower()
        if "@" in email:
            found.append(Address(email=email, name=" ".join(name.split()), role=role))
    return found


def _unique(addresses: Iterable[Address]) -> list[Address]:
    """Each address once, in its first (most telling) role."""
    seen: dict[str, Address] = {}
    for address in addresses:
        seen.setdefault(address.email, address)
    return list(seen.values())


# --- e-mail ----------------------------------------------------------------------------


def _html_text(markup: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", markup)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _decoded(value: object) -> str:
    """A header's text with its encoded words (=?utf-8?...?=) decoded."""
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeError):
        return str(value)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _body_text(message: Message) -> str:
    """The message's plain text, or its HTML as text; attachments are not read."""
    html_part = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain":
            return _part_text(part)
        if content_type == "text/html" and html_part is None:
            html_part = part
    return _html_text(_part_text(html_part)) if html_part is not None else ""


def _message_addresses(message: Message, header: str, role: str) -> list[Address]:
    return [
        Address(email=a.email, name=_decoded(a.name), role=a.role)
        for a in _addresses([str(v) for v in message.get_all(header, [])], role)
    ]


def message_candidate(message: Message, number: int, errors: list[RowError]) -> Candidate | None:
    """One e-mail message as a candidate e-mail interaction, or None with its errors noted.

    Headers are read raw (the compat32 policy) and decoded only where shown: the modern
    policy's header objects cost several times the whole import (see bench/measure.py).
    """
    raw_date = str(message.get("Date", "") or "").strip()
    sender = _message_addresses(message, "From", "from")
    if not raw_date:
        errors.append(RowError(number, "Date", "The message has no Date header."))
        return None
    try:
        occurred_at = _aware(parsedate_to_datetime(raw_date))
    except (TypeError, ValueError, IndexError, OverflowError):
        errors.append(RowError(number, "Date", f"{raw_date!r} is not a date."))
        return None
    if not sender:
        errors.append(RowError(number, "From", "The message names no sender address."))
        return None
    addresses = _unique(
        sender + _message_addresses(message, "To", "to") + _message_addresses(message, "Cc", "cc")
    )
    subject = _subject(_decoded(message.get("Subject")))
    message_id = str(message.get("Message-ID", "") or "").strip()
    external_id = _bounded_id(message_id) or stable_id(
        "email", occurred_at.isoformat(), sender[0].email, subject
    )
    return Candidate(
        row=number,
        external_id=external_id,
        occurred_at=occurred_at,
        channel=Channel.EMAIL,
        subject=subject,
        summary=_excerpt(_body_text(message)),
        addresses=addresses,
    )


def _read_message(number: int, read: Any, errors: list[RowError]) -> Candidate | None:
    """Parse one message, turning any failure of a broken message into a row error."""
    try:
        message = read()
        return message_candidate(message, number, errors)
    except Exception as exc:  # a broken message must not stop the other messages
        errors.append(RowError(number, "message", f"The message cannot be read: {exc}"))
        return None


def parse_eml(content: bytes) -> Parsed:
    """A single message (.eml)."""
    if not content.strip():
        raise MalformedFile("The file is empty.")
    if detect_format("", content) != IngestionFormat.EML:
        raise MalformedFile("This is not an e-mail message: it starts with no mail header.")
    parsed = Parsed(total=1)

    def read() -> Message:
        return message_from_bytes(content)

    candidate = _read_message(1, read, parsed.errors)
    if candidate is not None:
        parsed.candidates.append(candidate)
    return parsed


def parse_mbox(path: Path, progress: Progress | None = None) -> Parsed:
    """A mailbox of messages (mbox): message numbers count from 1 in file order."""
    with path.open("rb") as handle:
        head = handle.read(5)
    if not head:
        raise MalformedFile("The file is empty.")
    if head != b"From ":
        raise MalformedFile("This is not an mbox file: it must start with a 'From ' line.")
    box = mailbox.mbox(str(path), factory=None, create=False)
    parsed = Parsed()
    try:
        keys = list(box.keys())
        parsed.total = len(keys)
        for number, key in enumerate(keys, start=1):

            def read(key: str = key) -> Message:
                return message_from_bytes(box.get_bytes(key))

            candidate = _read_message(number, read, parsed.errors)
            if candidate is not None:
                parsed.candidates.append(candidate)
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number, parsed.total)
    finally:
        box.close()
    return parsed


# --- calendars -------------------------------------------------------------------------


def _event_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        # An all-day event happened that day: keep it at the start of the day, locally.
        return timezone.make_aware(datetime.combine(value, time.min))
    raise ValueError(f"{value!r} is not a date or time")


def _calendar_address(value: Any, role: str) -> list[Address]:
    email = str(value or "").strip()
    if email.lower().startswith("mailto:"):
        email = email[len("mailto:") :]
    params = getattr(value, "params", {}) or {}
    name = str(params.get("CN", "") or "")
    return [Address(email=email.lower(), name=name, role=role)] if "@" in email else []


def _events(content: bytes) -> Iterator[Any]:
    from icalendar import Calendar

    try:
        calendars = Calendar.from_ical(content, multiple=True)
    except (ValueError, IndexError, KeyError) as exc:
        raise MalformedFile(f"This is not a readable calendar (.ics): {exc}") from None
    if not calendars:
        raise MalformedFile("This is not a calendar (.ics): it holds no VCALENDAR.")
    for calendar in calendars:
        yield from calendar.walk("VEVENT")


def event_candidate(event: Any, number: int, errors: list[RowError]) -> Candidate | None:
    """One calendar event as a candidate meeting, or None with its errors noted."""
    uid = str(event.get("UID", "") or "").strip()
    if not uid:
        errors.append(RowError(number, "UID", "The event has no UID."))
        return None
    start = event.get("DTSTART")
    if start is None:
        errors.append(RowError(number, "DTSTART", "The event has no start (DTSTART)."))
        return None
    try:
        occurred_at = _event_moment(start.dt)
    except Exception as exc:  # icalendar raises its own errors for a broken property
        errors.append(RowError(number, "DTSTART", f"The start is not a date or time: {exc}"))
        return None
    external_id = uid
    recurrence = event.get("RECURRENCE-ID")
    if recurrence is not None:
        try:
            external_id = f"{uid}#{_event_moment(recurrence.dt).isoformat()}"
        except Exception as exc:
            errors.append(RowError(number, "RECURRENCE-ID", f"Not a date or time: {exc}"))
            return None
    attendees = event.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    addresses = _unique(
        _calendar_address(event.get("ORGANIZER"), "organizer")
        + [a for value in attendees for a in _calendar_address(value, "attendee")]
    )
    return Candidate(
        row=number,
        external_id=_bounded_id(external_id),
        occurred_at=occurred_at,
        channel=Channel.MEETING,
        subject=_subject(str(event.get("SUMMARY", "") or "")),
        summary=_excerpt(str(event.get("DESCRIPTION", "") or "")),
        addresses=addresses,
    )


def parse_ics(content: bytes) -> Parsed:
    """Every event of a calendar file; event numbers count from 1 in file order."""
    if not content.strip():
        raise MalformedFile("The file is empty.")
    if not content.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        raise MalformedFile("This is not a calendar (.ics): it must start with BEGIN:VCALENDAR.")
    parsed = Parsed()
    for number, event in enumerate(_events(content), start=1):
        parsed.total = number
        try:
            candidate = event_candidate(event, number, parsed.errors)
        except Exception as exc:  # a broken event must not stop the other events
            parsed.errors.append(RowError(number, "event", f"The event cannot be read: {exc}"))
            continue
        if candidate is not None:
            parsed.candidates.append(candidate)
    return parsed


# --- CSV -------------------------------------------------------------------------------

CSV_REQUIRED = ("occurred_at", "channel", "subject")
CSV_ADDRESS_COLUMNS = {"from": "from", "to": "to", "cc": "cc", "participants": "participant"}

_CHANNEL_NAMES = {
    **{value: value for value in Channel.values},
    **{str(label).lower(): value for value, label in Channel.choices},
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "phone": Channel.CALL,
}
_DIRECTION_NAMES = {
    **{value: value for value in Direction.values},
    "in": Direction.INBOUND,
    "out": Direction.OUTBOUND,
    "two-way": Direction.TWO_WAY,
    "two way": Direction.TWO_WAY,
}


def _csv_moment(raw: str) -> datetime | None:
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:
        return None
    return _aware(moment) if moment is not None else None


def _csv_addresses(raw: str, role: str) -> list[Address]:
    # Spreadsheets separate several people with ';' more often than ','.
    return _addresses(raw.replace(";", ",").split(","), role) if raw else []


def _csv_row(values: dict[str, str], number: int, errors: list[RowError]) -> Candidate | None:
    """One CSV line as a candidate, or None with every fault of the line noted."""
    found = len(errors)
    raw_when = values.get("occurred_at", "")
    occurred_at = _csv_moment(raw_when) if raw_when else None
    if not raw_when:
        errors.append(RowError(number, "occurred_at", "Give the date and time."))
    elif occurred_at is None:
        errors.append(
            RowError(number, "occurred_at", f"{raw_when!r} is not a date (use ISO 8601).")
        )
    raw_channel = values.get("channel", "")
    channel = _CHANNEL_NAMES.get(raw_channel.lower())
    if channel is None:
        errors.append(
            RowError(
                number,
                "channel",
                f"Unknown channel {raw_channel!r}; use one of {', '.join(Channel.values)}.",
            )
        )
    raw_direction = values.get("direction", "")
    direction = _DIRECTION_NAMES.get(raw_direction.lower(), "") if raw_direction else ""
    if raw_direction and not direction:
        errors.append(
            RowError(
                number,
                "direction",
                f"Unknown direction {raw_direction!r}; use inbound, outbound or two_way.",
            )
        )
    outcome = values.get("outcome", "").lower()
    if outcome and outcome not in Outcome.values:
        errors.append(RowError(number, "outcome", f"Unknown outcome {outcome!r}."))
    subject = " ".join(values.get("subject", "").split())
    if not subject:
        errors.append(RowError(number, "subject", "Give a subject."))
    elif len(subject) > SUBJECT_MAX:
        errors.append(RowError(number, "subject", f"Keep it under {SUBJECT_MAX} characters."))
    addresses = _unique(
        address
        for column, role in CSV_ADDRESS_COLUMNS.items()
        for address in _csv_addresses(values.get(column, ""), role)
    )
    if not addresses:
        errors.append(
            RowError(number, "to", "Name at least one e-mail address (from, to, cc, participants).")
        )
    if len(errors) > found or occurred_at is None or channel is None:
        return None
    external_id = _bounded_id(values.get("external_id", "")) or stable_id(
        "csv",
        occurred_at.isoformat(),
        channel,
        subject,
        ",".join(sorted(a.email for a in addresses)),
    )
    return Candidate(
        row=number,
        external_id=external_id,
        occurred_at=occurred_at,
        channel=channel,
        subject=subject,
        summary=values.get("summary", "")[:SUMMARY_MAX],
        addresses=addresses,
        direction=direction,
        outcome=outcome,
        next_step=values.get("next_step", "")[:500],
    )


def parse_csv(content: bytes) -> Parsed:
    """A table with a header line; rows are numbered as a spreadsheet shows them (header = 1)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedFile("The CSV file is not UTF-8 text.") from None
    if not text.strip():
        raise MalformedFile("The file is empty.")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column.strip().lower().replace(" ", "_") for column in next(reader)]
    except csv.Error as exc:
        raise MalformedFile(f"The CSV header cannot be read: {exc}") from None
    missing = [column for column in CSV_REQUIRED if column not in header]
    if missing:
        raise MalformedFile(
            f"The CSV header lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; it needs {', '.join(CSV_REQUIRED)} and an address column."
        )
    if not any(column in header for column in CSV_ADDRESS_COLUMNS):
        raise MalformedFile("The CSV header names no address column (from, to, cc, participants).")
    parsed = Parsed()
    number = 1
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            parsed.total += 1
            if len(cells) > len(header):
                parsed.errors.append(
                    RowError(number, "row", f"{len(cells)} cells for {len(header)} columns.")
                )
                continue
            values = {
                column: cell.strip() for column, cell in zip(header, cells, strict=False) if column
            }
            candidate = _csv_row(values, number, parsed.errors)
            if candidate is not None:
                parsed.candidates.append(candidate)
    except csv.Error as exc:
        parsed.errors.append(RowError(number + 1, "row", f"The line cannot be read: {exc}"))
    if parsed.total == 0 and not parsed.errors:
        raise MalformedFile("The CSV file has a header but no rows.")
    return parsed
