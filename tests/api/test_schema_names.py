"""The OpenAPI schema names each input and output once, and bad moments are a 400."""

from __future__ import annotations

from collections import Counter

import pytest
from ninja import Schema

pytestmark = pytest.mark.django_db


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


def test_every_schema_class_has_its_own_component_name():
    import rapport.api  # noqa: F401 -- mounts every app's router, importing every schema

    names = Counter(
        cls.__name__ for cls in _all_subclasses(Schema) if cls.__module__.startswith("rapport.")
    )

    # ninja files schemas by class name: two classes of one name would share one entry
    assert [name for name, count in names.items() if count > 1] == []


def test_the_runs_endpoints_document_their_own_schemas():
    from rapport.api import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]

    def response_ref(path: str, method: str, status: int) -> str:
        content = schema["paths"][path][method]["responses"][status]["content"]
        body = content["application/json"]["schema"]
        return (body.get("items") or body)["$ref"].rsplit("/", 1)[-1]

    assert response_ref("/api/v1/runs/{run_id}", "get", 200) == "ModelRunOut"
    assert response_ref("/api/v1/duplicates/runs/{run_id}", "get", 200) == "DedupeRunOut"
    assert "model_name" in components["ModelRunOut"]["properties"]
    assert "pairs_found" in components["DedupeRunOut"]["properties"]


OUT_OF_RANGE = [
    "0001-01-01T00:00:00-18:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00+01:00",
]


@pytest.mark.parametrize("at", OUT_OF_RANGE)
def test_a_moment_outside_what_utc_can_hold_is_a_400_naming_the_field(world, rep_api, at):
    one = rep_api.get(f"/contacts/{world.acme_cfo.pk}/permission", {"channel": "email", "at": at})
    many = rep_api.get(
        "/contact-permissions", {"channel": "email", "at": at, "contact_ids": world.acme_cfo.pk}
    )

    for response in (one, many):
        assert response.status_code == 400, response.content
        assert "at" in response.json()["errors"]
