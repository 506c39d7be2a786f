"""API of the core app (who am I, API tokens, the offline docs) and helpers every router shares."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, json_script
from ninja import Router, Status
from ninja.openapi.docs import Swagger

from rapport.core import selectors, services
from rapport.core.errors import ApplicationError, InvalidInput, NotFound
from rapport.core.models import User
from rapport.core.schemas import Id, MeOut, TokenCreatedOut, TokenCreateIn, TokenOut

if TYPE_CHECKING:
    from ninja import NinjaAPI

T = TypeVar("T")

router = Router(tags=["me"])

# --- helpers for every router ----------------------------------------------------------


def caller(request: HttpRequest) -> User:
    """The authenticated user making the request (set by the API's auth classes)."""
    return request.auth  # type: ignore[attr-defined]


@contextmanager
def fields_renamed(**names: str) -> Iterator[None]:
    """Report a service's errors under the request's field names (`manager` → `manager_id`)."""
    try:
        yield
    except ApplicationError as exc:
        exc.errors = {names.get(name, name): messages for name, messages in exc.errors.items()}
        if exc.field:
            exc.field = names.get(exc.field, exc.field)
        raise


def if_match(request: HttpRequest) -> int | None:
    """The version an If-Match header names ('"3"', 'W/"3"'); None without one or for '*'."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    tag = raw.split(",", 1)[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise InvalidInput('Send in If-Match the ETag you read, such as "3".', field="If-Match")
    return int(tag)


def etag(response: HttpResponse, record: Any) -> None:
    """Tell the caller which version of `record` it holds (send it back in If-Match)."""
    response["ETag"] = f'"{record.version}"'


@overload
def referenced(field: str, find: Callable[..., T], /, *, pk: int, **kwargs: Any) -> T: ...
@overload
def referenced(field: str, find: Callable[..., T], /, *, pk: None, **kwargs: Any) -> None: ...
@overload
def referenced(
    field: str, find: Callable[..., T], /, *, pk: int | None, **kwargs: Any
) -> T | None: ...
def referenced(field: str, find: Callable[..., T], /, *, pk: int | None, **kwargs: Any) -> T | None:
    """The row a request names by id, found through a scoped selector; None stays None.

    An id that does not resolve (missing or not visible) is bad input on `field`.
    """
    if pk is None:
        return None
    try:
        return find(pk=pk, **kwargs)
    except NotFound as exc:
        what = exc.message[:1].upper() + exc.message[1:]
        raise InvalidInput(f"{what} (id {pk}).", field=field) from None


def chosen(field: str, ids: Iterable[int], offer: Callable[[], Iterable[T]]) -> list[T]:
    """The rows named by id among those a selector offers the caller (as a picker would).

    `offer` is only called when ids were given; an id it does not offer is bad input on `field`.
    """
    wanted = list(dict.fromkeys(ids))
    offered = {row.pk: row for row in offer()} if wanted else {}  # type: ignore[attr-defined]
    missing = [pk for pk in wanted if pk not in offered]
    if missing:
        raise InvalidInput(f"Not one of the choices (id {missing[0]}).", field=field)
    return [offered[pk] for pk in wanted]


def chosen_one(field: str, pk: int | None, offer: Callable[[], Iterable[T]]) -> T | None:
    """One row named by id among a selector's choices, or None when no id was given."""
    return None if pk is None else chosen(field, [pk], offer)[0]


# --- me and tokens ---------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> User:
    """Who the API sees you as: role and what you may do."""
    return caller(request)


@router.get("/tokens", response=list[TokenOut], tags=["tokens"], summary="Your API tokens")
def token_list(request: HttpRequest) -> Any:
    """Your tokens, newest first (the keys themselves are never shown again)."""
    return selectors.api_token_list(user=caller(request))


@router.post("/tokens", response={201: TokenCreatedOut}, tags=["tokens"], summary="Issue a token")
def token_create(request: HttpRequest, payload: TokenCreateIn) -> Any:
    """Issue a personal token; the response holds the plain key, shown this once."""
    token, key = services.api_token_create(user=caller(request), name=payload.name)
    return Status(201, {"key": key, "token": token})


@router.delete(
    "/tokens/{token_id}", response={204: None}, tags=["tokens"], summary="Revoke a token"
)
def token_revoke(request: HttpRequest, token_id: Id) -> Any:
    """Revoke one of your tokens (admins: anyone's); it stops working at once."""
    services.api_token_revoke(user=caller(request), token_id=token_id)
    return Status(204, None)


# --- interactive docs, served offline ---------------------------------------------------

# Swagger UI ships inside the ninja package. Serving that copy keeps the docs working
# offline and under the site's `script-src 'self'` (the page has no inline script),
# whether or not "ninja" is in INSTALLED_APPS.
_ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png")

docs_router = Router()


@docs_router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One Swagger UI file from the installed ninja package."""
    if name not in _ASSETS:
        raise Http404(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((_ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


class OfflineSwagger(Swagger):
    """ninja's Swagger page, with its scripts and styles from this server instead of a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)

        def asset(name: str) -> str:
            return reverse(f"{api.urls_namespace}:docs-asset", kwargs={**kwargs, "name": name})

        html = format_html(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<title>{title}</title><link rel="stylesheet" href="{css}">'
            '<link rel="icon" href="{icon}" type="image/png"></head>'
            '<body data-csrf-token="{csrf}" data-api-csrf="true">{settings}'
            '<div id="swagger-ui"></div><script src="{bundle}"></script>'
            '<script src="{init}"></script></body></html>',
            title=api.title,
            css=asset("swagger-ui.css"),
            icon=asset("favicon.png"),
            csrf=get_token(request),
            settings=json_script(self.settings, "swagger-settings"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(html)
