"""Template filters of the web UI shell: form widgets, names, channels, attitudes, navigation."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

from django import forms, template
from django.forms.boundfield import BoundField
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import SafeString

from rapport.core import validators
from rapport.core.money import money_text
from rapport.web import palette
from rapport.web.kit import url_maker

register = template.Library()

AVATAR_TONES = 8

# Sections of the sidebar and the nav_section values that light them up; nav_section
# comes from the URL name's first word (rapport.web.context_processors.navigation).
NAV_ALIASES = {
    "home": {"home", "dashboard"},
    "accounts": {"accounts", "account"},
    "contacts": {"contacts", "contact"},
    "endusers": {"endusers", "enduser", "end"},
    "partners": {"partners", "partner"},
    "interactions": {"interactions", "interaction", "timeline"},
    "settings": {"settings", "tokens", "token", "apitokens"},
    "search": {"search"},
    "alerts": {"alerts"},
}

ERROR_PAGES = {
    400: {"title": "That didn't work", "icon": "exclamation-circle"},
    403: {"title": "You don't have access to this", "icon": "shield-lock"},
    404: {"title": "We couldn't find that", "icon": "search"},
    409: {"title": "That clashes with another change", "icon": "arrow-left-right"},
    429: {"title": "Too many attempts", "icon": "hourglass-split"},
}
ERROR_FALLBACK = {"title": "Something went wrong", "icon": "exclamation-triangle"}

ALERT_CLASSES = {"error": "danger", "debug": "secondary"}
ALERT_ICONS = {
    "success": "check-circle",
    "info": "info-circle",
    "warning": "exclamation-triangle",
    "error": "x-circle",
    "debug": "bug",
}


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select):  # also SelectMultiple, NullBooleanSelect
        return "form-select"
    if getattr(widget, "input_type", None) == "range":
        return "form-range"
    if getattr(widget, "input_type", None) == "color":
        return "form-control form-control-color"
    return "form-control"


@register.filter
def money(value: object, places: int = 0) -> str:
    """A money figure with the deployment's currency: {{ value|money }}, {{ value|money:2 }}."""
    if value is None or value == "":
        return "—"
    try:
        return money_text(float(value), int(places))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


@register.filter
def humanise(value: object) -> str:
    """A machine name as words: 'given_name' -> 'Given name'."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def web_href(value: str) -> str:
    """A website's link target: https added to a bare domain, "" for anything not http(s)."""
    return validators.web_href(value) or ""


@register.filter
def with_class(field: BoundField, extra: str = "") -> SafeString | str:
    """Render a bound field's widget with Bootstrap's class for it, plus is-invalid on errors.

    ``{{ form.name|with_class }}`` or ``{{ form.name|with_class:"form-control-sm" }}``.
    Django itself adds aria-invalid and aria-describedby ("<id>_helptext <id>_error").
    """
    if not isinstance(field, BoundField):
        return field
    widget = field.field.widget
    if widget.is_hidden:
        return field.as_widget()
    classes = [widget.attrs.get("class", ""), _widget_class(widget), extra]
    if field.errors:
        classes.append("is-invalid")
    unique = dict.fromkeys(name for part in classes for name in part.split())
    return field.as_widget(attrs={"class": " ".join(unique)})


