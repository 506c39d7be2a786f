"""API of import (upload, map, dry run, confirm, error report) and export of lists."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from rapport.core.api import caller
from rapport.core.pagination import Page
from rapport.transfer import selectors, services
from rapport.transfer.models import ImportRun
from rapport.transfer.schemas import (
    ExportQuery,
    ImportCheckIn,
    ImportConfirmIn,
    ImportRunFilters,
    ImportRunOut,
    ImportRunPageOut,
    ImportUploadIn,
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
        content=file.read(),
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
    subscriptions) as CSV or XLSX, with the list page's filters as query parameters."""
    from rapport.transfer.views import export_response

    return export_response(
        user=caller(request), name=name, query=request.GET, format=filters.format
    )
