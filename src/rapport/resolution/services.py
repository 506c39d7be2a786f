"""Writes of identity resolution: merges and their undo, review decisions, runs, settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts.models import Account, Contact
from rapport.core import access, bulk
from rapport.core.errors import Conflict, InvalidInput, NotFound
from rapport.core.models import User
from rapport.resolution import merging
from rapport.resolution.models import (
    DedupeRun,
    DuplicatePair,
    MergeRecord,
    PairSource,
    PairStatus,
    RecordKind,
    ResolutionSettings,
)

_CHOICE_VALUES = {"keep", "absorbed"}


def _check_choices(choices: Mapping[str, str] | None, allowed: tuple[str, ...]) -> dict[str, str]:
    choices = dict(choices or {})
    for name, side in choices.items():
        if name not in allowed:
            raise InvalidInput(f"{name!r} cannot be chosen in a merge.", field="choices")
        if side not in _CHOICE_VALUES:
            raise InvalidInput(f"Choose 'keep' or 'absorbed' for {name}.", field="choices")
    return choices


def _live_contact(actor: User, pk: int, field: str) -> Contact:
    contact = Contact.objects.filter(pk=pk).select_related("account").first()
    if contact is None or not access.scope(actor, Contact.objects.filter(pk=pk)).exists():
        raise NotFound(f"Contact not found (id {pk}).", field=field)
    return contact


def _live_account(actor: User, pk: int, field: str) -> Account:
    account = access.visible_accounts(actor).filter(pk=pk).first()
    if account is None:
        raise NotFound(f"Account not found (id {pk}).", field=field)
    return account


def _settle_pair(pair: DuplicatePair | None, actor: User | None, status: str) -> None:
    if pair is not None:
        pair.status = status
        pair.decided_by = actor
        pair.decided_at = timezone.now()
        pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


@transaction.atomic
def contact_merge(
    *,
    actor: User,
    keep: Contact,
    absorbed: Contact,
    choices: Mapping[str, str] | None = None,
    pair: DuplicatePair | None = None,
    automatic: bool = False,
) -> MergeRecord:
    """Fold one contact into another: everything of theirs now belongs to the survivor."""
    access.ensure_can_write(actor)
    keep = _live_contact(actor, keep.pk, "keep")
    absorbed = _live_contact(actor, absorbed.pk, "absorbed")
    if keep.pk == absorbed.pk:
        raise InvalidInput("A contact cannot be merged into itself.", field="absorbed")
    chosen = {
        **merging.default_choices(keep, absorbed, merging.CONTACT_CHOICE_FIELDS),
        **_check_choices(choices, merging.CONTACT_CHOICE_FIELDS),
    }
    before = {"keep": merging.record_values(keep), "absorbed": merging.record_values(absorbed)}
    changes, moved = merging.merge_contacts(keep, absorbed, chosen)
    _settle_pair(pair, actor, PairStatus.ACCEPTED)
    return MergeRecord.objects.create(
        kind=RecordKind.CONTACT,
        keep_contact=keep,
        absorbed_contact=absorbed,
        pair=pair,
        choices=chosen,
        before=before,
        changes=changes,
        summary=moved,
        automatic=automatic,
        merged_by=actor,
    )


@transaction.atomic
def account_merge(
    *,
    actor: User,
    keep: Account,
    absorbed: Account,
    choices: Mapping[str, str] | None = None,
    pair: DuplicatePair | None = None,
    automatic: bool = False,
) -> MergeRecord:
    """Fold an account and every unit below it into another account."""
    access.ensure_can_write(actor)
    keep = _live_account(actor, keep.pk, "keep")
    absorbed = _live_account(actor, absorbed.pk, "absorbed")
    if keep.pk == absorbed.pk:
        raise InvalidInput("An account cannot be merged into itself.", field="absorbed")
    if keep.path.startswith(absorbed.path):
        raise InvalidInput(
            f"{keep.name} is one of {absorbed.name}'s own units: merge the other way round.",
            field="keep",
        )
    chosen = {
        **merging.default_choices(keep, absorbed, merging.ACCOUNT_CHOICE_FIELDS),
        **_check_choices(choices, merging.ACCOUNT_CHOICE_FIELDS),
    }
    before = {"keep": merging.record_values(keep), "absorbed": merging.record_values(absorbed)}
    changes, moved = merging.merge_accounts(keep, absorbed, chosen)
    _settle_pair(pair, actor, PairStatus.ACCEPTED)
    return MergeRecord.objects.create(
        kind=RecordKind.ACCOUNT,
        keep_account=keep,
        absorbed_account=absorbed,
        pair=pair,
        choices=chosen,
        before=before,
        changes=changes,
        summary=moved,
        automatic=automatic,
        merged_by=actor,
    )


@transaction.atomic
def merge_undo(*, actor: User, merge: MergeRecord) -> MergeRecord:
    """Put the database back exactly as it was before the merge."""
    access.ensure_can_write(actor)
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict("This merge was undone already.", field="merge")
    merging.undo_changes(merge.changes)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    if merge.pair_id is not None:
        DuplicatePair.objects.filter(pk=merge.pair_id).update(
            status=PairStatus.PENDING, decided_by=None, decided_at=None
        )
    return merge


@transaction.atomic
def pair_merge(
    *,
    actor: User,
    pair: DuplicatePair,
    keep: str = "left",
    choices: Mapping[str, str] | None = None,
    automatic: bool = False,
) -> MergeRecord:
    """Accept a pair: merge its two records, keeping the `left` or `right` one."""
    if keep not in {"left", "right"}:
        raise InvalidInput("Keep the 'left' or the 'right' record.", field="keep")
    if pair.status == PairStatus.ACCEPTED:
        raise Conflict("This pair was merged already.", field="status")
    survivor, other = (pair.left, pair.right) if keep == "left" else (pair.right, pair.left)
    merge = contact_merge if pair.kind == RecordKind.CONTACT else account_merge
    return merge(
        actor=actor,
        keep=survivor,  # type: ignore[arg-type]
        absorbed=other,  # type: ignore[arg-type]
        choices=choices,
        pair=pair,
        automatic=automatic,
    )


@transaction.atomic
def pair_decide(*, actor: User, pair: DuplicatePair, status: str) -> DuplicatePair:
    """Reject (not duplicates), defer, or reopen a pair; merging is `pair_merge`."""
    access.ensure_can_write(actor)
    allowed = {PairStatus.REJECTED, PairStatus.DEFERRED, PairStatus.PENDING}
    if status not in allowed:
        raise InvalidInput(
            "Decide 'rejected', 'deferred' or 'pending' (merge a pair to accept it).",
            field="status",
        )
    if pair.status == PairStatus.ACCEPTED:
        raise Conflict("This pair was merged; undo the merge instead.", field="status")
    _settle_pair(pair, actor if status != PairStatus.PENDING else None, status)
    return pair


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    return (a, b) if a.pk < b.pk else (b, a)


@transaction.atomic
def pair_open(
    *, actor: User, kind: str, first: Contact | Account, second: Contact | Account, score: float
) -> DuplicatePair:
    """Put two records found on entry into the review queue (or find their existing pair)."""
    access.ensure_can_write(actor)
    if first.pk == second.pk:
        raise InvalidInput("Pick two different records.", field="other")
    left, right = _ordered(first, second)
    if kind == RecordKind.CONTACT:
        lookup = {"left_contact": left, "right_contact": right}
        units = {"left_unit_id": left.account_id, "right_unit_id": right.account_id}
    elif kind == RecordKind.ACCOUNT:
        lookup = {"left_account": left, "right_account": right}
        units = {"left_unit_id": left.pk, "right_unit_id": right.pk}
    else:
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    pair, _ = DuplicatePair.objects.get_or_create(
        kind=kind,
        **lookup,
        defaults={
            **units,
            "probability": min(max(score, 0.0), 1.0),
            "source": PairSource.ONLINE,
            "evidence": {},
        },
    )
    return pair


def pairs_open(
    *,
    actor: User,
    kind: str,
    pairs: Sequence[tuple[Contact | Account, Contact | Account, float, dict[str, Any]]],
    source: str = PairSource.IMPORT,
) -> int:
    """Put many (first, second, score, evidence) pairs into the review queue at once.

    For writers in bulk (an import): one insert per batch, no history (pairs have none);
    a pair already in the queue stays as it is. Returns how many pairs were asked for.
    """
    access.ensure_can_write(actor)
    if kind not in RecordKind.values:
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    field = "contact" if kind == RecordKind.CONTACT else "account"
    now = timezone.now()
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for first, second, score, evidence in pairs:
        if first.pk == second.pk:
            continue
        left, right = _ordered(first, second)
        units = (
            (left.account_id, right.account_id)
            if isinstance(left, Contact) and isinstance(right, Contact)
            else (left.pk, right.pk)
        )
        rows.setdefault(
            (left.pk, right.pk),
            {
                "kind": kind,
                f"left_{field}_id": left.pk,
                f"right_{field}_id": right.pk,
                "left_unit_id": units[0],
                "right_unit_id": units[1],
                "probability": min(max(score, 0.0), 1.0),
                "source": source,
                "evidence": evidence,
                "created_at": now,
                "updated_at": now,
            },
        )
    known: set[tuple[int, int]] = set()
    lefts = sorted({left for left, _ in rows})
    for start in range(0, len(lefts), 2000):
        known.update(
            DuplicatePair.objects.filter(
                bulk.AnyOf(F(f"left_{field}_id"), lefts[start : start + 2000]), kind=kind
            ).values_list(f"left_{field}_id", f"right_{field}_id")
        )
    bulk.rows_insert(DuplicatePair, [row for key, row in rows.items() if key not in known])
    return len(rows)


def settings_get() -> ResolutionSettings:
    """The one settings row; automatic merging is off until an admin saves it."""
    return ResolutionSettings.objects.filter(pk=1).first() or ResolutionSettings(pk=1)


@transaction.atomic
def settings_update(
    *, actor: User, auto_merge_enabled: bool, auto_merge_threshold: float | None = None
) -> ResolutionSettings:
    """Allow or stop automatic merges of very likely pairs (admins only)."""
    access.ensure_admin(actor)
    row = settings_get()
    if auto_merge_threshold is not None:
        if not 0.5 <= auto_merge_threshold <= 1:
            raise InvalidInput(
                "The threshold is a probability between 0.5 and 1.", field="auto_merge_threshold"
            )
        row.auto_merge_threshold = auto_merge_threshold
    row.auto_merge_enabled = bool(auto_merge_enabled)
    row.updated_by = actor
    row.updated_at = timezone.now()
    row.save()
    return row


@transaction.atomic
def dedupe_run_create(
    *, actor: User, kind: str, threshold: float = 0.5, auto_merge_above: float | None = None
) -> DedupeRun:
    """Queue a batch search for duplicates; the task or the CLI runs it."""
    access.ensure_can_write(actor)
    if kind not in RecordKind.values:
        raise InvalidInput(f"Unknown kind {kind!r}: contact or account.", field="kind")
    if not 0 < threshold < 1:
        raise InvalidInput("The threshold is a probability between 0 and 1.", field="threshold")
    if auto_merge_above is not None:
        access.ensure_admin(actor)
        if not settings_get().auto_merge_enabled:
            raise Conflict(
                "Automatic merging is off; an admin can allow it on the Duplicates settings.",
                field="auto_merge_above",
            )
        if not 0.5 <= auto_merge_above <= 1:
            raise InvalidInput(
                "The threshold is a probability between 0.5 and 1.", field="auto_merge_above"
            )
    from rapport.resolution.runners import DedupeRunner

    run = DedupeRunner.queue(
        started_by=actor, kind=kind, threshold=threshold, auto_merge_above=auto_merge_above
    )
    return DedupeRun.objects.select_related("run").get(run=run)
