"""Inserting many rows at once, with their audit history, for writers in bulk (imports).

Django's bulk_create prepares every value of every row through the field's full
conversion chain and, on SQLite, batches 999 parameters at a time; for an import of
hundreds of thousands of people with their identities, jobs and history that preparation
is most of the time. Here each column's conversion is chosen once (only dates, times,
decimals and JSON need one; text, numbers, booleans and keys go as they are). On
PostgreSQL the rows go in by COPY, their ids drawn from the table's sequence first; on
SQLite in multi-row INSERTs as large as it takes, returning the new ids in order.

The instances are the model's own (built with its defaults), so what is inserted is what
`save()` would store, minus what save() computes: callers set those (blocking keys, tree
paths) and must have validated the rows as the services would. History rows are the
django-simple-history rows `save()` would have made, with the actor as their user.

Beside the inserts, what else a bulk job needs to stay fast: looking up a batch's keys as
one array (`AnyOf`), and the garbage collector's full collections held off while it
holds a whole file in memory (`full_collections_deferred`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models.lookups import In
from django.utils import timezone

# Parameters per statement: SQLite (3.32+) takes 32,766, PostgreSQL 65,535.
_PARAMETERS = {"sqlite": 32000, "postgresql": 60000}
_CONVERTED = (
    models.DateTimeField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
    models.JSONField,
    models.UUIDField,
    models.DurationField,
)


class _Deferring:
    """Full collections held off: a count, as bulk jobs may nest or run in two threads."""

    lock = threading.Lock()
    jobs = 0
    threshold: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """Hold off the cyclic garbage collector's full collections while a bulk job runs.

    A bulk job keeps what it reads until it ends (every line of a file, its values, the
    records made), and each full collection walks all of it again, more often the more
    there is: without this, over half the CPU time of importing 20,000 contacts. Young
    objects are still collected as usual; the full collections resume when the last job
    ends.
    """
    with _Deferring.lock:
        if _Deferring.jobs == 0:
            _Deferring.threshold = gc.get_threshold()
            gc.set_threshold(_Deferring.threshold[0], _Deferring.threshold[1], 2**30)
        _Deferring.jobs += 1
    try:
        yield
    finally:
        with _Deferring.lock:
            _Deferring.jobs -= 1
            if _Deferring.jobs == 0:
                gc.set_threshold(*_Deferring.threshold)


class AnyOf(In):
    """`field IN (values)` that PostgreSQL receives as `field = ANY(array)`: one parameter.

    A lookup of a batch's thousands of keys (e-mails, external ids, account ids) as an IN
    list costs more in Django's compiler and psycopg's client-side binding, value by value,
    than the query costs the server; as one array it is a single literal. Used as an
    expression: `.filter(AnyOf(F("normalized"), values))`. Elsewhere (SQLite, or a field
    that is neither text nor an integer) it is the plain IN lookup.
    """

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        array = _array_type(self.lhs.output_field, connection)
        if array is None or not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        values = list(dict.fromkeys(value for value in self.rhs if value is not None))
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{array})", [*lhs_params, values]


def _array_type(field: models.Field, connection: Any) -> str | None:
    """The PostgreSQL array type of a batch of this field's values, if it is a plain one."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, (models.CharField, models.TextField)):
        return "text[]"  # not varchar(n)[]: a cast would cut a longer value to fit
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return f"{field.db_type(connection)}[]"
    return None


def _converter(field: models.Field, *, text: bool = False) -> Callable[[Any], Any] | None:
    """How a column's values are prepared for the database (None: they go as they are).

    With `text` (COPY), dates and times go as ISO text: psycopg writes a time zone-aware
    datetime into COPY slowly (about 1.4 us a value, as much as the rest of a row).
    """
    if not isinstance(field, _CONVERTED):
        return None
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    as_text = text and isinstance(field, (models.DateField, models.TimeField))
    # Rows inserted together mostly share their timestamps: convert each value once.
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in seen:
            prepared = field.get_db_prep_save(value, connection)
            seen[value] = prepared.isoformat() if as_text else prepared
        return seen[value]

    return convert


