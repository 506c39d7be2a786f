"""Pages of import (upload → mapping → dry run → confirm → progress → done) and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core import access, tabular, uploads
from rapport.core.errors import ApplicationError, InvalidInput, PermissionDenied
from rapport.core.requests import AuthenticatedRequest
from rapport.transfer import exports, selectors, services
from rapport.transfer.forms import ImportConfirmForm, ImportUploadForm
from rapport.transfer.importers import importer_for
from rapport.transfer.models import ImportRun, ImportStatus

SHOWN_ERRORS = 200


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a file of accounts, contacts, interactions, order lines, subscriptions, the
    catalog or price agreements."""
    access.ensure(request.user, access.Capability.USE_STAFF_TOOLS, not_found="page not found")
    status = 200
    if request.method == "POST":
        access.ensure_can_write(request.user)
        form = ImportUploadForm(
            request.POST, request.FILES, refused=uploads.refused(request), user=request.user
        )
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.import_upload(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    filename=upload.name,
                    content=upload,
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                form.add_error("file" if "file" in error.errors else None, error.message)
            else:
                return redirect("transfer:import_detail", pk=run.pk)
        status = 400
    else:
        form = ImportUploadForm(initial={"kind": request.GET.get("kind", "")}, user=request.user)
    context = {
        "form": form,
        "runs": selectors.import_run_list(user=request.user, limit=20).items,
    }
    return render(request, "transfer/import_start.html", context, status=status)


def _mapping_rows(run: ImportRun) -> list[dict[str, Any]]:
    """Each column with its sample values and the field it feeds, for the mapping form."""
    rows = []
    for index, header in enumerate(run.headers):
        samples = [s[index] for s in run.samples if index < len(s) and s[index]]
        rows.append(
            {
                "index": index,
                "header": header or f"(column {index + 1})",
                "samples": samples,
                "field": run.mapping[index] if index < len(run.mapping) else "",
            }
        )
    return rows


def _run_page(
    request: AuthenticatedRequest,
    run: ImportRun,
    *,
    mapping_error: ApplicationError | None = None,
    confirm_form: ImportConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    importer = importer_for(run.kind)
    context = {
        "run": run,
        "fields": importer.fields,
        "required": [spec for spec in importer.fields if spec.required],
        "columns": _mapping_rows(run),
        "mapping_error": mapping_error,
        "confirm_form": confirm_form
        or ImportConfirmForm(
            initial={
                "mode": run.mode if run.status != "mapping" else "good",
                "skip_duplicates": run.skip_duplicates,
            }
        ),
        "errors": run.errors[:SHOWN_ERRORS],
        "more_errors": max(0, len(run.errors) - SHOWN_ERRORS),
        "duplicates": run.duplicates[:SHOWN_ERRORS],
        "more_duplicates": max(0, len(run.duplicates) - SHOWN_ERRORS),
        "show_mapping": run.status in {ImportStatus.MAPPING, ImportStatus.CHECKED}
        and access.can(request.user, access.Capability.RUN_IMPORTS),
    }
    return render(request, "transfer/import_detail.html", context, status=status)


@login_required
@require_GET
def import_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One import, at whatever step it is: mapping, dry run, progress, or done."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    return _run_page(request, run)


@login_required
@require_POST
def import_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save the mapping and run the dry run (in the background for a large file)."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    mapping = [request.POST.get(f"column_{i}", "") for i in range(len(run.headers))]
    try:
        services.import_check(
            actor=request.user,
            run=run,
            mapping=mapping,
            skip_duplicates=request.POST.get("skip_duplicates") == "on",
        )
    except PermissionDenied:
        raise
    except ApplicationError as error:
        run.mapping = mapping
        return _run_page(request, run, mapping_error=error, status=400)
    return redirect("transfer:import_detail", pk=run.pk)


@login_required
@require_POST
def import_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Import the file for real, in the mode chosen."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        return _run_page(request, run, confirm_form=form, status=400)
    try:
        run = services.import_confirm(
            actor=request.user,
            run=run,
            mode=form.cleaned_data["mode"],
            skip_duplicates=form.cleaned_data["skip_duplicates"],
        )
    except PermissionDenied:
        raise
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _run_page(request, run, confirm_form=form, status=400)
    if run.status == ImportStatus.DONE:
        messages.success(request, f"Imported {run.filename}.")
    return redirect("transfer:import_detail", pk=run.pk)


@login_required
@require_GET
def import_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The run's progress card, polled by htmx while the worker reads the file."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    response = render(request, "transfer/_progress.html", {"run": run})
    if not run.is_working and request.headers.get("HX-Request"):
        # Done: reload the whole page to show the result.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_errors(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The error report: the rows not imported, as in the file, with what was wrong."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    response = HttpResponse(services.error_report(run=run), content_type="text/csv; charset=utf-8")
    stem = run.filename.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-errors.csv"'
    return response


# --- export --------------------------------------------------------------------------


def export_response(
    *, user: Any, name: str, query: Any, format: str
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """A list as a CSV (streamed) or XLSX (written row by row) download."""
    if format not in exports.FORMATS:
        raise InvalidInput(f"Unknown format {format!r}; use csv or xlsx.", field="format")
    found, rows = exports.export_rows(user=user, name=name, query=query)
    stamp = timezone.localdate().isoformat()
    filename = f"{found.name}-{stamp}.{format}"
    if format == "csv":
        response = StreamingHttpResponse(
            tabular.csv_lines(found.header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    handle = tabular.xlsx_file(found.header, rows, title=found.title)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_GET
def export_list(
    request: AuthenticatedRequest, name: str
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """Download a list with the filters of its page, as far as the user may see it."""
    return export_response(
        user=request.user, name=name, query=request.GET, format=request.GET.get("format", "csv")
    )
