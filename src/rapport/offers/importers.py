"""The importers of the catalog and of price agreements, run by transfer's import pipeline.

transfer sits below offers, so it cannot import these: OffersConfig.ready hands them down
(`transfer.importers.importer_add`). Each follows transfer's importer protocol: `kind`,
the `fields` a column may feed, the `capability` the kind needs beyond running imports,
`check` (every line read and judged, nothing written) and `write` (the lines left, each
through this app's services in a savepoint, so a refused row is that row's error and
the others go on). The pipeline runs `write` in the dry run too and rolls it back, so the
services' own rules (the catalog's currency, the account's own catalog, overlapping
dates) are reported in the dry run, by row and field.

A catalog row is the product of its SKU: a new SKU is added, a known one changed (its
version counts up, its history kept). A price row is the agreement of its account,
product and first day: a new one is agreed, a known one changed. As in every import, an
empty cell leaves a known record's value as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from rapport.core import access
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.core.tabular import Field, header_key, parse_date, parse_decimal
from rapport.offers import services
from rapport.offers.models import AgreementKind, PriceAgreement, Product, ProductCategory
from rapport.transfer.lines import BATCH, AccountFinder, Counts, Line, Progress
from rapport.transfer.models import ImportKind
from rapport.valuation import services as valuation_services

TOO_LARGE = Decimal("1e13")


def _amount(line: Line, name: str) -> Decimal | None:
    """A non-negative amount of money from a cell, or None (with the line's error if bad)."""
    raw = line.text(name)
    if not raw:
        return None
    number = parse_decimal(raw)
    if number is None:
        line.error(name, f"{raw!r} is not a number.")
        return None
    if number < 0:
        line.error(name, "It cannot be negative.")
        return None
    if number >= TOO_LARGE:
        line.error(name, "The amount is too large.")
        return None
    return number.quantize(Decimal("0.01"))


def _day(line: Line, name: str, *, required: bool = False) -> date | None:
    """A date from a cell, or None (with the line's error if bad)."""
    raw = line.text(name)
    if not raw:
        if required:
            line.error(name, "Give the date.")
        return None
    day = parse_date(raw)
    if day is None:
        line.error(name, f"{raw!r} is not a date (use 2025-03-31 or 31.03.2025).")
    return day


def _short(line: Line, name: str, limit: int | None) -> str:
    text = line.text(name)
    if limit is not None and len(text) > limit:
        line.error(name, f"Keep it under {limit} characters.")
    return text


def _written(line: Line, fields: dict[str, str], write: Callable[[], Any]) -> Any:
    """Run one row's service call in a savepoint; a refusal becomes the row's errors, by the
    row's own field names ("breaks.1.value" is the breaks column's)."""
    try:
        with transaction.atomic():
            return write()
    except ApplicationError as exc:
        named = False
        for name, messages in exc.errors.items():
            head = name.split(".", 1)[0]
            line.error(fields.get(head, head), messages[0] if messages else exc.message)
            named = True
        if not named:
            line.error("row", exc.message)
        return None


# --- the catalog: one product per row, by SKU -------------------------------------------------


class CatalogImporter:
    """Products by SKU: name, category (by name), unit, list price, cost, when sold, description.

    A category we do not have is created with the first row naming it, by those who may
    judge value (as the order-lines import does); for anyone else it is the row's error.
    """

    kind = ImportKind.CATALOG
    capability = access.Capability.MANAGE_CATALOG
    fields = (
        Field(
            "sku",
            "SKU",
            required=True,
            synonyms=(
                "article number",
                "article no",
                "item number",
                "item no",
                "part number",
                "product code",
                "product number",
                "artikelnummer",
            ),
        ),
        Field(
            "name",
            "Name",
            synonyms=("product", "product name", "item", "item name", "title", "bezeichnung"),
        ),
        Field(
            "category",
            "Category",
            synonyms=("product category", "product line", "line of business", "group"),
        ),
        Field("unit", "Unit", synonyms=("uom", "unit of measure", "sold per", "einheit")),
        Field(
            "list_price",
            "List price",
            synonyms=("price", "unit price", "list", "msrp", "rrp", "listenpreis"),
        ),
        Field("cost", "Cost", synonyms=("unit cost", "our cost", "cogs", "cost price")),
        Field(
            "active_from",
            "Sold from",
            synonyms=("active from", "available from", "launch", "launched", "valid from"),
        ),
        Field(
            "active_until",
            "Sold until",
            synonyms=("active until", "available until", "discontinued", "end of sale"),
        ),
        Field("description", "Description", synonyms=("details", "long description", "notes")),
    )
    # Only the SKU's column is required, so a file of SKUs and prices changes prices; a new
    # product needs these too, and a known one keeps its own where a cell is empty.
    NEW_NEEDS = ("name", "category", "list_price")
    TEXT: dict[str, int | None] = {"name": 200, "unit": 30, "description": None}

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        categories = {c.name.lower(): c for c in ProductCategory.objects.all()}
        may_add = access.can(actor, access.Capability.JUDGE_VALUE)
        new_categories: dict[str, str] = {}
        seen: dict[str, Line] = {}
        for start in range(0, len(lines), BATCH):
            batch = lines[start : start + BATCH]
            skus = {line.text("sku").upper() for line in batch if line.text("sku")}
            known = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
            for line in batch:
                self._parse(line, categories, may_add, new_categories)
                self._identify(line, known, seen)
            progress(start + len(batch))
        if new_categories:
            names = ", ".join(sorted(new_categories.values()))
            return [f"New product categories will be created: {names}."]
        return []

    def _parse(
        self,
        line: Line,
        categories: dict[str, ProductCategory],
        may_add: bool,
        new_categories: dict[str, str],
    ) -> None:
        given: dict[str, Any] = {}
        sku = _short(line, "sku", 64).upper()
        if not sku:
            line.error("sku", "Give the product's SKU.")
        for name, limit in self.TEXT.items():
            text = _short(line, name, limit)
            if text:
                given[name] = text
        category = _short(line, "category", 100)
        if category:
            found = categories.get(category.lower())
            if found is not None:
                given["category"] = found
            elif may_add:
                new_categories.setdefault(category.lower(), category)
                given["category"] = category  # made by the write, once, by its first row
            else:
                line.error(
                    "category",
                    f"No product category {category!r}; only managers and admins may add one.",
                )
        for name in ("list_price", "cost"):
            amount = _amount(line, name)
            if amount is not None:
                given[name] = amount
        for name in ("active_from", "active_until"):
            day = _day(line, name)
            if day is not None:
                given[name] = day
        line.parsed = {"sku": sku, "given": given}

    def _identify(self, line: Line, known: dict[str, Product], seen: dict[str, Line]) -> None:
        """The product a row is (by SKU), what it changes, and whether anything is left to do."""
        sku, given = line.parsed["sku"], line.parsed["given"]
        if not sku:
            return
        if sku in seen:
            line.error("sku", f"Row {seen[sku].number} has the same SKU.")
            return
        seen[sku] = line
        product = known.get(sku)
        if product is not None and product.deleted_at is not None:
            line.error(
                "sku",
                f"{product.name} ({sku}) was taken out of the catalog; give the new product "
                "its own SKU.",
            )
            return
        if product is None:
            for name in self.NEW_NEEDS:
                if name not in given and not any(f == name for f, _ in line.errors):
                    label = next(spec.label for spec in self.fields if spec.name == name)
                    line.error(name, f"Give the new product's {label.lower()}.")
        starts = given.get("active_from", product.active_from if product else None)
        ends = given.get("active_until", product.active_until if product else None)
        if starts and ends and ends < starts:
            line.error(
                "active_until" if "active_until" in given else "active_from",
                "The product cannot stop being sold before it starts.",
            )
        if line.errors or product is None:
            return
        line.existing = product
        changes = {name: value for name, value in given.items() if _differs(product, name, value)}
        line.parsed["changes"] = changes
        if not changes:
            line.done = "unchanged"

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        counts = Counts()
        made: dict[str, ProductCategory | None] = {}  # new categories, by lower-case name
        for index, line in enumerate(sorted(lines, key=lambda line: line.number), start=1):
            values = dict(line.parsed["given"] if line.existing is None else line.parsed["changes"])
            category = values.get("category")
            if isinstance(category, str):
                key = category.lower()
                if key in made and made[key] is None:
                    line.error("category", f"The category {category!r} could not be added.")
                    continue
                if key not in made:
                    made[key] = _written(
                        line, {}, partial(self._category_add, actor=actor, name=category)
                    )
                    if made[key] is None:
                        continue
                values["category"] = made[key]
            if line.existing is None:
                line.record = _written(
                    line, {}, partial(self._create, actor=actor, line=line, values=values)
                )
                counts.created += line.record is not None
            else:
                line.record = _written(
                    line, {}, partial(self._update, actor=actor, line=line, values=values)
                )
                counts.updated += line.record is not None
            if index % 100 == 0:
                progress(index)
        progress(len(lines))
        return counts

    @staticmethod
    def _category_add(*, actor: User, name: str) -> ProductCategory:
        return valuation_services.product_category_create(actor=actor, name=name)

    @staticmethod
    def _create(*, actor: User, line: Line, values: dict[str, Any]) -> Product:
        return services.product_create(actor=actor, sku=line.parsed["sku"], **values)

    @staticmethod
    def _update(*, actor: User, line: Line, values: dict[str, Any]) -> Product:
        product: Product = line.existing
        # The version read by the check: a change made since by someone else is refused.
        return services.product_update(
            actor=actor, product=product, expected_version=product.version, **values
        )


def _differs(product: Product, name: str, value: Any) -> bool:
    """Whether a row's value changes the product's (a category not yet made always does)."""
    if name == "category":
        return isinstance(value, str) or product.category_id != value.pk
    return bool(getattr(product, name) != value)


# --- price agreements: one per row, by account, product and first day --------------------------


BREAK = re.compile(r"^\s*([^:=]+?)\s*[:=]\s*(.+?)\s*$")
KIND_WORDS = {
    "fixed": AgreementKind.FIXED,
    "fixed_price": AgreementKind.FIXED,
    "price": AgreementKind.FIXED,
    "net_price": AgreementKind.FIXED,
    "discount": AgreementKind.DISCOUNT,
    "percent": AgreementKind.DISCOUNT,
    "percent_off": AgreementKind.DISCOUNT,
    "rebate": AgreementKind.DISCOUNT,
}


def agreement_kind(text: str) -> str | None:
    """fixed or discount, from its value, its label or a common word for it; None if neither."""
    key = header_key(text)
    for value, label in AgreementKind.choices:
        if key in {header_key(value), header_key(label)}:
            return value
    return KIND_WORDS.get(key)


def breaks_parse(text: str) -> list[list[Decimal]] | None:
    """Volume breaks written "50:12; 200:20" (from 50 units 12, from 200 20); None if not so."""
    found: list[list[Decimal]] = []
    for part in re.split(r"[;\n|]", text):
        if not part.strip():
            continue
        pair = BREAK.match(part)
        if pair is None:
            return None
        quantity, value = parse_decimal(pair.group(1)), parse_decimal(pair.group(2))
        if quantity is None or value is None:
            return None
        found.append([quantity, value])
    return found


def breaks_text(breaks: list[tuple[Decimal, Decimal]]) -> str:
    """Volume breaks as the import reads them: "50:12; 200:20"."""
    return "; ".join(f"{_plain(q)}:{_plain(v)}" for q, v in breaks)


def _plain(number: Decimal) -> str:
    """12.50 as "12.5", 50.00 as "50": no exponent, no trailing zeros."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class PriceImporter:
    """Price agreements: account, SKU, fixed or discount, value, volume breaks, currency, dates.

    Every row is agreed through `services.price_agreement_create` (or changed through
    `price_agreement_update` when the account already has an agreement for the product
    from the same day), so an import is held to the rules of a price agreed by hand: the
    catalog's currency, a product on the account's own catalog, no overlapping dates for
    the same unit and product, against what we have and against the file's earlier rows.
    """

    kind = ImportKind.PRICES
    capability = access.Capability.AGREE_PRICES
    fields = (
        Field(
            "account",
            "Account (name or external id)",
            required=True,
            synonyms=("customer", "company", "account name", "unit", "account id", "sold to"),
        ),
        Field(
            "sku",
            "SKU",
            required=True,
            synonyms=("article number", "item number", "product code", "part number"),
        ),
        Field(
            "kind",
            "Kind (fixed or discount)",
            required=True,
            synonyms=("type", "agreement kind", "price type", "pricing"),
        ),
        Field(
            "value",
            "Value (price, or percent off list)",
            required=True,
            synonyms=("price", "agreed price", "discount", "percent", "amount", "net price"),
        ),
        Field(
            "breaks",
            "Volume breaks (50:12; 200:20)",
            synonyms=("volume breaks", "tiers", "price breaks", "scale", "staffel"),
        ),
        Field("currency", "Currency", synonyms=("ccy", "currency code")),
        Field(
            "valid_from",
            "Valid from",
            required=True,
            synonyms=("from", "start", "starts", "start date", "effective from", "gultig ab"),
        ),
        Field(
            "valid_until",
            "Valid until",
            synonyms=("until", "to", "end", "ends", "end date", "expires", "gultig bis"),
        ),
        Field("note", "Note", synonyms=("notes", "comment", "remarks")),
    )
    # The services' field names, as the file's.
    FIELDS = {"product": "sku", "account": "account"}
    TERMS = ("kind", "value", "breaks", "currency", "valid_until", "note")

    def check(self, *, actor: User, lines: list[Line], progress: Progress) -> list[str]:
        finder = AccountFinder(actor)
        for start in range(0, len(lines), BATCH):
            batch = lines[start : start + BATCH]
            finder.prefetch(line.text("account") for line in batch)
            skus = {line.text("sku").upper() for line in batch if line.text("sku")}
            products = {
                p.sku: p for p in Product.objects.filter(sku__in=skus, deleted_at__isnull=True)
            }
            for line in batch:
                self._parse(line, finder, products)
            self._identify(batch)
            progress(start + len(batch))
        return []

    def _parse(self, line: Line, finder: AccountFinder, products: dict[str, Product]) -> None:
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
        sku = line.text("sku").upper()
        if not sku:
            line.error("sku", "Give the product's SKU.")
        elif sku not in products:
            line.error("sku", f"No product with the SKU {sku!r} in the catalog.")
        else:
            parsed["product"] = products[sku]
        raw_kind = line.text("kind")
        if not raw_kind:
            line.error("kind", "Say fixed (a price per unit) or discount (percent off list).")
        else:
            kind = agreement_kind(raw_kind)
            if kind is None:
                line.error("kind", f"Unknown kind {raw_kind!r}; use fixed or discount.")
            parsed["kind"] = kind
        raw_value = line.text("value")
        if not raw_value:
            line.error("value", "Give the price, or the percent off list.")
        else:
            parsed["value"] = parse_decimal(raw_value)
            if parsed["value"] is None:
                line.error("value", f"{raw_value!r} is not a number.")
        if line.text("breaks"):
            parsed["breaks"] = breaks_parse(line.text("breaks"))
            if parsed["breaks"] is None:
                line.error(
                    "breaks",
                    f"{line.text('breaks')!r}: write each break as quantity:value, "
                    "separated by ';' (50:12; 200:20).",
                )
        if line.text("currency"):
            parsed["currency"] = line.text("currency").upper()
        parsed["valid_from"] = _day(line, "valid_from", required=True)
        if line.text("valid_until"):
            parsed["valid_until"] = _day(line, "valid_until")
        if line.text("note"):
            parsed["note"] = _short(line, "note", 500)
        line.parsed = parsed

    def _identify(self, batch: list[Line]) -> None:
        """The agreement each row is (same account, product and first day), and its changes."""
        good = [line for line in batch if not line.errors]
        known: dict[tuple[int, int, date], PriceAgreement] = {}
        if good:
            rows = PriceAgreement.objects.filter(
                account_id__in={line.parsed["account"].pk for line in good},
                product_id__in={line.parsed["product"].pk for line in good},
                valid_from__in={line.parsed["valid_from"] for line in good},
                deleted_at__isnull=True,
            )
            known = {(a.account_id, a.product_id, a.valid_from): a for a in rows}
        for line in good:
            # Two rows of the same day overlap: the write refuses the later, if the earlier
            # was written (a refused row blocks nothing).
            parsed = line.parsed
            agreement = known.get(
                (parsed["account"].pk, parsed["product"].pk, parsed["valid_from"])
            )
            if agreement is None:
                continue
            line.existing = agreement
            changes = {
                name: parsed[name]
                for name in self.TERMS
                if name in parsed and not self._same(agreement, name, parsed[name])
            }
            parsed["changes"] = changes
            if not changes:
                line.done = "unchanged"

    @staticmethod
    def _same(agreement: PriceAgreement, name: str, value: Any) -> bool:
        if name == "breaks":
            return [(Decimal(q), Decimal(v)) for q, v in value] == agreement.break_list()
        if name == "currency":
            return str(value).upper() == agreement.currency
        return bool(getattr(agreement, name) == value)

    def write(self, *, actor: User, lines: list[Line], progress: Progress) -> Counts:
        counts = Counts()
        # What the file has agreed so far, by unit and product: a later row may not overlap it.
        placed: dict[tuple[int, int], list[tuple[Line, date, date | None]]] = {}
        for index, line in enumerate(sorted(lines, key=lambda line: line.number), start=1):
            parsed = line.parsed
            account, product = parsed["account"], parsed["product"]
            existing: PriceAgreement | None = line.existing
            starts = parsed["valid_from"]
            ends = parsed.get("valid_until", existing.valid_until if existing else None)
            earlier = placed.setdefault((account.pk, product.pk), [])
            clash = next((o for o in earlier if _overlap(starts, ends, o[1], o[2])), None)
            if clash is not None:
                line.error(
                    "valid_from",
                    f"Row {clash[0].number} prices {product.name} for {account.name} "
                    f"{_span(clash[1], clash[2])}: the dates overlap.",
                )
                continue
            if existing is None:
                line.record = _written(
                    line, self.FIELDS, partial(self._create, actor=actor, parsed=parsed)
                )
                counts.created += line.record is not None
            else:
                line.record = _written(
                    line, self.FIELDS, partial(self._update, actor=actor, line=line)
                )
                counts.updated += line.record is not None
            if line.record is not None:
                earlier.append((line, starts, ends))
            if index % 100 == 0:
                progress(index)
        progress(len(lines))
        return counts

    def _create(self, *, actor: User, parsed: dict[str, Any]) -> PriceAgreement:
        return services.price_agreement_create(
            actor=actor,
            account=parsed["account"],
            product=parsed["product"],
            valid_from=parsed["valid_from"],
            **{name: parsed[name] for name in self.TERMS if name in parsed},
        )

    @staticmethod
    def _update(*, actor: User, line: Line) -> PriceAgreement:
        agreement: PriceAgreement = line.existing
        return services.price_agreement_update(
            actor=actor,
            agreement=agreement,
            expected_version=agreement.version,
            **line.parsed["changes"],
        )


def _overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    return (a_until is None or b_from <= a_until) and (b_until is None or a_from <= b_until)


def _span(starts: date, ends: date | None) -> str:
    return f"from {starts.isoformat()} to {ends.isoformat()}" if ends else f"from {starts} on"
