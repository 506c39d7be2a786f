"""The merge engine: re-point every row at the survivor, recording each change so it can be undone.

Generic on purpose. The rows to move are found by walking every model's foreign keys to
Contact or Account (simple_history's Historical* tables and this app's own audit rows
excepted), so a model added later is merged without a change here. Each change is kept
as a group {model, field, old, new, pks}; undo applies the groups backwards.

Unique rules are kept, not broken: when moving a row would give the survivor two rows a
unique constraint allows once (two current facts for one attribute, one buying role
twice, a second one-to-one row), the moved row is superseded (models with
`superseded_at`), soft-deleted (models with `deleted_at`) or, failing both, left with the
absorbed record — every such step recorded like any other change.

Account-scoped rows carry `customer`, the top of their tree. When an account subtree joins
another organisation, the customer of every row underneath changes too: each model's
rows are found through their anchor (their `account`, else their interaction's, contact's
or thread's account).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rapport.accounts import keys
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.core.errors import Conflict

CHUNK = 500
_SKIPPED_APPS = {"resolution"}
_ANCHORS = ("account", "interaction", "contact", "thread")

CONTACT_CHOICE_FIELDS = ("first_name", "last_name", "title", "status", "reports_to", "notes")
ACCOUNT_CHOICE_FIELDS = (
    "name",
    "industry",
    "website",
    "country",
    "city",
    "employees",
    "manager",
    "description",
)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _encode(value: Any) -> Any:
    """A stored value as JSON keeps it, losslessly (times to the microsecond, as ISO text)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _is_domain_model(model: type[models.Model]) -> bool:
    meta = model._meta
    if meta.app_label in _SKIPPED_APPS or meta.proxy:
        return False
    # simple_history's tables keep the audit trail as it was: never rewritten.
    return not (model.__name__.startswith("Historical") and hasattr(model, "instance_type"))


