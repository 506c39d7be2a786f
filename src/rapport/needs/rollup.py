"""How the needs of units and people add up to an organisation's needs; how a need reads.

One rule, used by the profile pages and by the segmentation runner alike:

1. What the subject itself told us wins (the organisation's own answer, for an organisation).
2. Otherwise its units' and people's answers roll up:
   - yes/no: yes when any of them needs it;
   - a choice in order of demand (low → mission-critical): the most demanding answer, as
     the organisation must serve its most demanding unit;
   - any other choice: the most common answer (a tie goes to the one listed first);
   - several of a list: every option any of them named (the union);
   - anything else: the most recent answer.
3. Otherwise, for a unit, what the units above it told us (inherited).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rapport.analytics.segments import NeedSpec

OWN = "own"
ROLLED_UP = "rolled_up"
INHERITED = "inherited"

# Choices whose options are listed in order of demand. The starter catalogue's need choices
# all are; an admin-added choice counts as ordered when its options are words of degree.
ORDERED_KEYS = {"need-uptime", "need-cost-reduction", "need-training", "need-support-hours"}
_DEGREE_WORDS = {
    "none", "low", "medium", "high", "very high", "critical", "mission-critical",
    "never", "rarely", "sometimes", "often", "always",
}  # fmt: skip

# How one answer reads in a segment's name. {value} is the answer.
PHRASES: dict[str, tuple[str, str]] = {
    "need-uptime": ("{value} uptime", ""),
    "need-cost-reduction": ("{value} cost pressure", ""),
    "need-sustainability": ("Sustainability reporting", "No sustainability reporting"),
    "need-integration": ("{value} integration", ""),
    "need-training": ("{value} training", ""),
    "need-support-hours": ("{value} support", ""),
}


def is_ordered(key: str, value_type: str, choices: Sequence[str]) -> bool:
    """Whether a choice's options run in order of demand."""
    if value_type != "choice":
        return False
    return key in ORDERED_KEYS or (
        len(choices) > 1 and all(str(c).casefold() in _DEGREE_WORDS for c in choices)
    )


def spec_of(attribute: Any) -> NeedSpec:
    """The model's view of a catalogue attribute (anything with key, label, value_type...)."""
    choices = tuple(str(c) for c in attribute.choices or [])
    phrase, phrase_no = PHRASES.get(attribute.key, ("", ""))
    return NeedSpec(
        key=attribute.key,
        label=attribute.label,
        value_type=attribute.value_type,
        choices=choices,
        ordered=is_ordered(attribute.key, attribute.value_type, choices),
        phrase=phrase,
        phrase_no=phrase_no,
        importance=attribute.importance,
    )


def combine(spec: NeedSpec, values: Sequence[Any]) -> Any:
    """The organisation's answer from its units' and people's answers (newest first)."""
    values = [v for v in values if v is not None and v != []]
    if not values:
        return None
    if spec.value_type == "boolean":
        return any(v is True for v in values)
    if spec.value_type == "multi_choice":
        named = {str(item) for v in values for item in (v if isinstance(v, list) else [v])}
        order = {c: i for i, c in enumerate(spec.choices)}
        return sorted(named, key=lambda c: (order.get(c, len(order)), c))
    if spec.value_type == "choice":
        order = {c: i for i, c in enumerate(spec.choices)}
        if spec.ordered:
            return max(values, key=lambda v: order.get(str(v), -1))
        counts = Counter(str(v) for v in values)
        return min(counts, key=lambda v: (-counts[v], order.get(v, len(order)), v))
    return values[0]


def resolve(
    spec: NeedSpec, *, own: Any = None, below: Iterable[Any] = (), inherited: Any = None
) -> tuple[Any, str]:
    """The subject's answer and how we know it: OWN, ROLLED_UP, INHERITED (or None, "")."""
    if own is not None:
        return own, OWN
    rolled = combine(spec, list(below))
    if rolled is not None:
        return rolled, ROLLED_UP
    if inherited is not None:
        return inherited, INHERITED
    return None, ""