@register.filter
def initials(value: object) -> str:
    """Up to two initials of a name ("Jane van Doe" -> "JD"); an e-mail uses its local part."""
    text = str(getattr(value, "full_name", "") or value or "").strip()
    # A remark in brackets ("(no name)") is not a name.
    text = re.sub(r"\([^)]*\)", " ", text).strip()
    if "@" in text and " " not in text:
        text = re.sub(r"[._-]+", " ", text.split("@", 1)[0])
    words = [w for w in re.split(r"\s+", text) if w and w[0].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.filter
def avatar_tone(value: object) -> int:
    """A stable colour index 0..7 for an avatar, from a name or id."""
    return zlib.crc32(str(value).encode("utf-8")) % AVATAR_TONES


@register.filter
def channel_icon_name(channel: object) -> str:
    """The bootstrap-icons name of an interaction channel (email -> envelope)."""
    return palette.channel_icon(str(channel))


@register.filter
def attitude_class(value: object) -> str:
    """Attitude -2..2 as the suffix of the .attitude-* classes (hostile .. advocate)."""
    return palette.attitude_name(value)


@register.filter
def attitude_label(value: object) -> str:
    """Attitude -2..2 as a word for people (Hostile .. Advocate)."""
    return palette.attitude_name(value).capitalize()


def _nav_key(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


@register.filter
def nav_active(nav_section: object, section: str) -> str:
    """ "active" when the page's nav_section belongs to the sidebar section, else ""."""
    current = _nav_key(nav_section)
    if not current:
        return ""
    wanted = _nav_key(section)
    return "active" if current == wanted or current in NAV_ALIASES.get(wanted, ()) else ""


@register.filter
def error_page(status: object) -> dict[str, str]:
    """Title and icon for the error page of an HTTP status."""
    try:
        code = int(status)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ERROR_FALLBACK
    return ERROR_PAGES.get(code, ERROR_FALLBACK)


@register.filter
def error_details(error: object) -> list[dict[str, str]]:
    """An error's per-field messages, minus the one already shown as its headline."""
    headline = str(getattr(error, "message", ""))
    errors = getattr(error, "errors", None) or {}
    details = []
    for name, messages in errors.items():
        field = "" if name in ("non_field", "__all__") else str(name)
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            text = str(message)
            if text != headline and f"{field}: {text}" != headline:
                details.append({"field": field, "message": text})
    return details


@register.filter
def alert_class(level_tag: object) -> str:
    """Bootstrap's alert variant for a Django message level tag (error -> danger)."""
    tag = str(level_tag or "info")
    return ALERT_CLASSES.get(tag, tag)


@register.filter
def alert_icon(level_tag: object) -> str:
    """The bootstrap-icons name shown in an alert of this message level."""
    return ALERT_ICONS.get(str(level_tag or "info"), "info-circle")


# Tags for markup repeated on every row of long lists (timelines): a simple tag renders
# in a fraction of the time of an {% include %}, which builds a new context each call.


@register.simple_tag
def avatar(name: object, size: str = "") -> str:
    """Initials in a coloured circle, as web/components/avatar.html draws them."""
    size_class = f" avatar-{size}" if size else ""
    return format_html(
        '<span class="avatar avatar-tone-{}{}" title="{}" aria-hidden="true">{}</span>',
        avatar_tone(name),
        size_class,
        name,
        initials(name),
    )


@register.simple_tag
def channel_badge(channel: object, label: object = "") -> str:
    """A channel's round icon, as web/components/channel_icon.html draws it."""
    hidden = format_html('<span class="visually-hidden">{}</span>', label) if label else ""
    title = format_html(' title="{}"', label) if label else ""
    return format_html(
        '<span class="channel-icon channel-{}"{}><i class="bi bi-{}" aria-hidden="true"></i>{}</span>',
        channel,
        title,
        channel_icon_name(channel),
        hidden,
    )


@register.simple_tag
def influence_dots(value: object) -> str:
    """Influence 1..5 as five dots, that many filled, as web/components/influence.html draws it."""
    try:
        level = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        level = 0
    dots = "".join(
        '<span class="dot filled"></span>' if n <= level else '<span class="dot"></span>'
        for n in range(1, 6)
    )
    return format_html(
        '<span class="influence-dots" role="img" aria-label="Influence {} of 5"'
        ' title="Influence {} of 5">{}</span>',
        level,
        level,
        SafeString(dots),
    )


@register.simple_tag
def role_chip(role: object, label: object = "") -> str:
    """A buying role in the org chart's colour, as web/components/role_chip.html draws it."""
    return format_html('<span class="role-chip role-{}">{}</span>', role, label or role)


_ID_URLS: dict[tuple[str, str], Callable[[int], str]] = {}


@register.simple_tag
def id_url(route: str, pk: object) -> str:
    """`{% url route pk %}` for a route taking one id, reversed once per process (and script
    prefix): a card of twenty rows with four addresses each spent milliseconds reversing."""
    key = (route, get_script_prefix())
    maker = _ID_URLS.get(key)
    if maker is None:
        maker = _ID_URLS[key] = url_maker(route)
    return maker(int(pk))  # type: ignore[call-overload]