def referencing_fields(target: type[models.Model]) -> list[tuple[type[models.Model], Any]]:
    """Every (model, foreign key) pointing at `target` in a domain model, auto M2M tables too."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not _is_domain_model(model):
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is target:
                found.append((model, field))
    return found


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _attname(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(field.attname)


def anchor_path(model: type[models.Model]) -> str | None:
    """How a row reaches the account it belongs to: `account` or `<fk>__account`; None if not at all."""
    candidates = []
    for name in _ANCHORS:
        field = _field(model, name)
        if field is None or not (field.many_to_one or field.one_to_one):
            continue
        if name == "account":
            if field.related_model is Account:
                candidates.append((field.null, "account"))
        elif _field(field.related_model, "account") is not None:
            candidates.append((field.null, f"{name}__account"))
    # A non-null anchor first: a row always has it.
    for nullable, path in candidates:
        if not nullable:
            return path
    return candidates[0][1] if candidates else None


def _unique_sets(model: type[models.Model], field: Any) -> list[tuple[list[str], Q | None]]:
    """The unique rules that name `field`: (their fields, their condition)."""
    rules: list[tuple[list[str], Q | None]] = []
    if field.unique and not field.primary_key:
        rules.append(([field.name], None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field.name in constraint.fields:
            rules.append((list(constraint.fields), constraint.condition))
    for together in model._meta.unique_together:
        if field.name in together:
            rules.append((list(together), None))
    return rules


def _snapshot(model: type[models.Model], pks: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields]
    rows: dict[Any, dict[str, Any]] = {}
    for chunk in _chunks(list(pks)):
        for row in model._base_manager.filter(pk__in=chunk).values(*names):
            rows[row[model._meta.pk.attname]] = row
    return rows


class Recorder:
    """Applies changes with queryset updates and remembers each one for undo."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []
        self.moved: dict[str, int] = {}
        self.now = timezone.now()

    def change(
        self, model: type[models.Model], pks: list[Any], attname: str, old: Any, new: Any
    ) -> None:
        """Give rows `pks` (which all hold `old`) the value `new` in `attname`."""
        if not pks or old == new:
            return
        manager = model._base_manager
        for chunk in _chunks(pks):
            manager.filter(pk__in=chunk).update(**{attname: new})
        self.changes.append(
            {
                "model": model._meta.label,
                "field": attname,
                "old": _encode(old),
                "new": _encode(new),
                "pks": list(pks),
            }
        )

    def set_fields(self, obj: models.Model, values: dict[str, Any]) -> None:
        """Change some fields of one row, recording each old value."""
        model = type(obj)
        current = model._base_manager.filter(pk=obj.pk).values(*values).get()
        for attname, new in values.items():
            self.change(model, [obj.pk], attname, current[attname], new)

    def diff(
        self,
        model: type[models.Model],
        before: dict[Any, dict[str, Any]],
        after: dict[Any, dict[str, Any]],
    ) -> None:
        """Record what changed between two snapshots (changes made outside `set`)."""
        for pk, old_row in before.items():
            new_row = after.get(pk, {})
            for attname, old in old_row.items():
                new = new_row.get(attname, old)
                if new != old:
                    self.changes.append(
                        {
                            "model": model._meta.label,
                            "field": attname,
                            "old": _encode(old),
                            "new": _encode(new),
                            "pks": [pk],
                        }
                    )

    def count(self, model: type[models.Model], n: int) -> None:
        # Django's default plural of "contact identity" is "contact identitys".
        label = re.sub(r"([^aeiou])ys$", r"\1ies", str(model._meta.verbose_name_plural))
        self.moved[label] = self.moved.get(label, 0) + n

    def move(
        self,
        model: type[models.Model],
        field: Any,
        rows: models.QuerySet[Any],
        new: Any,
        *,
        old: Any,
    ) -> None:
        """Point `field` of `rows` (all holding `old`) at `new`, keeping unique rules."""
        pks = list(rows.values_list("pk", flat=True))
        if not pks:
            return
        skipped = self._settle_clashes(model, field, pks, new)
        moving = [pk for pk in pks if pk not in skipped]
        self.change(model, moving, field.attname, old, new)
        if field.name != "customer":
            self.count(model, len(moving))

    def _settle_clashes(
        self, model: type[models.Model], field: Any, pks: list[Any], new: Any
    ) -> set[Any]:
        """Supersede or soft-delete rows that would break a unique rule; return those to leave."""
        manager = model._base_manager
        names = {f.attname for f in model._meta.concrete_fields}
        leave: set[Any] = set()
        for fields, condition in _unique_sets(model, field):
            others = [_attname(model, name) for name in fields if name != field.name]
            ours: list[dict[str, Any]] = []
            for chunk in _chunks(pks):
                query = manager.filter(pk__in=chunk)
                if condition is not None:
                    query = query.filter(condition)
                ours.extend(query.values("pk", *others))
            if not ours:
                continue
            theirs_query = manager.filter(**{field.attname: new})
            if condition is not None:
                theirs_query = theirs_query.filter(condition)
            theirs: dict[tuple[Any, ...], Any] = {}
            if len(others) == 1:
                wanted = list({row[others[0]] for row in ours})
                for chunk in _chunks(wanted):
                    for row in theirs_query.filter(**{f"{others[0]}__in": chunk}).values(
                        "pk", *others
                    ):
                        theirs[(row[others[0]],)] = row["pk"]
            else:
                for row in theirs_query.values("pk", *others):
                    theirs[tuple(row[name] for name in others)] = row["pk"]
            for row in ours:
                clash = theirs.get(tuple(row[name] for name in others))
                if clash is None or row["pk"] in leave:
                    continue
                rule = str(condition)
                if "superseded_at" in rule and "superseded_by_id" in names:
                    self._supersede(model, row["pk"], clash)
                elif "deleted_at" in rule:
                    self.change(model, [row["pk"]], "deleted_at", None, self.now)
                else:
                    # Only staying put keeps this rule; a live copy is retired as well.
                    if "deleted_at" in names:
                        self.change(model, [row["pk"]], "deleted_at", None, self.now)
                    leave.add(row["pk"])
        return leave

    def _supersede(self, model: type[models.Model], ours: Any, theirs: Any) -> None:
        """Two current rows for one subject: the older is superseded by the newer."""
        order = "recorded_at" if _field(model, "recorded_at") is not None else "pk"
        rows = {
            row["pk"]: row[order]
            for row in model._base_manager.filter(pk__in=[ours, theirs]).values("pk", order)
        }
        older, newer = sorted((ours, theirs), key=lambda pk: (rows[pk], pk))
        self.change(model, [older], "superseded_at", None, self.now)
        self.change(model, [older], "superseded_by_id", None, newer)


