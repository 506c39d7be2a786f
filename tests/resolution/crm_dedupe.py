"""Reading a dedupe run's outcome back in the ids of the CRM export it was loaded from."""

from __future__ import annotations

import itertools

from rapport.accounts.models import ContactIdentity, IdentityKind
from rapport.resolution.models import DuplicatePair, RecordKind


def external_ids() -> dict[int, list[str]]:
    """Each contact's external ids (several when import made two rows one contact)."""
    out: dict[int, list[str]] = {}
    rows = ContactIdentity.objects.filter(kind=IdentityKind.EXTERNAL_ID).values_list(
        "contact_id", "value"
    )
    for contact_id, value in rows:
        out.setdefault(contact_id, []).append(value)
    return out


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def found_pairs(*, not_sure: bool = False) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The pairs of export ids the product holds as one person, and those flagged not sure.

    One person: two rows the import made one contact, or a pair the batch run found at
    or above the threshold (with `not_sure`, the pairs flagged so instead). The pairs an
    import opened on weak evidence alone (a shared number) are the import's flags, not
    the batch run's findings, and are left out unless the run found them too.
    """
    ids = external_ids()
    merged = {
        _ordered(a, b) for values in ids.values() for a, b in itertools.combinations(values, 2)
    }
    sure, unsure = set(), set()
    pairs = DuplicatePair.objects.filter(kind=RecordKind.CONTACT, run__isnull=False).values_list(
        "left_contact_id", "right_contact_id", "not_sure"
    )
    for left, right, flagged in pairs:
        for a in ids.get(left, []):
            for b in ids.get(right, []):
                (unsure if flagged else sure).add(_ordered(a, b))
    return merged | sure, unsure
