"""One family of domain errors, mapped to the same 4xx in the API and the UI."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError


class ApplicationError(Exception):
    """A domain error with a message and, where it applies, the field or row at fault."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, list[str]] = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = [message]

    def as_dict(self) -> dict[str, object]:
        """The body the API returns for this error."""
        return {"code": self.code, "message": self.message, "errors": self.errors}


class InvalidInput(ApplicationError):
    """Bad input: a value that breaks a rule; names the field."""

    status = 400
    code = "invalid"


class PermissionDenied(ApplicationError):
    """The user may see the record but not do this to it."""

    status = 403
    code = "forbidden"


class NotFound(ApplicationError):
    """Missing, deleted, or not visible to this user: deliberately indistinguishable."""

    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    """The request clashes with what is stored (a duplicate, a stale state)."""

    status = 409
    code = "conflict"


class StaleWrite(ApplicationError):
    """The record changed since the writer read it: saving would overwrite someone's work.

    Says who changed it and when, and, per field the writer meant to change, what is
    stored now beside what they wanted. The API answers it as 412 Precondition Failed
    (the writer's If-Match named an older version); a form shows it on its fields.
    """

    status = 412
    code = "stale"

    def __init__(
        self,
        message: str,
        *,
        current_version: int,
        changed_by: str = "",
        changed_at: object = None,
        fields: dict[str, tuple[object, object]] | None = None,
    ) -> None:
        self.fields = dict(fields or {})
        super().__init__(
            message,
            errors={
                "non_field": [message],
                **{
                    name: [f"Now {_shown(theirs)}; you wanted {_shown(yours)}."]
                    for name, (theirs, yours) in self.fields.items()
                },
            },
        )
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at


def _shown(value: object) -> str:
    if value in (None, ""):
        return "empty"
    return repr(str(value))


def from_django_validation(exc: DjangoValidationError) -> InvalidInput:
    """Turn Django's ValidationError (from full_clean) into our InvalidInput with fields."""
    if hasattr(exc, "error_dict"):
        errors = {
            ("non_field" if name == "__all__" else name): [str(m) for e in errs for m in e.messages]
            for name, errs in exc.error_dict.items()
        }
    else:
        errors = {"non_field": [str(m) for m in exc.messages]}
    first_field, first_messages = next(iter(errors.items()))
    return InvalidInput(
        f"{first_field}: {first_messages[0]}" if first_field != "non_field" else first_messages[0],
        errors=errors,
    )