def _repoint(
    rec: Recorder, target: type[models.Model], old: Any, new: Any, *, skip: Iterable[str] = ()
) -> None:
    """Move every row pointing at record `old` to record `new` (fields named in skip excepted)."""
    skipped = set(skip)
    for model, field in referencing_fields(target):
        label = f"{model._meta.label}.{field.name}"
        if label in skipped:
            continue
        rows = model._base_manager.filter(**{field.attname: old})
        if model is target:
            rows = rows.exclude(pk=new).exclude(pk=old)
        rec.move(model, field, rows, new, old=old)


def record_values(obj: models.Model) -> dict[str, Any]:
    """Every stored field of one record, as JSON keeps it."""
    return {f.attname: _encode(getattr(obj, f.attname)) for f in type(obj)._meta.concrete_fields}


def default_choices(
    keep: models.Model, absorbed: models.Model, fields: Iterable[str]
) -> dict[str, str]:
    """Per field, whose value wins by default: the newer non-empty one."""
    newer = "absorbed" if absorbed.updated_at > keep.updated_at else "keep"  # type: ignore[attr-defined]
    choices = {}
    for name in fields:
        attname = _attname(type(keep), name)
        mine, theirs = getattr(keep, attname), getattr(absorbed, attname)
        if theirs in (None, "") or mine == theirs:
            choices[name] = "keep"
        elif mine in (None, ""):
            choices[name] = "absorbed"
        else:
            choices[name] = newer
    return choices


def _chosen_values(
    keep: models.Model, absorbed: models.Model, choices: dict[str, str], fields: Iterable[str]
) -> dict[str, Any]:
    values = {}
    for name in fields:
        attname = _attname(type(keep), name)
        source = absorbed if choices.get(name) == "absorbed" else keep
        values[attname] = getattr(source, attname)
    return values


# --- contacts ----------------------------------------------------------------------------


