"""Reads of import runs, ingestions and the review queue: staff see them all; nobody else any."""

from __future__ import annotations

from rapport.core import access, runs
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, newest_after, page_of
from rapport.transfer.models import ImportRun, IngestionItem, IngestionRun, ReviewStatus


def _internal(user: User) -> bool:
    return access.can(user, access.Capability.USE_STAFF_TOOLS)


def import_run_list(
    *, user: User, cursor: str | None = None, limit: int | None = None
) -> Page[ImportRun]:
    """Import runs newest first, for staff."""
    limit = clamp_limit(limit, default=20)
    if not _internal(user):
        return Page([], None)
    runs.sweep()  # a run whose worker died shows as failed, not "checking" for ever
    queryset = newest_after(
        ImportRun.objects.select_related("created_by", "run"), cursor, "created_at"
    )
    rows = list(queryset.order_by("-created_at", "-id")[: limit + 1])
    return page_of(rows, limit, lambda r: [r.created_at, r.id])


def import_run_get(*, user: User, pk: int) -> ImportRun:
    """One import run with its mapping, counts, errors and duplicates, for staff."""
    if not _internal(user):
        raise NotFound("import not found")
    runs.sweep()
    run = ImportRun.objects.select_related("created_by", "run").filter(pk=pk).first()
    if run is None:
        raise NotFound("import not found")
    return run


# --- e-mail and calendar ingestion (X10): runs and the review queue, for staff only ------


def ingestion_run_list(
    *, user: User, cursor: str | None = None, limit: int | None = None
) -> Page[IngestionRun]:
    """Imports newest first, for staff; nobody else sees any."""
    limit = clamp_limit(limit, default=20)
    if not _internal(user):
        return Page([], None)
    runs.sweep()  # a run whose worker died shows as failed, not "running" for ever
    queryset = IngestionRun.objects.select_related("created_by", "run")
    queryset = newest_after(queryset, cursor, "created_at")
    rows = list(queryset.order_by("-created_at", "-id")[: limit + 1])
    return page_of(rows, limit, lambda r: [r.created_at, r.id])


def ingestion_run_get(*, user: User, pk: int) -> IngestionRun:
    """One import with its counts and errors, for staff."""
    if not _internal(user):
        raise NotFound("ingestion run not found")
    runs.sweep()
    run = IngestionRun.objects.select_related("created_by", "run").filter(pk=pk).first()
    if run is None:
        raise NotFound("ingestion run not found")
    return run


def review_queue(
    *,
    user: User,
    status: str = ReviewStatus.OPEN,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[IngestionItem]:
    """Imported messages and events nobody could be matched to, newest first, for staff."""
    limit = clamp_limit(limit)
    if status not in ReviewStatus.values:
        raise InvalidInput(f"Unknown status {status!r}.", field="status")
    if not _internal(user):
        return Page([], None)
    # Ingestion always sets occurred_at (a row without a date is refused), so the
    # (occurred_at, id) key never meets a NULL.
    queryset = IngestionItem.objects.filter(status=status, occurred_at__isnull=False)
    queryset = newest_after(queryset, cursor, "occurred_at")
    queryset = queryset.select_related("run__run", "resolved_by", "interaction")
    rows = list(queryset.order_by("-occurred_at", "-id")[: limit + 1])
    return page_of(rows, limit, lambda i: [i.occurred_at, i.id])


def review_queue_size(*, user: User) -> int:
    """How many items wait for review (0 for anyone outside staff); one indexed count."""
    if not _internal(user):
        return 0
    return IngestionItem.objects.filter(status=ReviewStatus.OPEN).count()


def review_item_get(*, user: User, pk: int) -> IngestionItem:
    """One item of the review queue, for staff."""
    if not _internal(user):
        raise NotFound("review item not found")
    item = (
        IngestionItem.objects.select_related("run__run", "resolved_by", "interaction")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise NotFound("review item not found")
    return item
