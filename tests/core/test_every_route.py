"""Every URL and API route, walked as a portal user and as a partner user of the wrong
organisation: no response may show another organisation's data, none may be a 500, and
no request may change anything."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("admin/", "static/", "api/v1/docs", "api/v1/openapi.json")
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_PARAM = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")


def _routes(patterns=None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _fill(route: str, value: int) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = REGEX_PARAM.sub(str(value), route)
    return "/" + PARAM.sub(lambda m: str(value), route)


def _snapshot() -> dict[str, tuple]:
    state = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"core", "accounts", "interactions", "memory"}:
            continue
        fields = {f.name for f in model._meta.concrete_fields}
        aggregate = {"n": Max("pk")}
        if "updated_at" in fields:
            aggregate["u"] = Max("updated_at")
        manager = getattr(model, "all_objects", model._default_manager)
        state[model._meta.label] = (manager.count(), tuple(manager.aggregate(**aggregate).values()))
    return state


def _sweep(client: Client, forbidden: list[str], ids: list[int]) -> list[str]:
    problems = []
    routes = sorted({r for r in _routes() if not r.lstrip("^").startswith(SKIPPED_PREFIXES)})
    assert len(routes) > 10, routes
    for route in routes:
        has_params = bool(PARAM.search(route) or REGEX_PARAM.search(route))
        for value in ids if has_params else [0]:
            url = _fill(route, value)
            for method in ("get", "post", "patch", "delete"):
                if method in {"patch", "delete"} and not url.startswith("/api/"):
                    continue
                if method == "get":
                    response = client.get(url)
                else:
                    response = getattr(client, method)(
                        url, data=json.dumps({}), content_type="application/json"
                    )
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {url}: {response.status_code}")
                body = response.content.decode(errors="replace")
                leaked = [word for word in forbidden if word in body]
                if leaked:
                    problems.append(f"{method.upper()} {url}: shows {leaked}")
    return problems


def _every_id(world) -> list[int]:
    ids: set[int] = set()
    for model in apps.get_models():
        if model._meta.app_label in {"accounts", "interactions", "memory"} and not (
            model.__name__.startswith("Historical")
        ):
            ids |= set(model._default_manager.values_list("pk", flat=True))
    return sorted(ids)


def _remember(world) -> None:
    """What each organisation taught us: facts (one contradicted), askings, questionnaires."""
    from rapport.memory import services
    from rapport.memory.selectors import attribute_get

    plans, seats = attribute_get(key="plan-expansion"), attribute_get(key="spec-seats")
    for account, contact, plan in (
        (world.acme, world.acme_cfo, "Acme plant in Lyon"),
        (world.globex, world.globex_cto, "Globex server farm in Oslo"),
    ):
        services.fact_record(
            actor=world.rep,
            attribute=plans,
            value=plan,
            account=account,
            source="user",
            said_by=contact,
        )
        services.fact_record(
            actor=world.rep,
            attribute=plans,
            value=f"{plan} (revised)",
            account=account,
            source="user",
        )
        asking = services.question_ask(actor=world.rep, attribute=seats, account=account)
        services.question_answer(actor=world.rep, asking=asking, value=12)
        services.questionnaire_create(actor=world.rep, attributes=[seats], contact=contact)
    # Where we left off (X2): each organisation's thread, with a commitment each way on it.
    from rapport.interactions import services as interaction_services

    for account, contact, topic in (
        (world.acme_plant, world.acme_buyer, "Acme plant in Lyon"),
        (world.globex_it, world.globex_cto, "Globex server farm in Oslo"),
    ):
        thread = interaction_services.thread_open(actor=world.rep, account=account, title=topic)
        for owed_by, owner in (("us", None), ("customer", contact)):
            interaction_services.commitment_create(
                actor=world.rep,
                account=account,
                owed_by=owed_by,
                description=f"{topic}: next step",
                owner_contact=owner,
                thread=thread,
            )


ACME_WORDS = [
    "Acme", "Carla", "Finch", "Ben Buyer", "Plant Hamburg", "site survey", "Northwind", "Lyon",
]  # fmt: skip
GLOBEX_WORDS = ["Globex", "Greta", "Gold", "Southwind", "renewal terms", "Oslo"]


@pytest.mark.parametrize(
    ("who", "forbidden"),
    [("portal_globex", ACME_WORDS), ("partner_user", GLOBEX_WORDS), ("portal_acme", GLOBEX_WORDS)],
)
def test_no_route_leaks_another_organisation_or_changes_anything(world, who, forbidden):
    _remember(world)
    client = Client(raise_request_exception=True)
    client.force_login(getattr(world, who))
    before = _snapshot()

    problems = _sweep(client, forbidden, _every_id(world))

    assert problems == []
    assert _snapshot() == before


def test_anonymous_gets_nothing(world):
    _remember(world)
    client = Client(raise_request_exception=True)
    before = _snapshot()
    problems = _sweep(client, ACME_WORDS + GLOBEX_WORDS, _every_id(world))
    assert problems == []
    assert _snapshot() == before
