"""Writes of the value records: categories, order lines, subscriptions, wallets, judgements.

Each function takes keyword-only arguments, runs in one transaction and records who did it
in the audit history. Every order line, subscription and wallet estimate carries the
customer organisation (the top of its account's tree) beside the unit it belongs to.

Who may write:
- order lines, subscriptions, wallet estimates: any role that may change customer data
  (admin, manager, rep; `access.ensure_can_write`);
- product categories and judgement scores: managers and admins only. A judgement is the
  customer manager's word on an organisation's strategic value, shown beside the model's
  figure; a category is shared catalogue every share and whitespace figure is cut by.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import Conflict, InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.services import soft_delete, validated_save
from rapport.memory.models import Fact
from rapport.valuation.models import (
    MONEY,
    BillingPeriod,
    JudgementScore,
    OrderLine,
    Subscription,
    SubscriptionStatus,
    TransactionSource,
    WalletEstimate,
    WalletSource,
    product_category_model,
)

if TYPE_CHECKING:
    # annotations only: offers (the catalog) is a layer above valuation
    from rapport.offers.models import ProductCategory
BULK_BATCH = 2000


def _live_account(account: Account, field: str = "account") -> Account:
    if account is None or account.pk is None or account.deleted_at is not None:
        raise InvalidInput("Choose a live account.", field=field)
    return account


def _text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput("This field cannot be blank.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"At most {max_length} characters.", field=field)
    return text


def _number(value: Any) -> Decimal | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None  # full_clean names the field that is not a number
    return number if number.is_finite() else None


def _check_signs(
    obj: models.Model, *, positive: Iterable[str] = (), not_negative: Iterable[str] = ()
) -> None:
    """Name the field of a sign rule the database constraints would only report as a whole."""
    for name in positive:
        number = _number(getattr(obj, name))
        if number is not None and number <= 0:
            raise InvalidInput("It must be more than zero.", field=name)
    for name in not_negative:
        number = _number(getattr(obj, name))
        if number is not None and number < 0:
            raise InvalidInput("It cannot be negative.", field=name)


def _check_external_id(obj: Any) -> None:
    """An external id names one record of its kind, deleted ones included (re-imports match on it)."""
    if obj.external_id and (
        type(obj)._default_manager.filter(external_id=obj.external_id).exclude(pk=obj.pk).exists()
    ):
        raise Conflict("A stored record has this external id already.", field="external_id")


# --- product categories ----------------------------------------------------------------


@transaction.atomic
def product_category_create(*, actor: User, name: str, description: str = "") -> ProductCategory:
    """Add a product category (managers and admins); names are unique, case-insensitively."""
    access.ensure(actor, access.Capability.JUDGE_VALUE)
    name = _text(name, "name", max_length=100, required=True)
    if product_category_model().objects.filter(name__iexact=name).exists():
        raise Conflict(f"A category named {name!r} exists already.", field="name")
    category = product_category_model()(
        name=name, description=_text(description, "description", max_length=300)
    )
    validated_save(category, actor=actor)
    return category


# --- order lines ------------------------------------------------------------------------

ORDER_LINE_FIELDS = frozenset(
    {
        "account",
        "ordered_on",
        "order_ref",
        "external_id",
        "product",
        "category",
        "quantity",
        "revenue",
        "cost",
        "discount",
        "source",
    }
)


@transaction.atomic
def order_line_create(
    *,
    actor: User,
    account: Account,
    category: ProductCategory,
    ordered_on: date,
    product: str,
    revenue: Decimal,
    quantity: Decimal = Decimal(1),
    cost: Decimal = Decimal(0),
    discount: Decimal = Decimal(0),
    order_ref: str = "",
    external_id: str = "",
    source: str = TransactionSource.MANUAL,
) -> OrderLine:
    """Record one line of one order for an org unit; revenue is net of discount."""
    access.ensure_can_write(actor)
    _live_account(account)
    line = OrderLine(
        customer_id=account.customer_pk,
        account=account,
        category=category,
        ordered_on=ordered_on,
        product=(product or "").strip(),
        revenue=revenue,
        quantity=quantity,
        cost=cost,
        discount=discount,
        order_ref=(order_ref or "").strip(),
        external_id=(external_id or "").strip(),
        source=source,
        recorded_by=actor,
    )
    _check_signs(line, positive=["quantity"], not_negative=["cost", "discount"])
    _check_external_id(line)
    validated_save(line, actor=actor)
    return line


@transaction.atomic
def order_line_update(
    *, actor: User, line: OrderLine, expected_version: int | None = None, **changes: Any
) -> OrderLine:
    """Correct an order line; only the fields given change. A new account moves its customer."""
    access.ensure_can_write(actor)
    if line.deleted_at is not None:
        raise NotFound("order line not found")
    unknown = sorted(set(changes) - ORDER_LINE_FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed.", field=unknown[0])
    if "account" in changes:
        account = _live_account(changes.pop("account"))
        line.account = account
        line.customer_id = account.customer_pk
    for name, value in changes.items():
        if name in {"product", "order_ref", "external_id"}:
            value = (value or "").strip()
        setattr(line, name, value)
    _check_signs(line, positive=["quantity"], not_negative=["cost", "discount"])
    _check_external_id(line)
    validated_save(line, actor=actor, expected_version=expected_version)
    return line


@transaction.atomic
def order_line_delete(*, actor: User, line: OrderLine) -> OrderLine:
    """Soft-delete an order line: it leaves every total and model, and can be restored."""
    access.ensure_can_write(actor)
    if line.deleted_at is None:
        soft_delete(line, actor=actor)
    return line


# --- subscriptions ----------------------------------------------------------------------

SUBSCRIPTION_FIELDS = frozenset(
    {
        "account",
        "name",
        "category",
        "external_id",
        "started_on",
        "ends_on",
        "renewal_on",
        "billing_period",
        "recurring_revenue",
        "recurring_cost",
        "source",
    }
)


def subscription_status_on(
    *, started_on: date, ends_on: date | None, today: date | None = None
) -> str:
    """The status a subscription that was not cancelled has on `today`, from its dates.

    Not started yet → pending; its term ended before today → expired; otherwise active.
    """
    today = today or timezone.localdate()
    if started_on > today:
        return SubscriptionStatus.PENDING
    if ends_on is not None and ends_on < today:
        return SubscriptionStatus.EXPIRED
    return SubscriptionStatus.ACTIVE


def _check_subscription_dates(subscription: Subscription) -> None:
    started, ends, renews = subscription.started_on, subscription.ends_on, subscription.renewal_on
    if not isinstance(started, date):
        return  # full_clean names the missing or bad start
    if isinstance(ends, date) and ends < started:
        raise InvalidInput("The term cannot end before it starts.", field="ends_on")
    if isinstance(renews, date):
        if renews < started:
            raise InvalidInput("The renewal cannot come before the start.", field="renewal_on")
        if isinstance(ends, date) and renews > ends:
            raise InvalidInput(
                "The renewal decision falls on or before the end of the term.", field="renewal_on"
            )


@transaction.atomic
def subscription_create(
    *,
    actor: User,
    account: Account,
    category: ProductCategory,
    name: str,
    started_on: date,
    recurring_revenue: Decimal,
    billing_period: str = BillingPeriod.MONTH,
    ends_on: date | None = None,
    renewal_on: date | None = None,
    recurring_cost: Decimal = Decimal(0),
    external_id: str = "",
    source: str = TransactionSource.MANUAL,
) -> Subscription:
    """Record a subscription or service contract; its status follows from its dates."""
    access.ensure_can_write(actor)
    _live_account(account)
    subscription = Subscription(
        customer_id=account.customer_pk,
        account=account,
        category=category,
        name=(name or "").strip(),
        started_on=started_on,
        ends_on=ends_on,
        renewal_on=renewal_on,
        billing_period=billing_period,
        recurring_revenue=recurring_revenue,
        recurring_cost=recurring_cost,
        external_id=(external_id or "").strip(),
        source=source,
        recorded_by=actor,
    )
    _check_subscription_dates(subscription)
    _check_signs(subscription, not_negative=["recurring_revenue", "recurring_cost"])
    _check_external_id(subscription)
    if isinstance(started_on, date):
        subscription.status = subscription_status_on(started_on=started_on, ends_on=ends_on)
    validated_save(subscription, actor=actor)
    return subscription


@transaction.atomic
def subscription_update(
    *,
    actor: User,
    subscription: Subscription,
    expected_version: int | None = None,
    **changes: Any,
) -> Subscription:
    """Change a subscription's terms (a renewal moves ends_on and renewal_on); status follows.

    A cancelled subscription is kept as it was when cancelled.
    """
    access.ensure_can_write(actor)
    if subscription.deleted_at is not None:
        raise NotFound("subscription not found")
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise Conflict("A cancelled subscription cannot be changed.", field="status")
    unknown = sorted(set(changes) - SUBSCRIPTION_FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed.", field=unknown[0])
    if "account" in changes:
        account = _live_account(changes.pop("account"))
        subscription.account = account
        subscription.customer_id = account.customer_pk
    for name, value in changes.items():
        if name in {"name", "external_id"}:
            value = (value or "").strip()
        setattr(subscription, name, value)
    _check_subscription_dates(subscription)
    _check_signs(subscription, not_negative=["recurring_revenue", "recurring_cost"])
    _check_external_id(subscription)
    if isinstance(subscription.started_on, date):
        subscription.status = subscription_status_on(
            started_on=subscription.started_on, ends_on=subscription.ends_on
        )
    validated_save(subscription, actor=actor, expected_version=expected_version)
    return subscription


@transaction.atomic
def subscription_cancel(
    *, actor: User, subscription: Subscription, cancelled_on: date | None = None
) -> Subscription:
    """Cancel a subscription: no renewal is pending any more; an open-ended one ends that day."""
    access.ensure_can_write(actor)
    if subscription.deleted_at is not None:
        raise NotFound("subscription not found")
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise Conflict("The subscription is cancelled already.", field="status")
    cancelled_on = cancelled_on or timezone.localdate()
    if cancelled_on < subscription.started_on:
        raise InvalidInput("It cannot be cancelled before it started.", field="cancelled_on")
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_on = cancelled_on
    subscription.renewal_on = None
    if subscription.ends_on is None or subscription.ends_on < cancelled_on:
        subscription.ends_on = cancelled_on
    validated_save(subscription, actor=actor)
    return subscription


@transaction.atomic
def subscriptions_refresh_status(*, today: date | None = None) -> int:
    """Move pending subscriptions that started to active, and ended ones to expired.

    A routine task (nightly); cancelled subscriptions stay cancelled. Returns how many changed.
    """
    today = today or timezone.localdate()
    live = Subscription.objects.filter(deleted_at__isnull=True)
    started = live.filter(status=SubscriptionStatus.PENDING, started_on__lte=today).filter(
        models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today)
    )
    ended = live.filter(
        status__in=[SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE], ends_on__lt=today
    )
    changed = ended.update(status=SubscriptionStatus.EXPIRED, updated_at=timezone.now())
    changed += started.update(status=SubscriptionStatus.ACTIVE, updated_at=timezone.now())
    return changed


# --- wallet estimates (D3) --------------------------------------------------------------


@transaction.atomic
def wallet_estimate_record(
    *,
    actor: User,
    account: Account,
    category: ProductCategory,
    annual_amount: Decimal,
    source: str,
    note: str = "",
    said_by: Contact | None = None,
    fact: Fact | None = None,
) -> WalletEstimate:
    """Record what an account spends a year in a category, with everyone; says where from.

    It supersedes the current estimate of the same account, category and source, which
    stays as history. A customer-said figure may name the contact who said it and the
    learning-memory fact it was recorded as; other sources carry neither.
    """
    access.ensure_can_write(actor)
    _live_account(account)
    if source not in WalletSource.values:
        raise InvalidInput(f"Unknown source {source!r}.", field="source")
    if source != WalletSource.CUSTOMER_SAID and (said_by is not None or fact is not None):
        field = "said_by" if said_by is not None else "fact"
        raise InvalidInput("Only a figure the customer said has who said it.", field=field)
    if said_by is not None and said_by.customer_id != account.customer_pk:
        raise InvalidInput("They do not work for this customer.", field="said_by")
    if fact is not None and fact.customer_id != account.customer_pk:
        raise InvalidInput("The fact is about another customer.", field="fact")
    now = timezone.now()
    current = (
        WalletEstimate.objects.select_for_update()
        .filter(account=account, category=category, source=source, superseded_at__isnull=True)
        .first()
    )
    if current is not None:
        current.superseded_at = now
        current._history_user = actor  # type: ignore[attr-defined]
        current.save(update_fields=["superseded_at", "updated_at"])
    estimate = WalletEstimate(
        customer_id=account.customer_pk,
        account=account,
        category=category,
        annual_amount=annual_amount,
        source=source,
        note=_text(note, "note", max_length=500),
        said_by=said_by,
        fact=fact,
        estimated_by=actor,
        estimated_at=now,
    )
    _check_signs(estimate, not_negative=["annual_amount"])
    validated_save(estimate, actor=actor)
    return estimate


# --- judgement scores (D4) --------------------------------------------------------------


@transaction.atomic
def judgement_record(*, actor: User, customer: Account, score: int, reason: str) -> JudgementScore:
    """A manager's judgement of an organisation's strategic value, 0 to 100, with the reason.

    Managers and admins only. It supersedes the organisation's current judgement, which
    stays as history; it never replaces the model's figure, it sits beside it.
    """
    access.ensure(actor, access.Capability.JUDGE_VALUE)
    _live_account(customer, "customer")
    if not customer.is_customer_root:
        raise InvalidInput("Judge the organisation, not one of its units.", field="customer")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise InvalidInput("The score is a whole number from 0 to 100.", field="score")
    reason = _text(reason, "reason", max_length=1000)
    if not reason:
        raise InvalidInput("Say why: a judgement needs its reason.", field="reason")
    now = timezone.now()
    current = (
        JudgementScore.objects.select_for_update()
        .filter(customer=customer, superseded_at__isnull=True)
        .first()
    )
    if current is not None:
        current.superseded_at = now
        current._history_user = actor  # type: ignore[attr-defined]
        current.save(update_fields=["superseded_at", "updated_at"])
    judgement = JudgementScore(
        customer=customer, score=score, reason=reason, author=actor, judged_at=now
    )
    validated_save(judgement, actor=actor)
    return judgement


# --- bulk writers for the importer and the demo -----------------------------------------


@dataclass
class _Column:
    kind: str  # "money", "quantity", "date", "text", "choice"
    required: bool = False
    max_length: int = 0
    choices: tuple[str, ...] = ()


_MONEY_LIMIT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])
_QUANTITY_LIMIT = Decimal(10) ** (14 - 3)

ORDER_LINE_COLUMNS: dict[str, _Column] = {
    "ordered_on": _Column("date", required=True),
    "product": _Column("text", required=True, max_length=200),
    "revenue": _Column("money", required=True),
    "quantity": _Column("quantity"),
    "cost": _Column("money"),
    "discount": _Column("money"),
    "order_ref": _Column("text", max_length=64),
    "external_id": _Column("text", max_length=128),
    "source": _Column("choice", choices=tuple(TransactionSource.values)),
}

SUBSCRIPTION_COLUMNS: dict[str, _Column] = {
    "name": _Column("text", required=True, max_length=200),
    "started_on": _Column("date", required=True),
    "recurring_revenue": _Column("money", required=True),
    "ends_on": _Column("date"),
    "renewal_on": _Column("date"),
    "cancelled_on": _Column("date"),
    "billing_period": _Column("choice", choices=tuple(BillingPeriod.values)),
    "recurring_cost": _Column("money"),
    "status": _Column("choice", choices=tuple(SubscriptionStatus.values)),
    "external_id": _Column("text", max_length=128),
    "source": _Column("choice", choices=tuple(TransactionSource.values)),
}

NOT_NEGATIVE = {"cost", "discount", "recurring_revenue", "recurring_cost"}


class RowErrors(InvalidInput):
    """Rows of a bulk write that break a rule. `errors` keys are "rows[<index>].<field>".

    `rows` maps the 0-based index of each bad row in the list given to its field errors.
    """

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        errors = {
            f"rows[{index}].{field}": messages
            for index, fields in sorted(rows.items())
            for field, messages in fields.items()
        }
        first = next(iter(errors))
        count = len(rows)
        super().__init__(
            f"{first}: {errors[first][0]} ({count} row{'s' if count != 1 else ''} with errors; "
            "nothing was saved)",
            errors=errors,
        )


def _cleaned(column: _Column, name: str, value: Any) -> Any:
    """A row's value for one column, or ValueError with a message naming what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise ValueError("This field is required.")
        return None
    if column.kind in {"money", "quantity"}:
        if isinstance(value, bool) or (isinstance(value, float) and value != value):
            raise ValueError("Enter a number.")
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError):
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a number.")
        places = 2 if column.kind == "money" else 3
        limit = _MONEY_LIMIT if column.kind == "money" else _QUANTITY_LIMIT
        if abs(number) >= limit:
            raise ValueError("The number is too large.")
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(f"At most {places} decimal places.")
        if column.kind == "quantity" and number <= 0:
            raise ValueError("The quantity must be more than zero.")
        if name in NOT_NEGATIVE and number < 0:
            raise ValueError("It cannot be negative.")
        return number
    if column.kind == "date":
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if hasattr(value, "date"):
            return value.date()
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    text = str(value).strip()
    if "\x00" in text:
        raise ValueError("Text may not contain NUL characters.")
    if column.kind == "choice":
        if text not in column.choices:
            raise ValueError(f"Not one of {', '.join(column.choices)}.")
        return text
    if len(text) > column.max_length:
        raise ValueError(f"At most {column.max_length} characters.")
    return text


