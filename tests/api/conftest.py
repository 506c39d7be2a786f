"""Fixtures of the API tests: a JSON client per user, and a snapshot of everything stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    Employment,
    LifecycleChange,
    Partner,
    PartnerLink,
)
from rapport.core.services import api_token_create
from rapport.interactions.models import Interaction, Participant

BASE = "/api/v1"


class Api:
    """A JSON client speaking to /api/v1 as one user (or anonymously)."""

    def __init__(self, key: str | None = None) -> None:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        self.client = Client(**headers)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self._send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path)

    def raw(self, method: str, path: str, data: str | bytes = b"") -> Any:
        """Any method with a body sent as is (GET and DELETE send none)."""
        if method in {"get", "delete"}:
            return getattr(self.client, method)(BASE + path)
        return getattr(self.client, method)(BASE + path, data=data, content_type="application/json")

    def _send(self, method: str, path: str, body: Any) -> Any:
        data = "" if body is None else json.dumps(body)
        return getattr(self.client, method)(BASE + path, data=data, content_type="application/json")


@pytest.fixture
def api_as(world) -> Callable[[Any], Api]:
    """A client authenticated with a fresh token of the given user; None: anonymous."""

    def make(user: Any) -> Api:
        if user is None:
            return Api()
        _, key = api_token_create(user=user, name="tests")
        return Api(key)

    return make


@pytest.fixture
def admin_api(world, api_as) -> Api:
    return api_as(world.admin)


@pytest.fixture
def rep_api(world, api_as) -> Api:
    return api_as(world.rep)


_MODELS = (
    Account,
    Contact,
    ContactIdentity,
    BuyingRole,
    Employment,
    LifecycleChange,
    Partner,
    PartnerLink,
    Interaction,
    Participant,
)


def snapshot() -> dict[str, Any]:
    """Every stored row of customer data and its audit history, to prove nothing changed."""
    state: dict[str, Any] = {}
    for model in _MODELS:
        manager = getattr(model, "all_objects", model.objects)
        state[model.__name__] = sorted(
            tuple(str(v) for v in row)
            for row in manager.values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        history = getattr(model, "history", None)
        if history is not None:
            state[f"{model.__name__}.history"] = history.count()
    return state


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """Call once to take a snapshot; call the result to assert nothing changed since."""

    def take() -> Callable[[], None]:
        before = snapshot()

        def check() -> None:
            assert snapshot() == before

        return check

    return take
