"""The web kit every app's pages share: the writer check, htmx fragments, a select over rows
already fetched, a service's error shown on its form, and the shape of a form view.

It imports only core and Django, so any app may use it although it lives in web/ (whose
pages are the top layer); the import-linter contracts in pyproject.toml hold that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, TypeVar, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from rapport.core import access
from rapport.core.errors import (
    ApplicationError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleWrite,
)

T = TypeVar("T")

# What a service raises that a form can show beside its fields (others are 403/404 pages).
FORM_ERRORS = (InvalidInput, Conflict, StaleWrite)


def writer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse (403) read-only roles before showing them a form they could not submit.

    The services check again on every write; this only spares them a useless form.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access.ensure_can_write(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def is_fragment(request: HttpRequest) -> bool:
    """True when htmx asks for a piece of the page (not a full page on history restore)."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request and not htmx.boosted


def id_param(raw: str, name: str) -> int | None:
    """A row id from a query or form parameter; a malformed one is as unknown as a missing row."""
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{name} not found") from None


class VersionField(forms.IntegerField):
    """The version a record was opened at, sent back with the form so a stale save is caught."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=1, widget=forms.HiddenInput, **kwargs)


def apply_error(form: forms.Form, error: ApplicationError) -> int:
    """Show a service's error on the form (on its field when it has one); returns the status."""
    messages = error.errors or {error.field or "non_field": [error.message]}
    for name, texts in messages.items():
        for text in texts:
            form.add_error(name if name in form.fields else None, text)
    return version_refreshed(form, error)


def version_refreshed(form: forms.Form, error: ApplicationError) -> int:
    """After a stale save, let the form carry the version now kept; the page's status.

    The person's own input stays in the form beside what is kept now (on each field), so
    saving again is a deliberate choice to overwrite, not an accident.
    """
    if not isinstance(error, StaleWrite):
        return error.status
    if "version" in form.fields and form.is_bound:
        data = cast(Any, form.data).copy()
        data["version"] = str(error.current_version)
        form.data = data
    return 409


@dataclass(frozen=True)
class Submission(Generic[T]):
    """What a form view's request came to: done (with the service's result) or its status."""

    status: int = 200
    done: bool = False
    result: T | None = None

    @property
    def saved(self) -> T:
        """The service's result, once done."""
        if not self.done:
            raise ValueError("the form was not saved")
        return cast(T, self.result)


def form_submit(
    form: forms.Form,
    write: Callable[[], T],
    *,
    errors: tuple[type[ApplicationError], ...] = FORM_ERRORS,
) -> Submission[T]:
    """The shape of every form view: run `write` (one service call) on a valid bound form.

    An unbound form (GET) gives status 200, an invalid one 400; a service's error is shown
    on the form with its own status (`errors` names which; a refusal is never shown on a
    form, it stays a 403 page). `write` runs only once the form is valid.
    """
    if not form.is_bound:
        return Submission()
    if not form.is_valid():
        return Submission(status=400)
    try:
        result = write()
    except errors as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return Submission(status=apply_error(form, exc))
    return Submission(done=True, result=result)


class ObjectChoiceField(forms.ChoiceField):
    """A select over rows a selector already fetched (and scoped); cleans to the row itself.

    Unlike ModelChoiceField it never queries again: the options are the permission check.
    """

    def __init__(
        self,
        *,
        objects: Iterable[Any] = (),
        label_from: Callable[[Any], str] = str,
        empty_label: str | None = "—",
        **kwargs: Any,
    ) -> None:
        self.empty_label = empty_label
        self.label_from = label_from
        super().__init__(**kwargs)
        self.set_objects(objects)

    def set_objects(
        self, objects: Iterable[Any], label_from: Callable[[Any], str] | None = None
    ) -> None:
        """Replace the options (a form fills them in from its user's selectors)."""
        if label_from is not None:
            self.label_from = label_from
        self.objects = {str(obj.pk): obj for obj in objects}
        options = [(key, self.label_from(obj)) for key, obj in self.objects.items()]
        self.choices = (
            [("", self.empty_label), *options] if self.empty_label is not None else options
        )

    def prepare_value(self, value: Any) -> Any:
        # the options' keys are strings: so is the value a row stands for
        return str(value.pk) if hasattr(value, "pk") else value

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return self.objects.get(str(value)) if value not in self.empty_values else None

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


_MARKER = 987_654_321_987


def url_maker(route: str) -> Callable[[int], str]:
    """The address of a route taking one id, reversed once: a page's rows each get theirs
    without a reverse() apiece (a hundred reverses are milliseconds on a page)."""
    head, tail = reverse(route, args=[_MARKER]).split(str(_MARKER))
    return lambda pk: f"{head}{pk}{tail}"