def _clean_rows(
    rows: Sequence[dict[str, Any]], columns: dict[str, _Column]
) -> tuple[list[dict[str, Any]], dict[int, dict[str, list[str]]]]:
    allowed = set(columns) | {"account", "category"}
    cleaned: list[dict[str, Any]] = []
    problems: dict[int, dict[str, list[str]]] = {}
    for index, row in enumerate(rows):
        fields: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        if not isinstance(row, dict):
            problems[index] = {"row": ["Each row is a mapping of field names to values."]}
            cleaned.append(fields)
            continue
        for name in sorted(set(row) - allowed):
            errors[str(name)] = ["Not a field that can be imported."]
        account = row.get("account")
        if not isinstance(account, Account) or account.pk is None:
            errors["account"] = ["Name the account."]
        elif account.deleted_at is not None:
            errors["account"] = ["The account is deleted."]
        else:
            fields["account"] = account
        category = row.get("category")
        if not isinstance(category, product_category_model()) or category.pk is None:
            errors["category"] = ["Name the product category."]
        else:
            fields["category"] = category
        for name, column in columns.items():
            try:
                value = _cleaned(column, name, row.get(name))
            except ValueError as exc:
                errors[name] = [str(exc)]
                continue
            if value is not None:
                fields[name] = value
        if errors:
            problems[index] = errors
        cleaned.append(fields)
    return cleaned, problems