def merge_contacts(
    keep: Contact, absorbed: Contact, choices: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Fold `absorbed` into `keep`; return the recorded changes and rows moved per kind."""
    rec = Recorder()
    values = _chosen_values(keep, absorbed, choices, CONTACT_CHOICE_FIELDS)
    if values["reports_to_id"] in (keep.pk, absorbed.pk):
        values["reports_to_id"] = None  # nobody reports to themselves
    values["match_key"] = keys.contact_match_key(values["first_name"], values["last_name"])
    engaged = [d for d in (keep.last_engaged_at, absorbed.last_engaged_at) if d is not None]
    values["last_engaged_at"] = max(engaged) if engaged else None
    values["updated_at"] = rec.now
    rec.set_fields(keep, values)

    # Rows that belong to the person (identities, consent, preferences) follow them to the
    # survivor's organisation; rows that belong to a unit (roles, facts) keep their unit.
    if keep.customer_id != absorbed.customer_id:
        for model, field in referencing_fields(Account):
            if field.name == "customer" and anchor_path(model) == "contact__account":
                rows = model._base_manager.filter(contact_id=absorbed.pk).exclude(
                    customer_id=keep.customer_id
                )
                for old in set(rows.values_list("customer_id", flat=True)):
                    rec.move(model, field, rows.filter(customer_id=old), keep.customer_id, old=old)

    # The survivor keeps its own primary e-mail and phone.
    for kind in (IdentityKind.EMAIL, IdentityKind.PHONE):
        if ContactIdentity.objects.filter(contact=keep, kind=kind, is_primary=True).exists():
            demoted = list(
                ContactIdentity.objects.filter(
                    contact=absorbed, kind=kind, is_primary=True
                ).values_list("pk", flat=True)
            )
            rec.change(ContactIdentity, demoted, "is_primary", True, False)

    _repoint(rec, Contact, absorbed.pk, keep.pk)
    rec.change(Contact, [absorbed.pk], "deleted_at", absorbed.deleted_at, rec.now)
    return rec.changes, rec.moved


# --- accounts ----------------------------------------------------------------------------


def merge_accounts(
    keep: Account, absorbed: Account, choices: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Fold `absorbed` and the units below it into `keep`; return changes and rows moved."""
    rec = Recorder()
    values = _chosen_values(keep, absorbed, choices, ACCOUNT_CHOICE_FIELDS)
    values["match_key"] = keys.account_match_key(values["name"])
    values["web_domain"] = keys.web_domain(values["website"])
    values["updated_at"] = rec.now
    rec.set_fields(keep, values)

    subtree = list(
        Account.objects.filter(path__startswith=absorbed.path)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    new_customer, old_customer = keep.customer_pk, absorbed.customer_pk

    # 1. The customer column of every row under the absorbed subtree, if it changes organisation.
    if new_customer != old_customer:
        for model, field in referencing_fields(Account):
            if field.name != "customer" or model is Account:
                continue
            anchor = anchor_path(model)
            if anchor is not None:
                rows = model._base_manager.filter(
                    **{f"{anchor}_id__in" if anchor == "account" else f"{anchor}__in": subtree}
                )
            elif absorbed.pk == old_customer:
                rows = model._base_manager.filter(customer_id=absorbed.pk)
            else:
                continue
            rec.move(
                model, field, rows.filter(customer_id=old_customer), new_customer, old=old_customer
            )

    # 2. Every row pointing at the absorbed account itself (contacts, interactions, facts,
    #    roles, partner links, orders, portal users, ...) now points at the survivor.
    _repoint(rec, Account, absorbed.pk, keep.pk, skip=_customer_fields())

    # 3. The tree: the absorbed account's units move under the survivor (treebeard keeps
    #    paths and counts right); their organisation, stage and the roll-up counters follow.
    touched = [*subtree, keep.pk]
    before = _snapshot(Account, touched)
    children = list(
        Account.objects.filter(path__startswith=absorbed.path, depth=absorbed.depth + 1)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    for pk in children:
        child = Account.objects.get(pk=pk)
        target = Account.objects.get(pk=keep.pk)
        Account.objects.move(child, target, pos="last-child")
    moved_units = [pk for pk in subtree if pk != absorbed.pk]
    stage = Account.objects.filter(pk=keep.pk).values_list("lifecycle_stage", flat=True).get()
    for chunk in _chunks(moved_units):
        Account.objects.filter(pk__in=chunk).update(customer_id=new_customer, lifecycle_stage=stage)
    latest = [d for d in (keep.last_interaction_at, absorbed.last_interaction_at) if d]
    Account.objects.filter(pk=keep.pk).update(
        interaction_count=models.F("interaction_count") + absorbed.interaction_count,
        last_interaction_at=max(latest) if latest else None,
    )
    Account.objects.filter(pk=absorbed.pk).update(
        interaction_count=0, last_interaction_at=None, deleted_at=rec.now
    )
    rec.diff(Account, before, _snapshot(Account, touched))
    if moved_units:
        rec.count(Account, len(moved_units))
    return rec.changes, rec.moved


def _customer_fields() -> list[str]:
    return [
        f"{model._meta.label}.{field.name}"
        for model, field in referencing_fields(Account)
        if field.name == "customer"
    ]


# --- undo --------------------------------------------------------------------------------


def undo_changes(changes: list[dict[str, Any]]) -> None:
    """Put every recorded value back, newest first; Conflict if a row changed since."""
    for change in reversed(changes):
        model = apps.get_model(change["model"])
        field = next(f for f in model._meta.concrete_fields if f.attname == change["field"])
        old = None if change["old"] is None else field.to_python(change["old"])
        new = None if change["new"] is None else field.to_python(change["new"])
        manager = model._base_manager
        for chunk in _chunks(change["pks"]):
            rows = manager.filter(pk__in=chunk)
            current = (
                rows.filter(**{change["field"]: new})
                if new is not None
                else rows.filter(**{f"{change['field']}__isnull": True})
            )
            if current.count() != len(chunk):
                raise Conflict(
                    f"{model._meta.verbose_name_plural.capitalize()} changed since the merge "
                    f"({field.name}); it cannot be undone exactly.",
                    field="merge",
                )
            rows.update(**{change["field"]: old})
