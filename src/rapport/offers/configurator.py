"""Whether a configuration of a modular product is valid, and every rule it breaks, in words.

Pure Python (no Django, no database), so the configurator page can ask it on every tick
and a product with sixty options is checked in well under a millisecond. The offers
models turn a product's option groups, options and rules into `ProductRules`; services
refuse a configuration with breaches, naming each.

The rules a modular catalog has:
* a group takes `min_choices`..`max_choices` of its options (a required single choice is
  1..1; optional extras 0..n);
* an option `requires` other options (all of them) and `excludes` others (either way);
* an option is `only_for` some categories of customer (a tier, a segment, an industry:
  whatever the caller names the customer's categories).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    code: str
    name: str
    group: str
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    only_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    min_choices: int = 0
    max_choices: int | None = None


@dataclass(frozen=True)
class ProductRules:
    """A product's option groups and options, in the order they are shown."""

    groups: tuple[Group, ...]
    options: tuple[Option, ...]

    def __post_init__(self) -> None:
        codes = [o.code for o in self.options]
        if len(set(codes)) != len(codes):
            raise ValueError("option codes must be unique within a product")
        groups = {g.code for g in self.groups}
        for option in self.options:
            if option.group not in groups:
                raise ValueError(f"option {option.code!r} is in no group of the product")
        for group in self.groups:
            if group.min_choices < 0 or (
                group.max_choices is not None and group.max_choices < group.min_choices
            ):
                raise ValueError(f"group {group.code!r} takes an impossible number of choices")


@dataclass(frozen=True)
class Breach:
    """One rule a configuration breaks: which kind, where, and what to do, in words."""

    rule: str  # "unknown", "too few", "too many", "requires", "excludes", "only for"
    message: str
    group: str | None = None
    option: str | None = None


def _names(options: Iterable[Option]) -> str:
    names = [o.name for o in options]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def breaches(
    product: ProductRules,
    chosen: Iterable[str],
    *,
    customer_categories: Collection[str] = (),
) -> list[Breach]:
    """Every rule the chosen options break (none: the configuration is valid).

    Each breach is reported once, in the order the product shows its groups and options.
    """
    by_code = {o.code: o for o in product.options}
    picked = list(dict.fromkeys(chosen))
    found: list[Breach] = []
    for code in picked:
        if code not in by_code:
            found.append(
                Breach("unknown", f"There is no option {code!r} for this product.", option=code)
            )
    selected = [o for o in product.options if o.code in set(picked)]
    selected_codes = {o.code for o in selected}
    for group in product.groups:
        in_group = [o for o in selected if o.group == group.code]
        count = len(in_group)
        said = f" ({count} chosen: {_names(in_group)})" if count else " (none chosen)"
        if count < group.min_choices:
            found.append(
                Breach(
                    "too few",
                    f"Choose at least {group.min_choices} of {group.name}{said}.",
                    group=group.code,
                )
            )
        if group.max_choices is not None and count > group.max_choices:
            found.append(
                Breach(
                    "too many",
                    f"Choose at most {group.max_choices} of {group.name}{said}.",
                    group=group.code,
                )
            )
    reported_pairs: set[frozenset[str]] = set()
    categories = set(customer_categories)
    for option in selected:
        missing = [by_code[c] for c in option.requires if c in by_code and c not in selected_codes]
        if missing:
            found.append(
                Breach(
                    "requires",
                    f"{option.name} needs {_names(missing)}: add {'it' if len(missing) == 1 else 'them'} or drop {option.name}.",
                    group=option.group,
                    option=option.code,
                )
            )
        clashes = [
            other
            for other in selected
            if other.code != option.code
            and (other.code in option.excludes or option.code in other.excludes)
            and frozenset((option.code, other.code)) not in reported_pairs
        ]
        for other in clashes:
            reported_pairs.add(frozenset((option.code, other.code)))
            found.append(
                Breach(
                    "excludes",
                    f"{option.name} cannot go with {other.name}: choose one of them.",
                    group=option.group,
                    option=option.code,
                )
            )
        if option.only_for and not categories & set(option.only_for):
            allowed = ", ".join(option.only_for)
            found.append(
                Breach(
                    "only for",
                    f"{option.name} is only for customers in {allowed}.",
                    group=option.group,
                    option=option.code,
                )
            )
    return found