def _check_external_ids(
    model: type[models.Model],
    cleaned: list[dict[str, Any]],
    problems: dict[int, dict[str, list[str]]],
) -> None:
    """Refuse an external id used twice in the rows, or already stored (deleted rows too)."""
    seen: dict[str, int] = {}
    for index, fields in enumerate(cleaned):
        external_id = fields.get("external_id")
        if not external_id:
            continue
        if external_id in seen:
            problems.setdefault(index, {})["external_id"] = [
                f"The same external id as row {seen[external_id]}."
            ]
        else:
            seen[external_id] = index
    ids = list(seen)
    stored: set[str] = set()
    for start in range(0, len(ids), 500):
        stored |= set(
            model._default_manager.filter(external_id__in=ids[start : start + 500]).values_list(
                "external_id", flat=True
            )
        )
    for external_id in stored:
        problems.setdefault(seen[external_id], {})["external_id"] = [
            "A stored record has this external id already."
        ]


def _save_all(model: type[models.Model], objects: list[Any], actor: User, audit: bool) -> int:
    try:
        with transaction.atomic():
            if audit:
                bulk_create_with_history(objects, model, batch_size=BULK_BATCH, default_user=actor)
            else:
                model._default_manager.bulk_create(objects, batch_size=BULK_BATCH)
    except IntegrityError as exc:
        raise Conflict(f"The rows conflict with stored records: {exc}") from None
    return len(objects)


