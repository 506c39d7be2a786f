"""How API callers prove who they are: a personal bearer token, or the browser's session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from rapport.core.services import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer rpt_…` with a key issued by api_token_create."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token.strip())
        if user is not None:
            # Code below the API (audit history, access caches) reads request.user.
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods must carry the CSRF token.

    Unlike ninja's `django_auth`, the CSRF check runs only once a session user is found,
    so a caller with no credentials at all gets 401 rather than a CSRF 403. A session
    cookie never authenticates an unsafe request without a valid CSRF token.
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return user
