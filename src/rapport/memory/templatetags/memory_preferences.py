"""Template filters of the communication preferences card: channels, days and verdicts in words."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from rapport.interactions.models import Channel
from rapport.memory.models import Purpose

register = template.Library()

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
VERDICT_CLASSES = {"allow": "success", "warn": "warning", "block": "danger"}


@register.filter
def channel_label(channel: object) -> str:
    """E-mail for "email"; "every channel" for a blank one."""
    if not channel:
        return "every channel"
    return str(dict(Channel.choices).get(str(channel), channel))


@register.filter
def purpose_label(purpose: object) -> str:
    """Marketing for "marketing"."""
    return str(dict(Purpose.choices).get(str(purpose), purpose))


@register.filter
def weekdays(days: Iterable[int] | None) -> str:
    """Mon to Fri (with an en dash) for [1, 2, 3, 4, 5]; a list for days that do not run on."""
    picked = sorted({int(d) for d in days or [] if 1 <= int(d) <= 7})
    if not picked:
        return ""
    if len(picked) > 2 and picked == list(range(picked[0], picked[-1] + 1)):
        return f"{WEEKDAYS[picked[0] - 1]}\u2013{WEEKDAYS[picked[-1] - 1]}"
    return ", ".join(WEEKDAYS[d - 1] for d in picked)


@register.filter
def verdict_class(verdict: object) -> str:
    """The Bootstrap colour of a verdict: success, warning or danger."""
    return VERDICT_CLASSES.get(str(verdict), "secondary")