@transaction.atomic
def order_lines_bulk_create(
    *, actor: User, rows: Iterable[dict[str, Any]], audit: bool = True
) -> int:
    """Create many order lines at once: every row is checked first, then all are saved or none.

    Rows are dicts of OrderLine field values, with `account` an Account and `category` a
    ProductCategory; `customer` comes from the account. Errors name the row (its 0-based
    index in `rows`) and the field: InvalidInput (RowErrors) with keys "rows[i].field".
    Returns how many were created. Each row gets its audit-history entry; `audit=False`
    skips them (about half the writes), for generated demo and benchmark data only.
    """
    access.ensure_can_write(actor)
    rows = list(rows)
    cleaned, problems = _clean_rows(rows, ORDER_LINE_COLUMNS)
    _check_external_ids(OrderLine, cleaned, problems)
    if problems:
        raise RowErrors(problems)
    lines = [
        OrderLine(customer_id=fields["account"].customer_pk, recorded_by=actor, **fields)
        for fields in cleaned
    ]
    return _save_all(OrderLine, lines, actor, audit)


@transaction.atomic
def subscriptions_bulk_create(
    *, actor: User, rows: Iterable[dict[str, Any]], audit: bool = True
) -> int:
    """Create many subscriptions at once, checked first, saved all or none (like order lines).

    Without a `status`, it follows from the dates; a cancelled one needs `cancelled_on`.
    """
    access.ensure_can_write(actor)
    rows = list(rows)
    cleaned, problems = _clean_rows(rows, SUBSCRIPTION_COLUMNS)
    _check_external_ids(Subscription, cleaned, problems)
    today = timezone.localdate()
    for index, fields in enumerate(cleaned):
        errors = problems.setdefault(index, {})
        started, ends, renews = (
            fields.get("started_on"),
            fields.get("ends_on"),
            fields.get("renewal_on"),
        )
        if started is not None:
            if ends is not None and ends < started:
                errors.setdefault("ends_on", ["The term cannot end before it starts."])
            if renews is not None and renews < started:
                errors.setdefault("renewal_on", ["The renewal cannot come before the start."])
            if renews is not None and ends is not None and renews > ends:
                errors.setdefault(
                    "renewal_on", ["The renewal decision falls on or before the end of the term."]
                )
        status = fields.get("status")
        cancelled_on = fields.get("cancelled_on")
        if status == SubscriptionStatus.CANCELLED and cancelled_on is None:
            errors.setdefault("cancelled_on", ["Say when it was cancelled."])
        if cancelled_on is not None and status not in {None, SubscriptionStatus.CANCELLED}:
            errors.setdefault("status", ["A subscription with a cancellation date is cancelled."])
        if cancelled_on is not None and status is None:
            fields["status"] = SubscriptionStatus.CANCELLED
        elif status is None and started is not None:
            fields["status"] = subscription_status_on(started_on=started, ends_on=ends, today=today)
        if not errors:
            del problems[index]
    if problems:
        raise RowErrors(problems)
    subscriptions = [
        Subscription(customer_id=fields["account"].customer_pk, recorded_by=actor, **fields)
        for fields in cleaned
    ]
    return _save_all(Subscription, subscriptions, actor, audit)
