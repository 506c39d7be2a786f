"""Validators shared by every app's models: what a stored value may look like."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

WEB_SCHEMES = ("http", "https")
_web_url = URLValidator(schemes=list(WEB_SCHEMES))
# A scheme is letters then ":" not followed by a port number ("acme.com:8443" has none).
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)")


def web_href(value: str) -> str | None:
    """The link a stored web address opens, or None when it is not a plain http(s) one.

    A bare "acme.com" means https; any other scheme (javascript:, data:, file:) is
    never a link, even for rows stored before addresses were validated.
    """
    value = (value or "").strip()
    if not value:
        return None
    scheme = _SCHEME.match(value)
    if scheme is None:
        candidate = f"https://{value}"  # "acme.com", "acme.com:8443/shop"
    elif scheme.group(1).lower() in WEB_SCHEMES and value[scheme.end() :].startswith("//"):
        candidate = value
    else:
        return None  # javascript:, data:, mailto:, file://, http:no-slashes
    try:
        _web_url(candidate)
    except ValidationError:
        return None
    return candidate


def validate_web_address(value: str) -> None:
    """A website is a plain http(s) address, with or without the scheme ("acme.com")."""
    if value and web_href(value) is None:
        raise ValidationError(
            "Enter a web address such as acme.com or https://acme.com (http or https only).",
            code="invalid",
        )
