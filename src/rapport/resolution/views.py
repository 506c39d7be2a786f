"""Pages of identity resolution: the live duplicate warning, the review queue, a pair, merges."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import ApplicationError, InvalidInput
from rapport.core.requests import AuthenticatedRequest
from rapport.resolution import merging, selectors, services
from rapport.resolution.forms import CheckAccountForm, CheckContactForm, QueueFilterForm, read
from rapport.resolution.models import DuplicatePair, PairStatus, RecordKind
from rapport.resolution.tasks import dedupe_run

SECTION = {"nav_section": "duplicates"}


def internal_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Duplicates are our staff's work: customers and partners get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.ensure(request.user, access.Capability.USE_STAFF_TOOLS)
        return view(request, *args, **kwargs)

    return wrapper


# --- the live warning on the create and edit forms -------------------------------------


@login_required
@require_GET
def contact_check(request: AuthenticatedRequest) -> HttpResponse:
    """htmx fragment: people already on file who look like the one being typed."""
    params = read(CheckContactForm(request.GET))
    matches = selectors.contact_duplicates(
        user=request.user,
        first_name=params["first_name"],
        last_name=params["last_name"],
        email=params["email"],
        phone=params["phone"],
        account_id=params["account"],
        exclude_id=params["exclude"],
    )
    return render(
        request,
        "resolution/_matches.html",
        {"matches": matches, "kind": "contact", "editing": params["exclude"]},
    )


@login_required
@require_GET
def account_check(request: AuthenticatedRequest) -> HttpResponse:
    """htmx fragment: accounts already on file that look like the one being typed."""
    params = read(CheckAccountForm(request.GET))
    matches = selectors.account_duplicates(
        user=request.user,
        name=params["name"],
        website=params["website"],
        city=params["city"],
        exclude_id=params["exclude"],
    )
    return render(
        request,
        "resolution/_matches.html",
        {"matches": matches, "kind": "account", "editing": params["exclude"]},
    )


# --- the review queue ----------------------------------------------------------------------


@login_required
@internal_required
@require_GET
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """Candidate pairs, most probable first, to accept (merge), reject or defer."""
    params = read(QueueFilterForm(request.GET))
    page = selectors.pair_list(
        user=request.user,
        kind=params["kind"],
        status=params["status"],
        cursor=params["cursor"] or None,
    )
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    context: dict[str, Any] = {
        **SECTION,
        "page": page,
        "params": params,
        "next_url": next_url,
        "kinds": RecordKind.choices,
        "statuses": PairStatus.choices,
    }
    if getattr(request, "htmx", None) and request.GET.get("cursor"):
        return render(request, "resolution/_pair_rows.html", context)
    context.update(
        counts=selectors.pair_counts(user=request.user),
        runs=[selectors.run_latest(kind=kind) for kind in RecordKind.values],
    )
    return render(request, "resolution/queue.html", context)


@login_required
@internal_required
@require_POST
def run_start(request: AuthenticatedRequest) -> HttpResponse:
    """Start a batch search for one kind of record, on the worker."""
    kind = request.POST.get("kind", "")
    try:
        run = services.dedupe_run_create(actor=request.user, kind=kind)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("resolution:queue")
    dedupe_run.enqueue(run.pk)
    messages.success(request, f"Looking for duplicate {run.get_kind_display().lower()}…")
    return redirect("resolution:queue")


@login_required
@internal_required
@require_GET
def run_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """htmx fragment: a run's progress, polled while it runs."""
    run = selectors.run_get(user=request.user, pk=pk)
    return render(request, "resolution/_run.html", {"run": run})


# --- one pair --------------------------------------------------------------------------


def _field_rows(pair: DuplicatePair, keep: str) -> list[dict[str, Any]]:
    """The fields a merge chooses between: both values and the default choice."""
    fields = (
        merging.CONTACT_CHOICE_FIELDS
        if pair.kind == RecordKind.CONTACT
        else merging.ACCOUNT_CHOICE_FIELDS
    )
    survivor, other = (pair.left, pair.right) if keep == "left" else (pair.right, pair.left)
    defaults = merging.default_choices(survivor, other, fields)
    rows = []
    for name in fields:
        field: Any = type(pair.left)._meta.get_field(name)
        left, right = getattr(pair.left, name), getattr(pair.right, name)
        if hasattr(pair.left, f"get_{name}_display"):
            left, right = (
                getattr(pair.left, f"get_{name}_display")(),
                getattr(pair.right, f"get_{name}_display")(),
            )
        default_side = keep if defaults[name] == "keep" else ("right" if keep == "left" else "left")
        rows.append(
            {
                "name": name,
                "label": str(field.verbose_name).capitalize(),
                "left": left if left not in (None, "") else "",
                "right": right if right not in (None, "") else "",
                "differ": left != right,
                "default": default_side,
            }
        )
    return rows


def _pair_page(
    request: AuthenticatedRequest, pair: DuplicatePair, status: int = 200
) -> HttpResponse:
    keep = "right" if request.GET.get("keep") == "right" else "left"
    context = {
        **SECTION,
        "pair": pair,
        "keep": keep,
        "rows": _field_rows(pair, keep),
        "live": not getattr(pair.left, "deleted_at", None)
        and not getattr(pair.right, "deleted_at", None),
        "merges": list(pair.merges.order_by("-merged_at")),
    }
    return render(request, "resolution/pair.html", context, status=status)


