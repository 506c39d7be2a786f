"""The configurator's rules: every kind, with the words it says (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.offers.configurator import Group, Option, ProductRules, breaches

LAPTOP = ProductRules(
    groups=(
        Group("cpu", "Processor", 1, 1),
        Group("memory", "Memory", 1, 2),
        Group("extras", "Extras", 0, None),
        Group("service", "Service level", 0, 1),
    ),
    options=(
        Option("i5", "Core i5", "cpu"),
        Option("i7", "Core i7", "cpu"),
        Option("m16", "16 GB", "memory"),
        Option("m32", "32 GB", "memory", requires=("i7",)),
        Option("m64", "64 GB", "memory", requires=("i7", "cooling")),
        Option("dock", "Docking station", "extras", excludes=("stand",)),
        Option("stand", "Floor stand", "extras"),
        Option("cooling", "Cooling pad", "extras"),
        Option("gold", "Gold support", "service", only_for=("Key account", "Strategic")),
        Option("basic", "Basic support", "service"),
    ),
)


def _said(chosen, categories=()):
    return [(b.rule, b.message) for b in breaches(LAPTOP, chosen, customer_categories=categories)]


def test_a_valid_configuration_breaks_nothing():
    assert _said(["i7", "m32", "dock", "basic"]) == []
    assert _said(["i5", "m16", "gold"], categories=["Key account"]) == []


def test_a_group_takes_its_minimum_and_maximum():
    assert _said(["m16"]) == [("too few", "Choose at least 1 of Processor (none chosen).")]
    assert _said(["i5", "i7", "m16"]) == [
        ("too many", "Choose at most 1 of Processor (2 chosen: Core i5 and Core i7).")
    ]


def test_an_option_requires_all_it_names():
    assert _said(["i5", "m32"]) == [
        ("requires", "32 GB needs Core i7: add it or drop 32 GB."),
    ]
    assert _said(["i5", "m64"]) == [
        ("requires", "64 GB needs Core i7 and Cooling pad: add them or drop 64 GB."),
    ]


def test_an_exclusion_holds_either_way_and_is_said_once():
    assert _said(["i5", "m16", "stand", "dock"]) == [
        ("excludes", "Docking station cannot go with Floor stand: choose one of them.")
    ]


def test_an_option_only_for_some_customers():
    assert _said(["i5", "m16", "gold"], categories=["Standard"]) == [
        ("only for", "Gold support is only for customers in Key account, Strategic.")
    ]


def test_an_unknown_option_is_named_and_repeats_count_once():
    assert _said(["i5", "i5", "m16", "turbo"]) == [
        ("unknown", "There is no option 'turbo' for this product.")
    ]


def test_every_breach_is_reported_not_only_the_first():
    rules = [b.rule for b in breaches(LAPTOP, ["m64", "dock", "stand", "gold", "basic"])]
    assert rules == ["too few", "too many", "requires", "excludes", "only for"]


def test_impossible_products_are_refused():
    with pytest.raises(ValueError, match="unique"):
        ProductRules((Group("g", "G"),), (Option("a", "A", "g"), Option("a", "A2", "g")))
    with pytest.raises(ValueError, match="in no group"):
        ProductRules((Group("g", "G"),), (Option("a", "A", "h"),))
    with pytest.raises(ValueError, match="impossible"):
        ProductRules((Group("g", "G", 2, 1),), ())


@given(st.lists(st.sampled_from([o.code for o in LAPTOP.options] + ["x"]), max_size=12))
def test_a_configuration_is_valid_exactly_when_no_rule_is_broken(chosen):
    # An independent statement of the rules, checked against the configurator
    picked = set(chosen)
    by_code = {o.code: o for o in LAPTOP.options}
    ok = "x" not in picked
    for group in LAPTOP.groups:
        n = sum(by_code[c].group == group.code for c in picked if c in by_code)
        ok &= n >= group.min_choices and (group.max_choices is None or n <= group.max_choices)
    for code in picked & set(by_code):
        option = by_code[code]
        ok &= set(option.requires) <= picked
        ok &= not (set(option.excludes) & picked)
        ok &= not option.only_for
    assert (breaches(LAPTOP, chosen) == []) == ok
