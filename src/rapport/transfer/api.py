"""API of import (upload, map, dry run, confirm, error report), of e-mail and calendar
ingestion with its review queue, and export of lists."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Contact
from rapport.core.api import caller, fields_renamed, referenced
from rapport.core.errors import InvalidInput
from rapport.core.models import User
from rapport.core.pagination import Page
from rapport.transfer import selectors, services
from rapport.transfer.models import ImportRun, IngestionItem, IngestionRun
from rapport.transfer.schemas import (
    ExportQuery,
    ImportCheckIn,
    ImportConfirmIn,
    ImportRunFilters,
    ImportRunOut,
    ImportRunPageOut,
    ImportUploadIn,
    IngestionRunFilters,
    IngestionRunOut,
    IngestionRunPageOut,
    IngestionStartIn,
    ReviewAttachIn,
    ReviewItemOut,
    ReviewItemPageOut,
    ReviewQueueFilters,
)

router = Router(tags=["import and export"])


@router.post("/imports", response={201: ImportRunOut})
def import_upload(
    request: HttpRequest, payload: Form[ImportUploadIn], file: File[UploadedFile]
) -> Status[ImportRun]:
    """Upload a CSV or XLSX file; the answer suggests which column feeds which field."""
    run = services.import_upload(
        actor=caller(request),
        kind=payload.kind,
        filename=file.name or "upload",
        content=file,
    )
    return Status(201, run)


@router.get("/imports", response=ImportRunPageOut)
def import_list(request: HttpRequest, filters: Query[ImportRunFilters]) -> Page[ImportRun]:
    """Imports newest first (staff only; others see none)."""
    return selectors.import_run_list(
        user=caller(request), cursor=filters.cursor, limit=filters.limit
    )


@router.get("/imports/{run_id}", response=ImportRunOut)
def import_detail(request: HttpRequest, run_id: int) -> ImportRun:
    """One import: mapping, status, progress, counts, row errors and duplicates."""
    return selectors.import_run_get(user=caller(request), pk=run_id)


@router.post("/imports/{run_id}/check", response={200: ImportRunOut, 202: ImportRunOut})
def import_check(request: HttpRequest, run_id: int, payload: ImportCheckIn) -> Status[ImportRun]:
    """Save the mapping and run the dry run (202 while a large file is read in the background)."""
    user = caller(request)
    run = services.import_check(
        actor=user,
        run=selectors.import_run_get(user=user, pk=run_id),
        mapping=payload.mapping,
        skip_duplicates=payload.skip_duplicates,
    )
    return Status(202 if run.is_working else 200, run)


@router.post("/imports/{run_id}/confirm", response={200: ImportRunOut, 202: ImportRunOut})
def import_confirm(
    request: HttpRequest, run_id: int, payload: ImportConfirmIn
) -> Status[ImportRun]:
    """Import a dry-run file for real: all or nothing, or the good rows only."""
    user = caller(request)
    run = services.import_confirm(
        actor=user,
        run=selectors.import_run_get(user=user, pk=run_id),
        mode=payload.mode,
        skip_duplicates=payload.skip_duplicates,
    )
    return Status(202 if run.is_working else 200, run)


@router.get("/imports/{run_id}/errors", response={200: None})
def import_errors(request: HttpRequest, run_id: int) -> HttpResponse:
    """The error report as CSV: the rows not imported, as in the file, with an error column."""
    run = selectors.import_run_get(user=caller(request), pk=run_id)
    response = HttpResponse(services.error_report(run=run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@router.get("/exports/{name}", response={200: None})
def export_list(
    request: HttpRequest, name: str, filters: Query[ExportQuery]
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """A list (accounts, contacts, end-users, partners, interactions, order-lines,
    subscriptions, catalog, prices) as CSV or XLSX, with the list page's filters as query
    parameters."""
    from rapport.transfer.views import export_response

    return export_response(
        user=caller(request), name=name, query=request.GET, format=filters.format
    )


def _contacts_named(user: User, ids: Sequence[int]) -> list[Contact]:
    """The contacts a request names by id, in one query through core.access; any unknown is bad input."""
    wanted = list(dict.fromkeys(ids))
    found = account_selectors.contacts_by_ids(user=user, ids=wanted)
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise InvalidInput(f"Contact not found (id {missing[0]}).", field="contact_ids")
    return [found[pk] for pk in wanted]


# --- e-mail and calendar ingestion (X10) -------------------------------------------------


@router.post("/ingestions", response={202: IngestionRunOut}, tags=["ingestion"])
def ingestion_start(
    request: HttpRequest, payload: Form[IngestionStartIn], file: File[UploadedFile]
) -> Status[IngestionRun]:
    """Upload a CSV, .eml, mbox or .ics file of interactions; it is imported in the background."""
    user = caller(request)
    run = services.ingestion_start(
        actor=user,
        filename=file.name or "upload",
        content=file,
        format=payload.format,
        dry_run=payload.dry_run,
    )
    return Status(202, selectors.ingestion_run_get(user=user, pk=run.pk))


@router.get("/ingestions", response=IngestionRunPageOut, tags=["ingestion"])
def ingestion_list(request: HttpRequest, filters: Query[IngestionRunFilters]) -> Page[IngestionRun]:
    """Imports newest first (staff only; others see none)."""
    return selectors.ingestion_run_list(
        user=caller(request), cursor=filters.cursor, limit=filters.limit
    )


@router.get("/ingestions/{run_id}", response=IngestionRunOut, tags=["ingestion"])
def ingestion_detail(request: HttpRequest, run_id: int) -> IngestionRun:
    """One import: its status, progress, counts and row-level errors."""
    return selectors.ingestion_run_get(user=caller(request), pk=run_id)


@router.get("/ingestion-review", response=ReviewItemPageOut, tags=["ingestion"])
def ingestion_review(
    request: HttpRequest, filters: Query[ReviewQueueFilters]
) -> Page[IngestionItem]:
    """Imported messages and events that matched nobody, newest first (staff only)."""
    return selectors.review_queue(
        user=caller(request), status=filters.status, cursor=filters.cursor, limit=filters.limit
    )


@router.post("/ingestion-review/{item_id}/attach", response=ReviewItemOut, tags=["ingestion"])
def ingestion_review_attach(
    request: HttpRequest, item_id: int, payload: ReviewAttachIn
) -> IngestionItem:
    """Log a waiting item on an account, with the contacts who took part."""
    user = caller(request)
    item = selectors.review_item_get(user=user, pk=item_id)
    account = referenced(
        "account_id", account_selectors.account_get, user=user, pk=payload.account_id
    )
    contacts = _contacts_named(user, payload.contact_ids)
    with fields_renamed(account="account_id", contacts="contact_ids"):
        services.ingestion_item_attach(actor=user, item=item, account=account, contacts=contacts)
    return selectors.review_item_get(user=user, pk=item_id)


@router.post("/ingestion-review/{item_id}/dismiss", response=ReviewItemOut, tags=["ingestion"])
def ingestion_review_dismiss(request: HttpRequest, item_id: int) -> IngestionItem:
    """Take a waiting item off the queue without logging it."""
    user = caller(request)
    services.ingestion_item_dismiss(
        actor=user, item=selectors.review_item_get(user=user, pk=item_id)
    )
    return selectors.review_item_get(user=user, pk=item_id)
