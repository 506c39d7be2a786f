"""Request types for views."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from rapport.core.models import User


class AuthenticatedRequest(HttpRequest):
    """A request to a @login_required view: its user is signed in, never AnonymousUser.

    Only for annotations (django-stubs' documented pattern); Django never builds one.
    """

    user: User


def safe_next(request: HttpRequest) -> str | None:
    """The `next` the form or link asked for, if it stays on this site; None otherwise."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
