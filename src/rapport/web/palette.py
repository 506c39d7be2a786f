"""The UI's colours and channel icons, read from the palette the CSS and charts are built from.

``static/web/palette.json`` is the one source: ``npm run build`` turns it into the
``.role-*``/``.stage-*``/``.channel-*``/``.attitude-*`` classes and the org chart's colours,
and this module hands the same values to views (legends, chart options).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

PALETTE_PATH = Path(__file__).resolve().parent / "static" / "web" / "palette.json"

# Attitude is stored as -2..2; the classes and the palette use these names.
ATTITUDE_NAMES = {-2: "hostile", -1: "sceptical", 0: "neutral", 1: "supportive", 2: "advocate"}
FALLBACK_ICON = "chat-dots"
FALLBACK_COLOR = "#64748b"


@cache
def palette() -> dict[str, Any]:
    """The parsed palette.json (read once per process)."""
    return json.loads(PALETTE_PATH.read_text(encoding="utf-8"))


def role_color(role: str) -> str:
    """The colour of a buying role, as the chips and the org chart draw it."""
    return palette()["roles"].get(role, FALLBACK_COLOR)


def stage_color(stage: str) -> str:
    """The colour of a lifecycle stage, as its badge draws it."""
    return palette()["stages"].get(stage, FALLBACK_COLOR)


def channel_icon(channel: str) -> str:
    """The bootstrap-icons name shown for an interaction channel."""
    entry = palette()["channels"].get(channel)
    return entry["icon"] if entry else FALLBACK_ICON


def channel_color(channel: str) -> str:
    """The colour of an interaction channel, as its round icon draws it."""
    entry = palette()["channels"].get(channel)
    return entry["color"] if entry else FALLBACK_COLOR


def attitude_name(value: object) -> str:
    """Attitude -2..2 as the class suffix (hostile .. advocate); anything else is neutral."""
    try:
        return ATTITUDE_NAMES.get(int(value), "neutral")  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "neutral"


def org_chart_legend(choices: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The org chart's legend from (role, label) pairs, e.g. ``BuyingRoleKind.choices``."""
    return [
        {"role": role, "label": str(label), "color": role_color(role)} for role, label in choices
    ]
