"""The importers of order lines and subscriptions: an account, a category, money and
dates per line, written in bulk through the valuation services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.core.tabular import Field, parse_date, parse_decimal
from rapport.transfer.lines import (
    BATCH,
    CHUNK,
    AccountFinder,
    Counts,
    Line,
    Progress,
    _choice,
    _guarded,
    _stable_id,
)
from rapport.transfer.models import ImportKind
from rapport.valuation.models import product_category_model


class _TransactionImporter:
    """What order lines and subscriptions share: an account, a category, money and dates."""

    kind: str
    fields: tuple[Field, ...]
    model: Any
    DATES: tuple[str, ...] = ()
    REQUIRED_DATES: tuple[str, ...] = ()
    MONEY: tuple[str, ...] = ()
    REQUIRED_MONEY: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()  # the fields whose values make a line's id when it has none
    _may_add_categories = False

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        ProductCategory = product_category_model()  # noqa: N806 -- the catalog's model, looked up

        finder = AccountFinder(actor)
        categories = {c.name.lower(): c for c in ProductCategory.objects.all()}
        self._may_add_categories = access.can(actor, access.Capability.JUDGE_VALUE)
        new_categories: dict[str, str] = {}
        seen: dict[str, Line] = {}
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start : start + CHUNK]
            for line in chunk:
                self._parse(line, finder, categories, new_categories)
            ids = [line.parsed["external_id"] for line in chunk if line.parsed.get("external_id")]
            stored = set(
                self.model.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
            )
            for line in chunk:
                external_id = line.parsed.get("external_id")
                if not external_id or line.errors:
                    continue
                if external_id in seen:
                    line.duplicate = {
                        "message": f"The same line as row {seen[external_id].number}.",
                        "matches": [],
                    }
                    continue
                seen[external_id] = line
                if external_id in stored:
                    line.done = "unchanged"
            progress(start + len(chunk))
        if new_categories:
            return [
                f"New product categories will be created: {', '.join(sorted(new_categories.values()))}."
            ]
        return []

    def _parse(
        self,
        line: Line,
        finder: AccountFinder,
        categories: dict[str, Any],
        new_categories: dict[str, str],
    ) -> None:
        parsed: dict[str, Any] = {}
        ref = line.text("account")
        if not ref:
            line.error("account", "Name the account (its name or external id).")
        else:
            found = finder.find(ref)
            if isinstance(found, str):
                line.error("account", found)
            else:
                parsed["account"] = found
        category = line.text("category")
        if not category:
            line.error("category", "Give the product category.")
        elif len(category) > 100:
            line.error("category", "Keep it under 100 characters.")
        else:
            parsed["category"] = categories.get(category.lower())
            parsed["category_name"] = category
            if parsed["category"] is None and not self._may_add_categories:
                line.error(
                    "category",
                    f"No product category {category!r}; only managers and admins may add one.",
                )
            elif parsed["category"] is None:
                new_categories.setdefault(category.lower(), category)
        for name in self.DATES:
            raw = line.text(name)
            if not raw:
                if name in self.REQUIRED_DATES:
                    line.error(name, "Give the date.")
                parsed[name] = None
                continue
            parsed[name] = parse_date(raw)
            if parsed[name] is None:
                line.error(name, f"{raw!r} is not a date (use 2025-03-31 or 31.03.2025).")
        for name in self.MONEY:
            raw = line.text(name)
            if not raw:
                if name in self.REQUIRED_MONEY:
                    line.error(name, "Give the amount.")
                continue
            number = parse_decimal(raw)
            if number is None:
                line.error(name, f"{raw!r} is not a number.")
            elif number < 0 and name != "revenue":
                line.error(name, "It cannot be negative.")
            elif abs(number) >= Decimal("1e13"):
                line.error(name, "The amount is too large.")
            else:
                parsed[name] = number.quantize(Decimal("0.001" if name == "quantity" else "0.01"))
        external_id = line.text("external_id")
        if len(external_id) > 128:
            line.error("external_id", "Keep it under 128 characters.")
        line.parsed = parsed
        self._parse_more(line)
        if not external_id and not line.errors:
            account = parsed["account"]
            external_id = _stable_id(
                self.kind, account.pk, *(str(parsed.get(n, line.text(n))) for n in self.identity)
            )
        parsed["external_id"] = external_id

    def _parse_more(self, line: Line) -> None:
        """The checks of one kind only."""

    def _category(self, actor: User, line: Line, made: dict[str, Any]) -> Any:
        ProductCategory = product_category_model()  # noqa: N806 -- the catalog's model, looked up

        category = line.parsed["category"]
        if category is not None:
            return category
        key = line.parsed["category_name"].lower()
        if key not in made:
            made[key] = ProductCategory.objects.filter(name__iexact=key).first()
        if made[key] is None:
            try:
                from rapport.valuation.services import product_category_create
            except ImportError:  # the records' services are not there yet
                made[key] = ProductCategory.objects.create(name=line.parsed["category_name"])
            else:
                made[key] = product_category_create(actor=actor, name=line.parsed["category_name"])
        return made[key]

    def _categorised(self, actor: User, line: Line, made: dict[str, Any]) -> None:
        line.parsed["category"] = self._category(actor, line, made)

    def _row(self, line: Line, category: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _bulk(self, actor: User, rows: list[dict[str, Any]]) -> int:
        raise NotImplementedError

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        counts = Counts()
        made: dict[str, Any] = {}
        # A category new to the catalog is made once, by the first row naming it; a refusal
        # is that row's error and every other row naming it shares it.
        refused: dict[str, list[tuple[str, str]]] = {}
        todo: list[Line] = []
        for line in lines:
            if line.parsed["category"] is None:
                key = line.parsed["category_name"].lower()
                if key in refused:
                    line.errors.extend(refused[key])
                    continue
                if key not in made and not _guarded(
                    line, {}, partial(self._categorised, actor, line, made)
                ):
                    refused[key] = list(line.errors)
                    continue
                line.parsed["category"] = made[key]
            todo.append(line)
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            while chunk:
                chunk = self._write_chunk(actor, chunk, counts)
            progress(min(start + BATCH, len(todo)))
        return counts

    def _write_chunk(self, actor: User, chunk: list[Line], counts: Counts) -> list[Line]:
        """Write a chunk in one bulk call; on refusal, note each bad line's errors and
        return the others to write again (the bulk writer saves all of a call or none)."""
        from rapport.valuation.services import RowErrors

        rows = [self._row(line, line.parsed["category"]) for line in chunk]
        try:
            with transaction.atomic():
                counts.created += self._bulk(actor, rows)
        except RowErrors as exc:
            for index, errors in exc.rows.items():
                for name, messages in errors.items():
                    chunk[index].error(name if name in self.field_names else "row", messages[0])
            rest = [line for index, line in enumerate(chunk) if index not in exc.rows]
            if len(rest) == len(chunk):  # refused without naming a row of ours: none go in
                for line in chunk:
                    line.error("row", exc.message)
                return []
            return rest
        except ApplicationError as exc:
            for line in chunk:
                line.error("row", exc.message)
        return []

    @property
    def field_names(self) -> set[str]:
        return {spec.name for spec in self.fields}


class OrderLineImporter(_TransactionImporter):
    """Lines of orders: who bought what, when, for how much."""

    kind = ImportKind.ORDER_LINES
    fields = (
        Field(
            "account",
            "Account (name or external id)",
            required=True,
            synonyms=("customer", "company", "account name", "sold to", "unit", "account id"),
        ),
        Field(
            "ordered_on",
            "Order date",
            required=True,
            synonyms=("date", "order date", "ordered", "invoice date"),
        ),
        Field(
            "product",
            "Product",
            required=True,
            synonyms=("item", "article", "sku", "product name", "description"),
        ),
        Field(
            "category",
            "Category",
            required=True,
            synonyms=("product category", "product line", "line of business", "group"),
        ),
        Field(
            "revenue",
            "Revenue",
            required=True,
            synonyms=("net revenue", "amount", "net", "sales", "value", "total"),
        ),
        Field("quantity", "Quantity", synonyms=("qty", "units", "count")),
        Field("cost", "Cost", synonyms=("cogs", "cost of goods", "cost of sales")),
        Field("discount", "Discount", synonyms=("rebate", "discount amount")),
        Field(
            "order_ref",
            "Order number",
            synonyms=("order", "order ref", "order id", "order no", "invoice", "invoice number"),
        ),
        Field(
            "external_id", "External id (of the line)", synonyms=("line id", "id", "order line id")
        ),
    )
    DATES = ("ordered_on",)
    REQUIRED_DATES = ("ordered_on",)
    MONEY = ("revenue", "quantity", "cost", "discount")
    REQUIRED_MONEY = ("revenue",)
    identity = ("ordered_on", "order_ref", "product", "quantity", "revenue")

    @property
    def model(self) -> Any:
        from rapport.valuation.models import OrderLine

        return OrderLine

    def _parse_more(self, line: Line) -> None:
        if len(line.text("product")) > 200:
            line.error("product", "Keep it under 200 characters.")
        elif not line.text("product"):
            line.error("product", "Give the product.")
        if len(line.text("order_ref")) > 64:
            line.error("order_ref", "Keep it under 64 characters.")
        quantity = line.parsed.get("quantity")
        if quantity is not None and quantity <= 0:
            line.error("quantity", "The quantity must be more than 0.")

    def _row(self, line: Line, category: Any) -> dict[str, Any]:
        parsed = line.parsed
        row = {
            "account": parsed["account"],
            "ordered_on": parsed["ordered_on"],
            "product": line.text("product"),
            "category": category,
            "revenue": parsed["revenue"],
            "order_ref": line.text("order_ref"),
            "external_id": parsed["external_id"],
            "source": "import",
        }
        for name in ("quantity", "cost", "discount"):
            if parsed.get(name) is not None:
                row[name] = parsed[name]
        return row

    def _bulk(self, actor: User, rows: list[dict[str, Any]]) -> int:
        from rapport.valuation.services import order_lines_bulk_create

        return order_lines_bulk_create(actor=actor, rows=rows)


class SubscriptionImporter(_TransactionImporter):
    """Subscriptions and service contracts: recurring revenue from a start date."""

    kind = ImportKind.SUBSCRIPTIONS
    fields = (
        Field(
            "account",
            "Account (name or external id)",
            required=True,
            synonyms=("customer", "company", "account name", "unit", "account id"),
        ),
        Field(
            "name",
            "Subscription",
            required=True,
            synonyms=(
                "subscription",
                "contract",
                "plan",
                "service",
                "product",
                "subscription name",
            ),
        ),
        Field(
            "category",
            "Category",
            required=True,
            synonyms=("product category", "product line", "line of business"),
        ),
        Field(
            "started_on",
            "Start date",
            required=True,
            synonyms=("start", "started", "start date", "from", "begin"),
        ),
        Field(
            "recurring_revenue",
            "Recurring revenue (per period)",
            required=True,
            synonyms=("revenue", "mrr", "fee", "price", "amount", "recurring revenue"),
        ),
        Field(
            "billing_period", "Billing period", synonyms=("period", "billing", "billed", "interval")
        ),
        Field("ends_on", "End date", synonyms=("end", "ends", "end date", "until", "to")),
        Field("renewal_on", "Renewal date", synonyms=("renewal", "renews", "renewal date")),
        Field("recurring_cost", "Recurring cost (per period)", synonyms=("cost", "recurring cost")),
        Field("status", "Status", synonyms=("state",)),
        Field(
            "external_id",
            "External id",
            synonyms=("id", "contract id", "subscription id", "contract number"),
        ),
    )
    DATES = ("started_on", "ends_on", "renewal_on")
    REQUIRED_DATES = ("started_on",)
    MONEY = ("recurring_revenue", "recurring_cost")
    REQUIRED_MONEY = ("recurring_revenue",)
    identity = ("name", "started_on")

    @property
    def model(self) -> Any:
        from rapport.valuation.models import Subscription

        return Subscription

    def _parse_more(self, line: Line) -> None:
        from rapport.valuation.models import BillingPeriod, SubscriptionStatus

        if not line.text("name"):
            line.error("name", "Give what is subscribed to.")
        elif len(line.text("name")) > 200:
            line.error("name", "Keep it under 200 characters.")
        started, ends = line.parsed.get("started_on"), line.parsed.get("ends_on")
        if isinstance(started, date) and isinstance(ends, date) and ends < started:
            line.error("ends_on", "The end is before the start.")
        for name, choices in (("billing_period", BillingPeriod), ("status", SubscriptionStatus)):
            raw = line.text(name)
            if not raw:
                continue
            value = _choice(raw, choices)
            aliases = {
                "monthly": "month",
                "quarterly": "quarter",
                "yearly": "year",
                "annual": "year",
                "annually": "year",
            }
            value = value or (aliases.get(raw.lower()) if name == "billing_period" else None)
            if value is None:
                line.error(
                    name,
                    f"Unknown {name.replace('_', ' ')} {raw!r}; use one of "
                    f"{', '.join(choices.values)}.",
                )
            line.parsed[name] = value

    def _row(self, line: Line, category: Any) -> dict[str, Any]:
        parsed = line.parsed
        row = {
            "account": parsed["account"],
            "name": line.text("name"),
            "category": category,
            "started_on": parsed["started_on"],
            "recurring_revenue": parsed["recurring_revenue"],
            "external_id": parsed["external_id"],
            "source": "import",
        }
        for name in ("ends_on", "renewal_on", "recurring_cost", "billing_period", "status"):
            if parsed.get(name) not in (None, ""):
                row[name] = parsed[name]
        return row

    def _bulk(self, actor: User, rows: list[dict[str, Any]]) -> int:
        from rapport.valuation.services import subscriptions_bulk_create

        return subscriptions_bulk_create(actor=actor, rows=rows)