def _copy(
    model: type[models.Model],
    columns: list[models.Field],
    rows: Sequence[Sequence[Any]],
    returning: bool,
) -> list[Any]:
    """PostgreSQL: COPY the rows in (its fastest way in); ids drawn from the sequence first."""
    quote = connection.ops.quote_name
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    converting = [
        (index, convert)
        for index, field in enumerate(columns)
        if (convert := _converter(field, text=True)) is not None
    ]
    ids: list[Any] = []
    with connection.cursor() as cursor:
        if returning:
            # The sequence is named once (OFFSET 0 keeps the planner from inlining it back
            # into every row, where looking it up costs ten times the nextval).
            cursor.execute(
                "SELECT nextval(seq) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq"
                " OFFSET 0) AS named, generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        names = ", ".join(quote(field.column) for field in ([pk] if returning else []) + columns)
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for index, row in enumerate(rows):
                if converting:
                    row = list(row)
                    for column, convert in converting:
                        if row[column] is not None:
                            row[column] = convert(row[column])
                copy.write_row((ids[index], *row) if returning else row)
    return ids


def _insert(
    model: type[models.Model],
    columns: list[models.Field],
    rows: Sequence[Sequence[Any]],
    returning: bool = True,
) -> list[Any]:
    """INSERT the rows (values in `columns` order); the new primary keys, in order."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(model, columns, rows, returning)
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    converters = [_converter(field) for field in columns]
    names = ", ".join(quote(field.column) for field in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    size = max(1, _PARAMETERS.get(connection.vendor, 30000) // max(1, len(columns)))
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params: list[Any] = []
            for row in batch:
                for value, convert in zip(row, converters, strict=True):
                    params.append(value if convert is None or value is None else convert(value))
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "
                f"{', '.join([one] * len(batch))} RETURNING {quote(pk.column)}",
                params,
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _getter(kind: Callable[..., Any], keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """attrgetter or itemgetter of `keys` that always gives a tuple (one key gives a value)."""
    get = kind(*keys)
    if len(keys) == 1:
        return lambda source: (get(source),)
    return get


def objects_insert(objects: Sequence[models.Model]) -> None:
    """Insert new instances of one model; each gets its primary key."""
    if not objects:
        return
    model = type(objects[0])
    columns = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    values_of = _getter(attrgetter, [field.attname for field in columns])
    rows = [values_of(obj) for obj in objects]
    for obj, pk in zip(objects, _insert(model, columns, rows), strict=True):
        obj.pk = pk
        obj._state.adding = False


def rows_insert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    history_user: Any = None,
    at: datetime | None = None,
) -> list[Any]:
    """Insert rows given as {attname: value} (the rest take the fields' defaults); their ids.

    With a `history_user`, the rows' audit history is written too, made by that user: for
    the many small rows of a bulk write (identities, jobs) no model instance is built.
    """
    if not rows:
        return []
    columns = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    names = [field.attname for field in columns]
    defaults = [field.get_default() for field in columns]
    values = [list(map(row.get, names, defaults)) for row in rows]
    ids = _insert(model, columns, values)
    if history_user is not None:
        historical = model.history.model  # type: ignore[attr-defined]
        position = {field.attname: index for index, field in enumerate(columns)}
        tracked = [field.attname for field in historical.tracked_fields]
        by_attname = {field.attname: field for field in historical._meta.concrete_fields}
        assert model._meta.pk is not None
        pk_name = model._meta.pk.attname
        history_columns = [
            *(by_attname[name] for name in tracked),
            by_attname["history_date"],
            by_attname["history_change_reason"],
            by_attname["history_type"],
            by_attname["history_user_id"],
        ]
        at = at or timezone.now()
        # Each history row: the tracked values (the id first in the row picked from), then
        # when, no reason, "+" (created) and who.
        picked = _getter(itemgetter, [0 if n == pk_name else position[n] + 1 for n in tracked])
        made = (at, None, "+", history_user.pk)
        history = [(*picked((pk, *row)), *made) for pk, row in zip(ids, values, strict=True)]
        _insert(historical, history_columns, history, returning=False)
    return ids


def history_insert(
    objects: Sequence[models.Model], *, user: Any, change: str = "+", at: datetime | None = None
) -> None:
    """The audit history of inserted ("+") or changed ("~") instances, made by `user`."""
    if not objects:
        return
    model = type(objects[0])
    historical = model.history.model  # type: ignore[attr-defined]
    tracked = [field.attname for field in historical.tracked_fields]
    by_attname = {field.attname: field for field in historical._meta.concrete_fields}
    columns = [
        *(by_attname[name] for name in tracked),
        by_attname["history_date"],
        by_attname["history_change_reason"],
        by_attname["history_type"],
        by_attname["history_user_id"],
    ]
    at = at or timezone.now()
    user_id = getattr(user, "pk", None)
    values_of = _getter(attrgetter, tracked)
    made = (at, None, change, user_id)
    rows = [(*values_of(obj), *made) for obj in objects]
    _insert(historical, columns, rows, returning=False)