@login_required
@internal_required
@require_http_methods(["GET", "POST"])
def pair_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Both records side by side, the evidence, and the per-field choice for a merge."""
    pair = selectors.pair_get(user=request.user, pk=pk)
    if request.method == "GET":
        return _pair_page(request, pair)
    action = request.POST.get("action", "")
    try:
        if action == "merge":
            keep = request.POST.get("keep", "left")
            choices = _posted_choices(request, pair, keep)
            merge = services.pair_merge(actor=request.user, pair=pair, keep=keep, choices=choices)
            messages.success(
                request, f"Merged into {merge.keep}. You can undo it from the merge history."
            )
            return redirect(_record_url(merge.keep))
        if action in {"rejected", "deferred", "pending"}:
            services.pair_decide(actor=request.user, pair=pair, status=action)
            messages.success(request, f"Marked “{pair.get_status_display()}”.")
            return redirect("resolution:queue")
        raise InvalidInput("Choose merge, reject or defer.", field="action")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _pair_page(request, selectors.pair_get(user=request.user, pk=pk), status=exc.status)


def _posted_choices(
    request: AuthenticatedRequest, pair: DuplicatePair, keep: str
) -> dict[str, str]:
    """The form says which side's value to keep per field; the service wants keep/absorbed."""
    fields = (
        merging.CONTACT_CHOICE_FIELDS
        if pair.kind == RecordKind.CONTACT
        else merging.ACCOUNT_CHOICE_FIELDS
    )
    choices = {}
    for name in fields:
        side = request.POST.get(f"field_{name}")
        if side in {"left", "right"}:
            choices[name] = "keep" if side == keep else "absorbed"
    return choices


def _record_url(record: Any) -> str:
    if isinstance(record, Contact):
        return reverse("accounts:contact_detail", args=[record.pk])
    return reverse("accounts:account_detail", args=[record.pk])


@login_required
@internal_required
@require_POST
def compare(request: AuthenticatedRequest) -> HttpResponse:
    """Put two records side by side (from a warning or "Merge into…") as a pair to review."""

    def param(name: str) -> str:
        # From a form of its own, or from the edit form's "Compare and merge" (query string).
        return request.POST.get(name) or request.GET.get(name) or ""

    kind = param("kind")
    try:
        first_pk, second_pk = int(param("first")), int(param("second"))
    except ValueError:
        raise InvalidInput("Pick two records.", field="second") from None
    find = (
        account_selectors.contact_get
        if kind == RecordKind.CONTACT
        else account_selectors.account_get
    )
    first, second = find(user=request.user, pk=first_pk), find(user=request.user, pk=second_pk)
    pair = services.pair_open(actor=request.user, kind=kind, first=first, second=second, score=0.5)
    keep = "left" if pair.left_id == first.pk else "right"
    return redirect(f"{reverse('resolution:pair', args=[pair.pk])}?keep={keep}")


# --- merging an account into another -----------------------------------------------------


@login_required
@internal_required
@require_GET
def account_merge_into(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Pick the account this one (and its units) should be merged into."""
    access.ensure_can_write(request.user)
    account = account_selectors.account_get(user=request.user, pk=pk)
    q = (request.GET.get("q") or "").strip()[:200]
    suggestions = selectors.account_duplicates(
        user=request.user,
        name=account.name,
        website=account.website,
        city=account.city,
        exclude_id=account.pk,
    )
    found: list[Account] = []
    if q:
        found = [
            a
            for a in account_selectors.account_list(user=request.user, q=q, limit=20).items
            if a.pk != account.pk and not a.path.startswith(account.path)
        ]
    return render(
        request,
        "resolution/merge_into.html",
        {
            "nav_section": "accounts",
            "account": account,
            "q": q,
            "found": found,
            "suggestions": [m for m in suggestions if not m.record.path.startswith(account.path)],
        },
    )


# --- merge history ---------------------------------------------------------------------


@login_required
@internal_required
@require_GET
def merge_history(request: AuthenticatedRequest) -> HttpResponse:
    """Every merge, newest first, with who did it and an Undo."""
    cursor = (request.GET.get("cursor") or "")[:500] or None
    page = selectors.merge_list(user=request.user, cursor=cursor)
    next_url = f"{request.path}?cursor={page.next_cursor}" if page.next_cursor else None
    return render(
        request, "resolution/merges.html", {**SECTION, "page": page, "next_url": next_url}
    )


@login_required
@internal_required
@require_POST
def merge_undo(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Undo one merge exactly."""
    merge = selectors.merge_get(user=request.user, pk=pk)
    try:
        services.merge_undo(actor=request.user, merge=merge)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Undone: {merge.absorbed} is back, as it was.")
    return redirect("resolution:merges")


# --- settings --------------------------------------------------------------------------


@login_required
@internal_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """Whether very likely pairs may be merged without a person (admins change it)."""
    if request.method == "POST":
        try:
            threshold = float(request.POST.get("auto_merge_threshold") or 0.99)
        except ValueError:
            threshold = -1.0
        try:
            services.settings_update(
                actor=request.user,
                auto_merge_enabled=request.POST.get("auto_merge_enabled") == "on",
                auto_merge_threshold=threshold,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Saved.")
            return redirect("resolution:settings")
    return render(
        request, "resolution/settings.html", {**SECTION, "settings_row": services.settings_get()}
    )
