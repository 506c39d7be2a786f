"""Schemas of the import and export API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from rapport.accounts.schemas import Input, PageFilters
from rapport.core.schemas import Text, UserRef
from rapport.transfer.models import ImportKind, ImportMode

KindName = Literal["accounts", "contacts", "interactions", "order_lines", "subscriptions"]
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
    id: int
    label: str
    score: float
    reasons: list[str] = []


class ImportDuplicateOut(Schema):
    row: int
    message: str
    matches: list[DuplicateMatchOut]


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
    skipped: int = Field(description="probable duplicates left out")
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
