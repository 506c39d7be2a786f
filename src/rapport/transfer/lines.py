"""What every importer shares: a line of a file, the counts of a write, finding the
account a line names, and writing one line so a refusal is reported, not lost."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower

from rapport.accounts.models import (
    Account,
)
from rapport.core import access
from rapport.core.bulk import AnyOf
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.core.tabular import header_key
from rapport.transfer.models import AccountKey

Progress = Callable[[int], None]
CHUNK = 500
# Rows checked and written together by the bulk importers: a few queries per batch.
BATCH = 2000


@dataclass
class Line:
    """One row of the file on its way in."""

    number: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    # A repeat of an earlier row (same personal e-mail, same name under the same parent):
    # {"message", "matches": []}, left out unless the user keeps duplicates. Or, with
    # "review": True, a probable duplicate on weak evidence (shared phone or mailbox, a
    # similar name): always created, and a review pair opened with each of `review`.
    duplicate: dict[str, Any] | None = None
    review: list[Any] = field(default_factory=list)  # records or earlier lines it may duplicate
    existing: Any = None  # the record this line updates
    parsed: dict[str, Any] = field(default_factory=dict)
    record: Any = None  # what the write made or updated
    done: str = ""  # set by check when nothing is left to write ("unchanged")

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def error(self, name: str, message: str) -> None:
        self.errors.append((name, message))

    def refused(self, exc: ApplicationError, fields: dict[str, str] | None = None) -> None:
        """A service's refusal as this line's errors, by the line's field names."""
        fields = fields or {}
        named = False
        for name, messages in exc.errors.items():
            self.error(fields.get(name, name), messages[0] if messages else exc.message)
            named = True
        if not named:
            self.error("row", exc.message)

    @property
    def flagged(self) -> bool:
        """A probable duplicate on weak evidence: created, and put up for review."""
        return self.duplicate is not None and bool(self.duplicate.get("review"))

    @property
    def repeat(self) -> bool:
        """The same record as an earlier row of the file (skipped unless kept)."""
        return self.duplicate is not None and not self.duplicate.get("review")


@dataclass
class Counts:
    """What a write did, by outcome; notes say what else it did (categories created...)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0  # created but put up for review as probable duplicates
    notes: list[str] = field(default_factory=list)


def _choice(value: str, choices: Any) -> str | None:
    """A choice given by its value or its label, in any case; None if it is neither."""
    key = header_key(value)
    for stored, label in choices.choices:
        if key in {header_key(stored), header_key(label)}:
            return stored
    return None


def _guarded(line: Line, fields: dict[str, str], write: Callable[[], None]) -> bool:
    """Run one line's writes in a savepoint; a refusal becomes the line's errors, by field."""
    try:
        with transaction.atomic():
            write()
    except ApplicationError as exc:
        named = False
        for name, messages in exc.errors.items():
            line.error(fields.get(name, name), messages[0] if messages else exc.message)
            named = True
        if not named:
            line.error("row", exc.message)
        return False
    except DjangoValidationError as exc:
        line.error("row", "; ".join(exc.messages))
        return False
    return True


def _changes(record: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """The given (non-empty) values that differ from the record's."""
    return {
        name: value
        for name, value in wanted.items()
        if value not in ("", None) and getattr(record, name) != value
    }


# --- finding accounts by name or external id ----------------------------------------------


class AccountFinder:
    """Accounts named in a file, by external id or by name, as the actor may see them."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self._by_ref: dict[str, Account | str] = {}

    def prefetch(self, refs: Iterable[str]) -> None:
        """Look up many references at once: a few queries, not one per reference."""
        wanted = {ref.strip() for ref in refs if ref and ref.strip()} - set(self._by_ref)
        if not wanted:
            return
        visible = access.visible_accounts(self.actor).select_related("customer")
        ordered = sorted(wanted)
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start : start + BATCH]
            keyed = dict(
                AccountKey.objects.filter(AnyOf(F("external_id"), batch)).values_list(
                    "external_id", "account_id"
                )
            )
            by_pk: dict[int, Account] = {}
            if keyed:
                by_pk = {a.pk: a for a in visible.filter(AnyOf(F("pk"), set(keyed.values())))}
            # A name is looked for only where no external id named a visible account.
            lowered = {ref.lower() for ref in batch if keyed.get(ref) not in by_pk}
            named: dict[str, list[Account]] = {}
            if lowered:
                accounts = visible.annotate(lowered=Lower("name"))
                for account in accounts.filter(AnyOf(F("lowered"), lowered)):
                    named.setdefault(account.name.lower(), []).append(account)
            for ref in batch:
                account = by_pk.get(keyed.get(ref, -1))
                if account is not None:
                    self._by_ref[ref] = account
                    continue
                same = named.get(ref.lower(), [])
                if not same:
                    self._by_ref[ref] = f"No account named {ref!r} (or with that external id)."
                elif len(same) > 1:
                    self._by_ref[ref] = (
                        f"Several accounts are named {ref!r}: give its external id instead."
                    )
                else:
                    self._by_ref[ref] = same[0]

    def find(self, ref: str) -> Account | str:
        """The account an external id or a unique name names, or the reason there is none."""
        ref = ref.strip()
        if ref not in self._by_ref:
            self._by_ref[ref] = self._lookup(ref)
        return self._by_ref[ref]

    def _lookup(self, ref: str) -> Account | str:
        visible = access.visible_accounts(self.actor)
        key = AccountKey.objects.filter(external_id=ref).values_list("account_id", flat=True)
        by_key = visible.filter(pk__in=key).select_related("customer").first()
        if by_key is not None:
            return by_key
        named = list(visible.filter(name__iexact=ref).select_related("customer")[:3])
        if not named:
            return f"No account named {ref!r} (or with that external id)."
        if len(named) > 1:
            return f"Several accounts are named {ref!r}: give its external id instead."
        return named[0]


# --- accounts ------------------------------------------------------------------------


def _stable_id(prefix: str, *parts: object) -> str:
    from rapport.transfer.ingestion import stable_id

    return f"{prefix}:{stable_id(*parts)[7:47]}"


def _duplicates_of_account(actor: User, **values: Any) -> list[dict[str, Any]]:
    try:
        from rapport.resolution.selectors import account_duplicates
    except ImportError:  # the online check is not installed: only exact matches count
        return []
    return [
        {
            "id": m.record.pk,
            "label": m.record.name,
            "score": round(float(m.score), 2),
            "reasons": list(m.reasons),
        }
        for m in account_duplicates(user=actor, limit=3, **values)
    ]


def _duplicates_of_contact(actor: User, **values: Any) -> list[dict[str, Any]]:
    try:
        from rapport.resolution.selectors import contact_duplicates
    except ImportError:
        return []
    return [
        {
            "id": m.record.pk,
            "label": m.record.full_name,
            "score": round(float(m.score), 2),
            "reasons": list(m.reasons),
        }
        for m in contact_duplicates(user=actor, limit=3, **values)
    ]
