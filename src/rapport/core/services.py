"""Writes of the core app: users and API tokens. Each runs in one transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from rapport.core import access
from rapport.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    StaleWrite,
    from_django_validation,
)
from rapport.core.models import ApiToken, Role, User, Versioned

TOKEN_PREFIX = "rpt_"
security_log = logging.getLogger("rapport.security")


def validated_save(
    obj: models.Model,
    *,
    actor: Any = None,
    expected_version: int | None = None,
    **save_kwargs: Any,
) -> None:
    """full_clean() then save, turning validation failures into InvalidInput with fields.

    The actor is attached so the audit history records who made the change. A Versioned
    record counts its version up on every update; with `expected_version` (the version
    a form or an If-Match named) an update of a record changed since is refused with
    StaleWrite, by one conditional UPDATE, so two racing writers cannot both win.
    """
    try:
        obj.full_clean()
    except DjangoValidationError as exc:
        raise from_django_validation(exc) from None
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            if isinstance(obj, Versioned) and obj.pk is not None and not obj._state.adding:
                version_claim(obj, expected_version, save_kwargs.get("update_fields"))
                if save_kwargs.get("update_fields") is not None:
                    save_kwargs["update_fields"] = [*save_kwargs["update_fields"], "version"]
            obj.save(**save_kwargs)
    except IntegrityError as exc:
        raise Conflict(
            f"{obj._meta.verbose_name} conflicts with an existing record: {exc}"
        ) from None


def version_claim(
    obj: Versioned, expected_version: int | None, fields: list[str] | None = None
) -> None:
    """Count the stored version up, refusing with StaleWrite if it is not `expected_version`.

    Call it inside the write's transaction, before saving; `fields` are those the writer
    changes (for the message). Without `expected_version` the version only counts up.
    """
    rows = type(obj)._base_manager.filter(pk=obj.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1):
        raise _stale(obj, fields)
    obj.version = type(obj)._base_manager.filter(pk=obj.pk).values_list("version", flat=True)[0]


def _stale(obj: Versioned, fields: list[str] | None) -> StaleWrite:
    """What changed under a writer: who, when, and the stored value beside theirs."""
    stored = type(obj)._base_manager.get(pk=obj.pk)
    names = [
        f for f in (fields or [f.name for f in obj._meta.concrete_fields]) if f != "updated_at"
    ]
    differ = {}
    for name in names:
        attname = getattr(obj._meta.get_field(name), "attname", name)
        theirs, yours = getattr(stored, attname), getattr(obj, attname)
        if theirs != yours and name != "version":
            differ[name] = (theirs, yours)
    last = getattr(stored, "history", None)
    record = last.select_related("history_user").first() if last is not None else None
    who = str(getattr(record.history_user, "full_name", "") or "someone") if record else "someone"
    when = record.history_date if record else getattr(stored, "updated_at", None)
    at = f" at {timezone.localtime(when):%d %b %Y %H:%M}" if when else ""
    return StaleWrite(
        f"Changed by {who}{at} since you opened it: look at the values now kept, then save again.",
        current_version=stored.version,
        changed_by=who,
        changed_at=when,
        fields=differ,
    )


def soft_delete(obj: Any, *, actor: Any, at: datetime | None = None) -> None:
    """Mark one row deleted (restorable), recording who did it in its history."""
    obj.deleted_at = at or timezone.now()
    obj._history_user = actor
    obj.save(update_fields=["deleted_at", "updated_at"])


def soft_restore(obj: Any, *, actor: Any) -> None:
    """Undo a soft delete, recording who did it in its history."""
    obj.deleted_at = None
    obj._history_user = actor
    obj.save(update_fields=["deleted_at", "updated_at"])


def user_create(
    *,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    partner: Any = None,
    account: Any = None,
    created_by: User | None = None,
) -> User:
    """Create a user of any role; partner and portal users are tied to their partner/account."""
    if created_by is not None:
        access.ensure_admin(created_by)
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    if role == Role.PARTNER and partner is None:
        raise InvalidInput("A partner user needs a partner.", field="partner")
    if role == Role.PORTAL and account is None:
        raise InvalidInput("A portal user needs an account.", field="account")
    email = (email or "").strip().lower()
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise Conflict(f"A user with e-mail {email} exists already.", field="email")
        user = User(
            email=email,
            full_name=full_name.strip(),
            role=role,
            partner=partner if role == Role.PARTNER else None,
            account=account if role == Role.PORTAL else None,
        )
        # Django's own admin site is for those who administer Rapport.
        user.is_staff = user.is_superuser = (
            access.Capability.ADMINISTER in access.ROLE_CAPABILITIES.get(role, frozenset())
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        validated_save(user, actor=created_by)
    return user


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token; the plain key is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name.", field="name")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=_hash_key(key)
        )
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (admins may revoke anyone's)."""
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update()
        if not access.can(user, access.Capability.ADMINISTER):
            tokens = tokens.filter(user=user)
        token = tokens.filter(pk=token_id).first()
        if token is None:
            raise NotFound("API token not found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> User | None:
    """The active user owning this key, if the key is live; records its last use."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def lockout_clear(*, address: str, username: str = "", cleared_by: User) -> int:
    """Lift a sign-in lock: one (username, address) pair, or every username at an address."""
    access.ensure(cleared_by, access.Capability.ADMINISTER)
    address = (address or "").strip()
    if not address:
        raise InvalidInput("Name the address to unlock.", field="address")
    with transaction.atomic():
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if username:
            attempts = attempts.filter(username=username)
        cleared, _ = attempts.delete()
    if not cleared:
        raise NotFound("No lock for that address and user.")
    security_log.warning(
        "sign-in lock lifted by %s: address=%s username=%s", cleared_by, address, username or "*"
    )
    return cleared
