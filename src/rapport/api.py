"""The versioned REST API: mounts every app's ninja router at /api/v1/.

Authentication is a bearer token or the browser session (with CSRF on unsafe methods).
Every error, ours or ninja's, answers with one body: {"code", "message", "errors"}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from rapport.accounts import api as accounts_api
from rapport.core import api as core_api
from rapport.core import uploads
from rapport.core.auth import BearerTokenAuth, SessionAuth
from rapport.core.errors import ApplicationError, from_django_validation
from rapport.core.schemas import ErrorOut
from rapport.interactions import api as interactions_api
from rapport.memory import api as memory_api
from rapport.needs import api as needs_api
from rapport.offers import api as offers_api
from rapport.resolution import api as resolution_api
from rapport.transfer import api as transfer_api
from rapport.valuation import api as valuation_api

DESCRIPTION = """
Rapport's REST API. Send `Authorization: Bearer <token>` (create a token under
Settings → API tokens, or with `rapport token --email you@example.com`). Lists are
keyset-paginated: pass the `next_cursor` of one page as `cursor` to get the next.
Errors are `{"code", "message", "errors": {field: [messages]}}`. See docs/api.md.
"""

# The parameter names our handlers give their body and query schemas; they are not
# part of a field's name as the caller sees it.
_PARAMETER_NAMES = {"payload", "filters"}

_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
}

_UNAUTHENTICATED = "Send Authorization: Bearer <token>, or sign in."

_ERROR_RESPONSES = {
    "400": "Bad input: the errors name each field at fault.",
    "401": "No valid token or session.",
    "403": "Your role may not do this.",
    "404": "Missing, deleted, or not visible to you (deliberately alike).",
    "409": "Clashes with what is stored.",
}
# Writes of versioned records: If-Match names a version other than the stored one.
_STALE_RESPONSE = ("412", "Changed since the version your If-Match names; read it again.")


class RapportAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema documents the error body on every operation."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        error_ref = {"$ref": "#/components/schemas/ErrorOut"}
        schema["components"].setdefault("schemas", {})["ErrorOut"] = ErrorOut.json_schema()
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                errors = dict(_ERROR_RESPONSES)
                if method in {"patch", "put"}:
                    errors[_STALE_RESPONSE[0]] = _STALE_RESPONSE[1]
                for status, description in errors.items():
                    operation["responses"].setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
        return schema


api = RapportAPI(
    title="Rapport API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionAuth()],
    docs=core_api.OfflineSwagger(settings={"validatorUrl": None}),
)

api.add_router("", core_api.router)
api.add_router("", core_api.docs_router)
api.add_router("", accounts_api.router)
api.add_router("", interactions_api.router)
api.add_router("", memory_api.router)
api.add_router("", transfer_api.router)
api.add_router("", valuation_api.router)
api.add_router("", needs_api.router)
api.add_router("", offers_api.router)
api.add_router("", resolution_api.router)


def _error(
    request: HttpRequest, status: int, message: str, errors: dict[str, list[str]]
) -> HttpResponse:
    body = {"code": _CODES.get(status, "error"), "message": message, "errors": errors}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """Our domain errors: their own status and body."""
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(DjangoValidationError)
def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A model's full_clean() failing outside validated_save: still bad input, never a 500."""
    error = from_django_validation(exc)
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(ValidationError)
def request_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A request that does not match its schema: 400 (not ninja's 422), messages per field."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())][1:]  # drop "body" / "query" / "path"
        if loc and loc[0] in _PARAMETER_NAMES:
            loc = loc[1:]
        errors.setdefault(".".join(loc) or "body", []).append(str(error.get("msg", "is not valid")))
    if "file" in errors and uploads.refused(request):
        errors["file"] = [uploads.refused(request)]  # dropped as it arrived: say why
    field, messages = next(iter(errors.items()), ("body", ["is not valid"]))
    return _error(request, 400, f"{field}: {messages[0]}", errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own errors: no credentials (401), CSRF (403), a body that is not JSON (400)."""
    message = _UNAUTHENTICATED if exc.status_code == 401 else exc.message
    errors = {"body": [message]} if exc.status_code == 400 else {}
    return _error(request, exc.status_code, message, errors)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    """Django's Http404 raised inside the API."""
    return _error(request, 404, "Not found.", {})
