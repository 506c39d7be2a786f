"""Schemas of the import and export API, and of e-mail and calendar ingestion."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from rapport.accounts.schemas import Input, PageFilters
from rapport.core.schemas import Id, Text, UserRef
from rapport.transfer.models import ImportKind, ImportMode, IngestionFormat, ReviewStatus

KindName = Literal[
    "accounts", "contacts", "interactions", "order_lines", "subscriptions", "catalog", "prices"
]
ModeName = Literal["all", "good"]
assert set(KindName.__args__) == set(ImportKind.values)  # type: ignore[attr-defined]
assert set(ModeName.__args__) == set(ImportMode.values)  # type: ignore[attr-defined]


class ImportUploadIn(Input):
    """The form field sent beside the file (multipart/form-data)."""

    kind: KindName = Field(description="what the file holds")


class ImportCheckIn(Input):
    mapping: list[Text] | None = Field(
        None,
        description="the field each column feeds, in column order ('' to ignore a column); "
        "default: the mapping suggested (or last saved)",
    )
    skip_duplicates: bool | None = Field(
        None, description="leave out rows flagged as probable duplicates (default true)"
    )


class ImportConfirmIn(Input):
    mode: ModeName = Field(description="all: any bad row and nothing is written; good: the rest")
    skip_duplicates: bool | None = None


class ImportFieldOut(Schema):
    name: str
    label: str
    required: bool
    many: bool = Field(description="several columns may feed it")


class ImportErrorOut(Schema):
    row: int | None = Field(description="the row as the spreadsheet numbers it (header = 1)")
    column: str = Field(description="the file's column at fault ('' for the whole row)")
    field: str
    message: str


class DuplicateMatchOut(Schema):
    id: int | None = Field(None, description="the record we have it may duplicate")
    row: int | None = Field(None, description="or the earlier row of the file it may duplicate")
    label: str
    score: float
    reasons: list[str] = []


class ImportDuplicateOut(Schema):
    row: int
    message: str
    matches: list[DuplicateMatchOut]
    review: bool = Field(
        False,
        description="true: created and put up for review (weak evidence); "
        "false: a repeat of an earlier row",
    )


class ImportRunOut(Schema):
    id: int
    kind: str
    filename: str
    file_format: str
    sha256: str
    status: str = Field(
        description="mapping, checking, checked (dry run done), queued, running, done or failed"
    )
    mode: str
    skip_duplicates: bool
    dry_run: bool = Field(description="true while the counts are a dry run's")
    headers: list[str]
    mapping: list[str]
    fields: list[ImportFieldOut]
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(description="repeats of an earlier row left out")
    flagged: int = Field(description="rows created and put up for review as probable duplicates")
    rows_per_second: int | None = Field(description="rows checked per second so far")
    failed: int = Field(description="rows with at least one error")
    errors: list[ImportErrorOut]
    duplicates: list[ImportDuplicateOut]
    notes: list[str]
    created_by: UserRef | None
    created_at: datetime
    checked_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_fields(obj: object) -> list[dict[str, object]]:
        from rapport.transfer.importers import importer_for

        return [
            {"name": f.name, "label": f.label, "required": f.required, "many": f.many}
            for f in importer_for(obj.kind).fields  # type: ignore[attr-defined]
        ]


class ImportRunPageOut(Schema):
    items: list[ImportRunOut]
    next_cursor: str | None


class ImportRunFilters(PageFilters):
    pass


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"


# --- e-mail and calendar ingestion (X10) -------------------------------------------------


class IngestionStartIn(Input):
    """The form fields sent beside the file (multipart/form-data)."""

    format: IngestionFormat | None = Field(None, description="default: told by the file")
    dry_run: bool = Field(False, description="report what would happen; write nothing")


class IngestionErrorOut(Schema):
    row: int | None = Field(description="CSV line (header = 1), message or event number")
    field: str = Field(description="the column, header or property at fault; 'file' for the file")
    message: str


class IngestionRunOut(Schema):
    id: int
    format: str
    filename: str
    sha256: str
    status: str = Field(description="queued, running, done or failed")
    dry_run: bool
    total: int = Field(description="rows, messages or events in the file")
    processed: int = Field(description="how many have been read so far")
    created: int = Field(description="interactions created (one per organisation named)")
    duplicates: int = Field(description="already imported: nothing added for them")
    queued_for_review: int = Field(description="matched nobody: waiting in the review queue")
    errors: list[IngestionErrorOut]
    created_by: UserRef | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class IngestionRunPageOut(Schema):
    items: list[IngestionRunOut]
    next_cursor: str | None


class IngestionRunFilters(PageFilters):
    pass


class AddressOut(Schema):
    email: str
    name: str
    role: str = Field(description="from, to, cc, organizer, attendee or participant")


class ReviewItemOut(Schema):
    id: int
    run_id: int
    external_id: str
    occurred_at: datetime | None
    channel: str
    subject: str
    summary: str
    addresses: list[AddressOut]
    reason: str
    status: str = Field(description="open, attached or dismissed")
    interaction_id: int | None
    resolved_by: UserRef | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_summary(obj: Any) -> str:
        return str((obj.payload or {}).get("summary", ""))


class ReviewItemPageOut(Schema):
    items: list[ReviewItemOut]
    next_cursor: str | None


class ReviewQueueFilters(PageFilters):
    status: ReviewStatus = Field(
        ReviewStatus.OPEN, description="open (default), attached, dismissed"
    )


class ReviewAttachIn(Input):
    account_id: Id = Field(description="the organisation or unit to log it on")
    contact_ids: list[Id] = Field([], max_length=100, description="their people who took part")
