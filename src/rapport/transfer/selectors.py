"""Reads of import runs: staff see every run; nobody else sees any."""

from __future__ import annotations

from rapport.core import access, runs
from rapport.core.errors import NotFound
from rapport.core.models import User
from rapport.core.pagination import Page, clamp_limit, newest_after, page_of
from rapport.transfer.models import ImportRun


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
