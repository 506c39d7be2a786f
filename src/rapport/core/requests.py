"""Request types for views."""

from __future__ import annotations

from django.http import HttpRequest

from rapport.core.models import User


class AuthenticatedRequest(HttpRequest):
    """A request to a @login_required view: its user is signed in, never AnonymousUser.

    Only for annotations (django-stubs' documented pattern); Django never builds one.
    """

    user: User
