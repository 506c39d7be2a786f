"""The bulk writer of the demo: rows straight into tables, indexes rebuilt after large loads."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, cast

from django.apps import apps
from django.db import connection, models, transaction

from rapport.accounts.models import (
    Account,
    Contact,
    Partner,
)
from rapport.core.models import Role, User
from rapport.demo.sizes import DAY
from rapport.interactions.models import Interaction

# --------------------------------------------------------------------------------------
# Writing rows in bulk
# --------------------------------------------------------------------------------------


class Writer:
    """Writes tuples straight into tables: COPY on PostgreSQL, executemany on SQLite.

    Columns not given get their model default, computed once. Timestamps are passed as
    UTC text in the backend's storage format (``ts``), dates as ISO text.
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._plans: dict[tuple[type[models.Model], tuple[str, ...]], tuple[str, tuple]] = {}
        suffix = "+00:00" if self.vendor == "postgresql" else ""
        gmtime, strftime = time.gmtime, time.strftime
        # Formatting millions of timestamps: a table of the times of day and a cache of days.
        tod = [
            f" {h:02d}:{m:02d}:{s:02d}{suffix}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]
        days: dict[int, str] = {}

        def ts(seconds: int) -> str:
            d, r = divmod(seconds, DAY)
            ds = days.get(d)
            if ds is None:
                ds = days[d] = strftime("%Y-%m-%d", gmtime(d * DAY))
            return ds + tod[r]

        def day(seconds: int) -> str:
            d = seconds // DAY
            ds = days.get(d)
            if ds is None:
                ds = days[d] = strftime("%Y-%m-%d", gmtime(d * DAY))
            return ds

        self.ts, self.day = ts, day

    def _plan(self, model: type[models.Model], fields: tuple[str, ...]) -> tuple[str, tuple]:
        key = (model, fields)
        if key not in self._plans:
            opts = model._meta
            given = [cast(models.Field, opts.get_field(f)) for f in fields]
            given_names = {f.name for f in given}
            rest = [
                f for f in opts.concrete_fields if f.name not in given_names and not f.primary_key
            ]
            consts = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
            qn = connection.ops.quote_name
            cols = ", ".join(qn(f.column) for f in [*given, *rest])
            table = qn(opts.db_table)
            if self.vendor == "postgresql":
                sql = f"COPY {table} ({cols}) FROM STDIN"
            else:
                marks = ", ".join(
                    ["?" if self.vendor == "sqlite" else "%s"] * (len(given) + len(rest))
                )
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            self._plans[key] = (sql, consts)
        return self._plans[key]

    def write(
        self, model: type[models.Model], fields: Sequence[str], rows: list[tuple], raw: Any = None
    ) -> None:
        """Insert ``rows`` (tuples in the order of ``fields``). ``raw``: the DB-API
        connection to use, for a writer thread (Django's connections are per thread)."""
        if not rows:
            return
        sql, consts = self._plan(model, tuple(fields))
        if consts:
            rows = [r + consts for r in rows]
        if raw is None:
            connection.ensure_connection()
            raw = connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(sql) as copy:
                write_row = copy.write_row
                for r in rows:
                    write_row(r)
        elif self.vendor == "sqlite":
            raw.executemany(sql, rows)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            with connection.cursor() as cur:
                cur.executemany(sql, rows)


class BackgroundWriter:
    """Writes batches on a second thread while the main thread generates the next ones,
    so that on two cores Python and the database work at the same time.

    It uses the main thread's DB-API connection (inside its transaction); the main
    thread must not touch the database until ``close()``.
    """

    def __init__(self, writer: Writer) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.writer = writer
        self.queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.busy = 0.0
        self.thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            if self.error is not None:
                continue  # drain after a failure; close() re-raises it
            t0 = time.perf_counter()
            try:
                for model, fields, rows in batch:
                    self.writer.write(model, fields, rows, raw=self.raw)
            except BaseException as exc:
                self.error = exc
            self.busy += time.perf_counter() - t0

    def submit(self, batch: list[tuple]) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(batch, timeout=1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


# --------------------------------------------------------------------------------------
# Flushing customer data
# --------------------------------------------------------------------------------------

_ROOT_MODELS = (Account, Partner, Contact, Interaction)


def customer_data_models() -> list[type[models.Model]]:
    """Every model holding customer data: the account/contact/partner/interaction models
    and every project model (of any app but core) that points at one of them, directly or
    not; their history tables included. Ordered so that referencing tables come first."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("rapport.")
        and m._meta.app_label != "core"
        and m._meta.managed
        and not m._meta.proxy
    ]
    members: dict[type[models.Model], None] = dict.fromkeys(_ROOT_MODELS)
    for app_label in ("accounts", "interactions"):
        for m in apps.get_app_config(app_label).get_models(include_auto_created=True):
            members[m] = None
    changed = True
    while changed:
        changed = False
        for m in candidates:
            if m in members:
                continue
            if any(
                f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model in members
                for f in m._meta.concrete_fields
            ):
                members[m] = None
                changed = True
    # Topological order: a model before every model it references.
    order: list[type[models.Model]] = []
    state: dict[type[models.Model], int] = {}

    def visit(m: type[models.Model]) -> None:
        if state.get(m) == 2:
            return
        if state.get(m) == 1:  # a cycle: deferred constraints sort it out at commit
            return
        state[m] = 1
        for other in members:
            if other is not m and any(
                f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is m
                for f in other._meta.concrete_fields
            ):
                visit(other)
        state[m] = 2
        order.append(m)

    for m in sorted(members, key=lambda m: m._meta.label):
        visit(m)
    return order


def flush_customer_data(progress: Callable[[str], None]) -> None:
    t0 = time.perf_counter()
    data = customer_data_models()
    data_set = set(data)
    qn = connection.ops.quote_name
    # On SQLite, with foreign keys off (possible outside a transaction only) a DELETE of
    # a whole table drops its pages at once instead of checking every row.
    fast = connection.vendor == "sqlite" and not connection.in_atomic_block
    with connection.constraint_checks_disabled() if fast else nullcontext(), transaction.atomic():
        # Users tied to customer data (partner and portal users) go; staff users stay
        # and are reused by the generator.
        users_tied = User.objects.filter(
            models.Q(role__in=[Role.PARTNER, Role.PORTAL])
            | models.Q(partner__isnull=False)
            | models.Q(account__isnull=False)
        )
        users_tied.exclude(role__in=[Role.PARTNER, Role.PORTAL]).update(partner=None, account=None)
        users_tied.delete()
        # Rows outside the customer data that point into it: unlink or delete them.
        outside_refs: list[tuple[type[models.Model], models.Field]] = []
        for m in apps.get_models(include_auto_created=True):
            if m in data_set or m is User or not m._meta.managed or m._meta.proxy:
                continue
            for f in m._meta.concrete_fields:
                if (
                    f.is_relation
                    and (f.many_to_one or f.one_to_one)
                    and f.related_model in data_set
                    and getattr(f, "db_constraint", True)
                ):
                    outside_refs.append((m, f))
        referenced_from_outside = {f.related_model for _, f in outside_refs}
        referenced_from_outside |= {
            f.related_model
            for f in User._meta.concrete_fields
            if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model in data_set
        }
        with connection.cursor() as cur:
            for m, f in outside_refs:
                table, col = qn(m._meta.db_table), qn(f.column)
                if f.null:
                    cur.execute(f"UPDATE {table} SET {col} = NULL WHERE {col} IS NOT NULL")
                else:
                    cur.execute(f"DELETE FROM {table}")
            if connection.vendor == "postgresql":
                # TRUNCATE refuses tables with pending deferred checks (rows inserted
                # earlier in the same transaction): run those checks now.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                truncatable = [m for m in data if m not in referenced_from_outside]
                if truncatable:
                    cur.execute("TRUNCATE " + ", ".join(qn(m._meta.db_table) for m in truncatable))
                for m in data:
                    if m in referenced_from_outside:
                        cur.execute(f"DELETE FROM {qn(m._meta.db_table)}")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for m in data:
                    cur.execute(f"DELETE FROM {qn(m._meta.db_table)}")
    progress(f"flushed customer data from {len(data)} tables in {time.perf_counter() - t0:.1f} s")


@contextmanager
def indexes_rebuilt_after(
    tables: Sequence[type[models.Model]], say: Callable[[str], None]
) -> Iterator[None]:
    """Drop the secondary indexes (and on PostgreSQL the foreign keys) of ``tables``,
    and build them again at the end: a bulk load followed by one sort per index is
    much faster than maintaining every index (and checking every reference) row by row.

    Must run inside a transaction: DDL is transactional on SQLite and PostgreSQL, so a
    failed load rolls back to the tables as they were, indexes included. The tables
    stay locked for writing until the transaction ends.
    """
    assert connection.in_atomic_block
    qn = connection.ops.quote_name
    indexes: list[str] = []
    constraints: list[str] = []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses tables with pending deferred checks: run them now.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in tables:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                for name, definition in cur.fetchall():
                    cur.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                    constraints.append(
                        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                    )
                cur.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                    "AND NOT x.indisunique AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                    "ORDER BY i.relname",
                    [table],
                )
            elif connection.vendor == "sqlite":
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
                    [table],
                )
            else:  # pragma: no cover
                continue
            for name, definition in cur.fetchall():
                cur.execute(f"DROP INDEX {qn(name)}")
                indexes.append(definition)
    yield
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for sql in indexes + constraints:
            cur.execute(sql)
    say(
        f"rebuilt {len(indexes)} indexes and {len(constraints)} foreign keys "
        f"in {time.perf_counter() - t0:.1f} s"
    )
