"""The batch runner: load every contact or account in bulk, link them, store the pairs.

It follows the analytics pattern: `analytics.linkage.link_records` is the pure model
(splink on DuckDB); this runner loads records with `values_list`, calls it, and stores a
`DedupeRun` (progress, counts, model name, version, run time) and its `DuplicatePair`s.
A pair already decided (merged, rejected, deferred) is never reopened or overwritten:
a rejected pair stays rejected on the next run.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.core import runs
from rapport.core.errors import ApplicationError
from rapport.core.models import Run
from rapport.resolution import services
from rapport.resolution.models import (
    DedupeRun,
    DuplicatePair,
    PairSource,
    PairStatus,
    RecordKind,
)

log = logging.getLogger(__name__)


_CONTACT_PLACE = ("street", "city", "postcode", "region", "country")


def contact_records() -> tuple[list[dict[str, Any]], dict[int, int]]:
    """Every live contact as a person record, and each contact's unit.

    Every e-mail address and phone number a contact has is in its record, except team
    mailboxes (info@): several people read them. Phones are all marked shared (a
    switchboard serves a site) but most are one person's line or mobile; the engine
    leaves out the numbers that several records hold.
    """
    emails: dict[int, list[str]] = {}
    phones: dict[int, list[str]] = {}
    identities = ContactIdentity.objects.filter(
        kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE],
        contact__deleted_at__isnull=True,
        deleted_at__isnull=True,
    )
    identities = identities.exclude(kind=IdentityKind.EMAIL, shared=True)
    rows = identities.order_by("contact_id", "-is_primary", "id").values_list(
        "contact_id", "kind", "normalized"
    )
    for contact_id, kind, value in rows.iterator(chunk_size=5000):
        (emails if kind == IdentityKind.EMAIL else phones).setdefault(contact_id, []).append(value)
    place = list(_CONTACT_PLACE)
    birth = ["date_of_birth"] if settings.RAPPORT_CONTACT_BIRTH_DATE else []
    columns = [
        "pk",
        "first_name",
        "last_name",
        "title",
        "account_id",
        "customer_id",
        "customer__name",
    ]
    records, units = [], {}
    contacts = Contact.objects.order_by("pk").values_list(*columns, *place, *birth)
    for pk, first, last, title, unit, customer, organisation, *more in contacts.iterator(
        chunk_size=5000
    ):
        units[pk] = unit
        record = {
            "id": str(pk),
            "given_name": first,
            "surname": last,
            "organisation": organisation,
            "organisation_id": str(customer),
            "unit_id": str(unit),
            "emails": emails.get(pk, []),
            "phones": phones.get(pk, []),
            "title": title,
        }
        record.update(zip([*place, *birth], more, strict=True))
        if birth:
            record["date_of_birth"] = (
                record["date_of_birth"] and record["date_of_birth"].isoformat()
            )
        records.append(record)
    return records, units


def account_records() -> tuple[list[dict[str, Any]], dict[int, int]]:
    """Every live account as an organisation record (each is its own unit).

    Each record also carries its tree `path`, which the linkage ignores and
    `apart_in_tree` reads.
    """
    place = ["street", "city", "postcode", "region", "country"]
    rows = (
        Account.objects.filter(deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "path", "name", "web_domain", *place)
    )
    records, units = [], {}
    for pk, path, name, domain, *more in rows.iterator(chunk_size=5000):
        units[pk] = pk
        record = {"id": str(pk), "path": path, "name": name, "domain": domain or None}
        record.update(zip(place, more, strict=True))
        records.append(record)
    return records, units


def apart_in_tree(left: str, right: str) -> bool:
    """Whether two accounts' places in the tree say they are not one account.

    A unit is part of the organisation above it, not a copy of it. Two units under
    different parents (Procurement in two divisions, Quality Management at two
    customers) are two units, however alike their names and whatever address they
    share: a unit's name means something only within its parent. Duplicates of one
    unit sit under the same parent (after their organisations' duplicates are merged);
    an organisation entered twice is two top-level accounts.
    """
    step = Account.steplen
    if left.startswith(right) or right.startswith(left):
        return True
    both_units = len(left) > step and len(right) > step
    return both_units and left[:-step] != right[:-step]


def _by_id(linkage: Any, pk_of: dict[str, str]) -> Any:
    """The linkage with the records' ids back in place of their ranks."""
    from dataclasses import replace

    pairs = [
        replace(p, left_id=pk_of[p.left_id], right_id=pk_of[p.right_id]) for p in linkage.pairs
    ]
    clusters = [[pk_of[member] for member in cluster] for cluster in linkage.clusters]
    return replace(linkage, pairs=pairs, clusters=clusters)


def _linkage_within_tree(linkage: Any, records: list[dict[str, Any]]) -> Any:
    """The account linkage without the pairs the tree rules out (see `apart_in_tree`)."""
    from rapport.analytics.linkage import Linkage, connected_components

    path = {record["id"]: record["path"] for record in records}
    pairs = [p for p in linkage.pairs if not apart_in_tree(path[p.left_id], path[p.right_id])]
    clusters = connected_components([(p.left_id, p.right_id) for p in pairs if not p.not_sure])
    parameters = {
        **linkage.parameters,
        "apart_in_tree": len(linkage.pairs) - len(pairs),
        "pairs": sum(not p.not_sure for p in pairs),
        "not_sure": sum(p.not_sure for p in pairs),
        "clusters": len(clusters),
    }
    return Linkage(pairs, clusters, linkage.model, linkage.version, parameters)


def _store(run: DedupeRun, linkage: Any, units: dict[int, int]) -> tuple[int, int]:
    """Insert new pairs and refresh pending ones; decided pairs stay as they were."""
    kind = run.kind
    left_field, right_field = (
        ("left_contact_id", "right_contact_id")
        if kind == RecordKind.CONTACT
        else ("left_account_id", "right_account_id")
    )
    existing = {
        (left, right): (pk, status)
        for pk, left, right, status in DuplicatePair.objects.filter(kind=kind).values_list(
            "pk", left_field, right_field, "status"
        )
    }
    cluster_of = {}
    for number, members in enumerate(linkage.clusters, start=1):
        for member in members:
            cluster_of[member] = f"{run.pk}-{number}"
    new, refreshed = [], []
    for linked in linkage.pairs:
        left, right = sorted((int(linked.left_id), int(linked.right_id)))
        probability = min(max(float(linked.probability), 0.0), 1.0)
        cluster = cluster_of.get(linked.left_id, "")
        known = existing.get((left, right))
        if known is None:
            new.append(
                DuplicatePair(
                    kind=kind,
                    **{left_field: left, right_field: right},
                    left_unit_id=units[left],
                    right_unit_id=units[right],
                    probability=probability,
                    not_sure=linked.not_sure,
                    evidence=dict(linked.evidence),
                    cluster=cluster,
                    source=PairSource.BATCH,
                    run=run,
                )
            )
        elif known[1] == PairStatus.PENDING:
            refreshed.append(
                DuplicatePair(
                    pk=known[0],
                    probability=probability,
                    not_sure=linked.not_sure,
                    evidence=dict(linked.evidence),
                    cluster=cluster,
                    run=run,
                    left_unit_id=units[left],
                    right_unit_id=units[right],
                    updated_at=timezone.now(),
                )
            )
    with transaction.atomic():
        DuplicatePair.objects.bulk_create(new, batch_size=1000)
        DuplicatePair.objects.bulk_update(
            refreshed,
            [
                "probability",
                "not_sure",
                "evidence",
                "cluster",
                "run",
                "left_unit",
                "right_unit",
                "updated_at",
            ],
            batch_size=1000,
        )
    return len(new), len(refreshed)


def _auto_merge(run: DedupeRun, threshold: float) -> int:
    """Merge the pending pairs at or above the threshold, as the admin who allowed it."""
    allowed = services.settings_get()
    actor = allowed.updated_by or run.created_by
    if not allowed.auto_merge_enabled or actor is None:
        return 0
    merged = 0
    pairs = DuplicatePair.objects.filter(
        kind=run.kind, status=PairStatus.PENDING, not_sure=False, probability__gte=threshold
    ).order_by("-probability", "id")
    for pair in pairs.select_related(
        "left_contact", "right_contact", "left_account", "right_account"
    ):
        try:
            services.pair_merge(actor=actor, pair=pair, keep="left", automatic=True)
        except ApplicationError as exc:  # one side merged already, or a clash: leave for review
            log.info("auto-merge skipped pair %s: %s", pair.pk, exc.message)
            continue
        merged += 1
    return merged


class DedupeRunner(runs.Runner):
    """Load every contact or account, link them (splink), store the pairs, merge the surest."""

    job = "dedupe"

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        DedupeRun.objects.create(
            run=run,
            kind=options["kind"],
            threshold=options.get("threshold", 0.5),
            parameters={"auto_merge_above": options["auto_merge_above"]}
            if options.get("auto_merge_above")
            else {},
        )

    @cached_property
    def detail(self) -> DedupeRun:
        return DedupeRun.objects.get(run=self.run)

    def _stage(self, percent: int, stage: str) -> None:
        self.detail.stage = stage
        DedupeRun.objects.filter(pk=self.detail.pk).update(stage=stage)
        self.report(percent, 100)

    def _load(self) -> tuple[list[dict[str, Any]], dict[int, int]]:
        self._stage(5, "Loading records")
        detail = self.detail
        return contact_records() if detail.kind == RecordKind.CONTACT else account_records()

    def _calculate(
        self, loaded: tuple[list[dict[str, Any]], dict[int, int]]
    ) -> tuple[Any, dict[int, int]]:
        from rapport.analytics.linkage import link_records

        records, units = loaded
        detail = self.detail
        detail.records = len(records)
        self._stage(20, f"Linking {len(records):,} records")
        # The engine sees each record by its rank (zero-padded, so text order is pk order),
        # not by its id: its sampling and pair orientation then do not depend on where the
        # database's sequences stand, and one data set gives one result on every database.
        rank = {record["id"]: f"{n:010d}" for n, record in enumerate(records)}
        linkage = link_records(
            [{**record, "id": rank[record["id"]]} for record in records],
            kind="person" if detail.kind == RecordKind.CONTACT else "organisation",
            threshold=detail.threshold,
        )
        linkage = _by_id(linkage, {ranked: pk for pk, ranked in rank.items()})
        if detail.kind == RecordKind.ACCOUNT:
            linkage = _linkage_within_tree(linkage, records)
        return linkage, units

    def _store(self, calculated: tuple[Any, dict[int, int]]) -> dict[str, Any]:
        linkage, units = calculated
        detail = self.detail
        self._stage(80, f"Storing {len(linkage.pairs):,} pairs")
        detail.pairs_new, _ = _store(detail, linkage, units)
        detail.pairs_found = len(linkage.pairs)
        detail.clusters = len(linkage.clusters)
        self.run.model_name, self.run.model_version = linkage.model, linkage.version
        detail.parameters = {**detail.parameters, **_jsonable(linkage.parameters)}
        above = detail.parameters.get("auto_merge_above")
        if above:
            self._stage(90, "Merging the most certain pairs")
            detail.auto_merged = _auto_merge(detail, float(above))
        detail.stage = "Done"
        detail.save()
        return {"pairs": detail.pairs_found, "new": detail.pairs_new, "merged": detail.auto_merged}


def dedupe_run_execute(*, run: DedupeRun) -> DedupeRun:
    """Run one queued batch search: load, link, store, and auto-merge if allowed.

    A failure is stored on the run (status "failed", the error), not raised.
    """
    try:
        DedupeRunner.carry_out(run.run)
    except Exception:
        log.info("dedupe run %s failed", run.pk)
    run.refresh_from_db()
    run.run.refresh_from_db()
    return run


def _jsonable(value: Any) -> Any:
    """Model parameters as JSON can hold them (numbers, text, lists, dicts)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    return str(value)


def match_keys_fill(batch: int = 5000) -> int:
    """Give rows a bulk load left without blocking keys their keys (`rapport dedupe --keys`).

    One executemany per batch: a demo or import of 300,000 people is filled in seconds.
    """
    from django.db import connection

    from rapport.accounts import keys

    filled = 0
    contact_table = connection.ops.quote_name(Contact._meta.db_table)
    account_table = connection.ops.quote_name(Account._meta.db_table)
    contacts = (
        Contact.all_objects.filter(match_key="")
        .order_by("pk")
        .values_list("pk", "first_name", "last_name")
    )
    pending = list(contacts)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(pending), batch):
            rows = [
                (keys.contact_match_key(first, last), pk)
                for pk, first, last in pending[start : start + batch]
            ]
            cursor.executemany(f"UPDATE {contact_table} SET match_key = %s WHERE id = %s", rows)
            filled += len(rows)
        accounts = [
            (keys.account_match_key(name), keys.web_domain(website), pk)
            for pk, name, website in Account.objects.filter(match_key="").values_list(
                "pk", "name", "website"
            )
        ]
        for start in range(0, len(accounts), batch):
            cursor.executemany(
                f"UPDATE {account_table} SET match_key = %s, web_domain = %s WHERE id = %s",
                accounts[start : start + batch],
            )
    return filled + len(accounts)
