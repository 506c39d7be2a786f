"""Sizes of the demo data set, its time span and the bulk-write batch sizes."""

from __future__ import annotations

import math
from collections.abc import Sequence

DEMO_PASSWORD = "rapport-demo"
DEMO_DOMAIN = "rapport.example"

# Target sizes. "accounts" counts customer organisations (tree roots); their units come
# in addition. Contacts and interactions are exact totals.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"accounts": 5, "contacts": 60, "interactions": 600, "partners": 4},
    "small": {"accounts": 40, "contacts": 600, "interactions": 15_000, "partners": 4},
    "medium": {"accounts": 2_000, "contacts": 30_000, "interactions": 500_000, "partners": 80},
    "large": {
        "accounts": 20_000,
        "contacts": 300_000,
        "interactions": 5_000_000,
        "partners": 400,
    },
}
for _p in SIZES.values():
    _p.update(managers=4, reps=10, linked_pct=25, partner_interaction_pct=8)
# People and organisations entered a second time (see duplicates.py): none in the tiny
# set, whose counts the tests check exactly; a queue's worth from small on.
for _p, _twice in zip(SIZES.values(), ((0, 0), (21, 4), (140, 20), (700, 60)), strict=True):
    _p.update(duplicate_contacts=_twice[0], duplicate_accounts=_twice[1])

# Organisations with their own catalog, prices, standard configurations and orders (the
# largest buying ones, see offers.py), and a quarter as many in talks with a quote.
for _p, _offered in zip(SIZES.values(), (3, 10, 60, 200), strict=True):
    _p.update(offer_organisations=_offered)

DAY = 86_400
HISTORY_DAYS = 3 * 365
INTERACTION_CHUNK = 25_000  # interactions per write (and commit, for small loads)
BULK_LOAD_MIN = 100_000  # from this many interactions on, rebuild indexes after the load
ROW_BATCH = 20_000  # rows per write for the other tables


IX_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "channel", "direction",
    "occurred_at", "subject", "summary", "outcome", "next_step", "partner_id", "logged_by_id",
)  # fmt: skip
PX_FIELDS = ("id", "interaction_id", "customer_id", "side", "contact_id", "user_id", "occurred_at")
TH_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "title", "status",
    "opened_by_id", "closed_at", "last_interaction_id", "last_interaction_at",
)  # fmt: skip
CM_FIELDS = (
    "id", "created_at", "updated_at", "customer_id", "account_id", "interaction_id", "thread_id",
    "owed_by", "owner_user_id", "description", "due_on", "status", "done_at", "done_by_id",
    "created_by_id",
)  # fmt: skip
THREAD_WINDOW_DAYS = 120  # threads and commitments for the interactions of this many days
THREAD_OPEN_DAYS = 60  # a thread with an exchange this recent is still open


class DemoError(Exception):
    """The demo data cannot be generated into this database as asked."""


def round_sig(x: float, digits: int = 2) -> int:
    if x < 10:
        return max(1, round(x))
    scale = 10 ** (int(math.log10(x)) - digits + 1)
    return int(round(x / scale) * scale)


def largest_remainder(weights: Sequence[float], total: int, minimum: int) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``."""
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise DemoError(f"cannot give {n} buckets at least {minimum} of {total}")
    wsum = sum(weights) or 1.0
    raw = [w * spare / wsum for w in weights]
    out = [int(r) for r in raw]
    left = spare - sum(out)
    order = sorted(range(n), key=lambda i: (out[i] - raw[i], i))
    for i in order[:left]:
        out[i] += 1
    return [o + minimum for o in out]
