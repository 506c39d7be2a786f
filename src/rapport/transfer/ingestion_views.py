"""Pages of e-mail and calendar import: the upload, a run's progress, the review queue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.core import access, uploads
from rapport.core.errors import ApplicationError, PermissionDenied
from rapport.core.requests import AuthenticatedRequest
from rapport.transfer import selectors, services
from rapport.transfer.forms import IngestionUploadForm, ReviewAttachForm
from rapport.transfer.models import ReviewStatus
from rapport.web.kit import id_param


@login_required
@require_http_methods(["GET", "POST"])
def ingestion_new(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a file of interactions (CSV, .eml, mbox, .ics); below it, the recent imports."""
    access.ensure(request.user, access.Capability.USE_STAFF_TOOLS, not_found="page not found")
    status = 200
    if request.method == "POST":
        access.ensure_can_write(request.user)
        form = IngestionUploadForm(request.POST, request.FILES, refused=uploads.refused(request))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.ingestion_start(
                    actor=request.user,
                    filename=upload.name,
                    content=upload,
                    format=form.cleaned_data["format"] or None,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                return redirect("transfer:ingestion_detail", pk=run.pk)
        status = 400
    else:
        form = IngestionUploadForm()
    context = {
        "form": form,
        "runs": selectors.ingestion_run_list(user=request.user, limit=20).items,
        "waiting": selectors.review_queue_size(user=request.user),
    }
    return render(request, "transfer/ingestion_new.html", context, status=status)


@login_required
@require_GET
def ingestion_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One import: its progress (polled while it runs), counts and row errors."""
    run = selectors.ingestion_run_get(user=request.user, pk=pk)
    return render(request, "transfer/ingestion_detail.html", {"run": run})


@login_required
@require_GET
def ingestion_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The run's progress card, for htmx to poll until the run is done or failed."""
    run = selectors.ingestion_run_get(user=request.user, pk=pk)
    return render(request, "transfer/partials/ingestion_progress.html", {"run": run})


@login_required
@require_GET
def ingestion_review(request: AuthenticatedRequest) -> HttpResponse:
    """Imported messages and events that matched nobody: attach each to an account, or dismiss."""
    access.ensure(request.user, access.Capability.USE_STAFF_TOOLS, not_found="page not found")
    status = request.GET.get("status") or ReviewStatus.OPEN
    page = selectors.review_queue(
        user=request.user, status=status, cursor=request.GET.get("cursor") or None
    )
    context = {
        "page": page,
        "status": status,
        "statuses": ReviewStatus.choices,
        "more_url": (
            f"{reverse('transfer:ingestion_review')}?status={status}&cursor={page.next_cursor}"
            if page.next_cursor
            else None
        ),
    }
    return render(request, "transfer/ingestion_review.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ingestion_attach(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Attach a review item: find the organisation, then pick the unit and their people."""
    item = selectors.review_item_get(user=request.user, pk=pk)
    access.ensure_can_write(request.user)
    account_pk = id_param(request.GET.get("account", ""), "account")
    if account_pk is None:
        q = request.GET.get("q", "").strip()[:100]
        found = account_selectors.account_list(user=request.user, q=q, roots_only=True, limit=30)
        context = {"item": item, "q": q, "organisations": found.items, "more": found.next_cursor}
        return render(request, "transfer/ingestion_attach.html", context)
    organisation = account_selectors.account_get(user=request.user, pk=account_pk)
    form_kwargs: dict[str, Any] = {
        "units": account_selectors.units_for_select(user=request.user, account=organisation),
        "contacts": account_selectors.contact_choices(user=request.user, account=organisation),
    }
    status = 200
    if request.method == "POST":
        attach_form = ReviewAttachForm(request.POST, **form_kwargs)
        if attach_form.is_valid():
            try:
                services.ingestion_item_attach(
                    actor=request.user,
                    item=item,
                    account=attach_form.cleaned_data["account"],
                    contacts=attach_form.cleaned_data["contacts"],
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                attach_form.add_application_error(error)
            else:
                messages.success(request, f"Logged “{item.subject}” on {organisation.name}.")
                return redirect("transfer:ingestion_review")
        status = 400
    else:
        attach_form = ReviewAttachForm(initial={"account": organisation}, **form_kwargs)
    context = {"item": item, "organisation": organisation, "form": attach_form}
    return render(request, "transfer/ingestion_attach.html", context, status=status)


@login_required
@require_POST
def ingestion_dismiss(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Take an item off the review queue without logging it."""
    item = selectors.review_item_get(user=request.user, pk=pk)
    services.ingestion_item_dismiss(actor=request.user, item=item)
    messages.success(request, f"Dismissed “{item.subject}”.")
    return redirect("transfer:ingestion_review")
