"""A bounded schemathesis run over the whole API: no 500, every answer true to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from rapport.core.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(world):
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_call_within_its_schema(case, admin_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_key}"})


@pytest.fixture
def admin_key(world) -> str:
    return api_token_create(user=world.admin, name="fuzz")[1]
