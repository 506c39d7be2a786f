"""How callers prove who they are (bearer token, session) and how guessing is locked out."""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
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


def client_address(request: HttpRequest) -> str | None:
    """The address the sign-in came from, as the outermost trusted proxy saw it.

    With RAPPORT_TRUSTED_PROXY_COUNT = n, each of our n proxies appended the address it
    received from to X-Forwarded-For and the last one is REMOTE_ADDR, so the client is
    the n-th entry from the right; anything further left is the caller's to forge.
    """
    remote = request.META.get("REMOTE_ADDR")
    trusted = settings.RAPPORT_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if len(hops) < trusted:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a second, higher limit per client address.

    Failures are counted per (username, address) pair, so an attacker guessing one user's
    password locks that pair and not everyone behind the same office proxy; the address
    limit still stops one machine trying many usernames.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The pair's failures, or the pair limit itself once the whole address is over its own."""
        failures = int(super().get_failures(request, credentials))
        address = getattr(request, "axes_ip_address", None)
        if address and (
            address_failures(address, since=get_cool_off_threshold(request))
            >= settings.RAPPORT_LOCKOUT_ADDRESS_LIMIT
        ):
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(address: str, *, since: datetime) -> int:
    """Failed sign-ins from one client address since a moment, over every username."""
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


def lockout_retry_at(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the lock on this request's (username, address) or address lifts."""
    address = getattr(request, "axes_ip_address", None)
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    attempts = AccessAttempt.objects.filter(ip_address=address)
    latest = (
        attempts.filter(username=username).aggregate(at=Max("attempt_time"))["at"]
        or attempts.aggregate(at=Max("attempt_time"))["at"]
        or timezone.now()
    )
    return latest + settings.AXES_COOLOFF_TIME


def lockout_message(retry_at: datetime) -> str:
    """What a locked-out person reads: when to try again, and who can lift it sooner."""
    minutes = max(1, math.ceil((retry_at - timezone.now()).total_seconds() / 60))
    return (
        "Too many failed sign-ins. Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}, at "
        f"{timezone.localtime(retry_at):%H:%M} ({timezone.get_current_timezone_name()}), "
        "or ask an admin to unlock you."
    )
