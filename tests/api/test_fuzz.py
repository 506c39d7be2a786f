"""Random JSON bodies never make the API answer 500."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.accounts.models import AccountKind, BuyingRoleKind, LifecycleStage
from rapport.interactions.models import Channel, Direction, Outcome

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=34,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text including what databases refuse (NUL, lone surrogates) and what is too long.
texts = st.text(max_size=20) | st.sampled_from(
    ["", " ", "\x00", "a\ud800b", "x" * 600, "😀", "<script>", "O'Brien", "1e400"]
)
scalars = (
    st.none()
    | st.booleans()
    | texts
    | st.floats()
    | st.integers()
    | st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**40])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
moments = st.datetimes(
    timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=14)))
).map(lambda d: d.isoformat())
days = st.dates().map(lambda d: d.isoformat())


def _maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly plausible values, sometimes anything at all."""
    return st.one_of(valid, valid, json_values)


def _bodies(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    shaped = st.fixed_dictionaries(
        {}, optional={name: _maybe(values) for name, values in fields.items()}
    )
    return st.one_of(shaped, shaped, shaped, json_values)


def _post(api, path, body):
    response = api.raw("post", path, json.dumps(body))
    assert response.status_code in {201, 400, 403, 404, 409}, response.content
    if response.status_code != 201:
        assert set(response.json()) == {"code", "message", "errors"}
    return response


@FUZZ
@given(data=st.data())
def test_post_accounts(world, rep_api, data):
    account_ids = st.sampled_from([world.acme.pk, world.acme_plant.pk, world.globex.pk, 999_999])
    body = data.draw(
        _bodies(
            {
                "name": texts,
                "parent_id": account_ids,
                "kind": st.sampled_from(AccountKind.values),
                "industry": texts,
                "website": texts,
                "country": texts,
                "city": texts,
                "description": texts,
                "employees": st.integers(),
                "manager_id": st.sampled_from([world.rep.pk, world.portal_acme.pk, 999_999]),
                "lifecycle_stage": st.sampled_from(LifecycleStage.values),
            }
        )
    )

    _post(rep_api, "/accounts", body)


@FUZZ
@given(data=st.data())
def test_post_contacts(world, rep_api, data):
    body = data.draw(
        _bodies(
            {
                "account_id": st.sampled_from([world.acme.pk, world.globex_it.pk, 999_999]),
                "first_name": texts,
                "last_name": texts,
                "title": texts,
                "notes": texts,
                "reports_to_id": st.sampled_from([world.acme_cfo.pk, world.globex_cto.pk, 999_999]),
                "email": texts | st.sampled_from(["a@b.example", "carla@acme.example"]),
                "phone": texts | st.sampled_from(["+49 40 1234567", "0049 40 1234567"]),
                "started_on": days,
            }
        )
    )

    _post(rep_api, "/contacts", body)
    role = data.draw(
        _bodies(
            {
                "role": st.sampled_from(BuyingRoleKind.values),
                "account_id": st.sampled_from([world.acme.pk, world.globex.pk]),
                "influence": st.integers(-10, 10),
                "attitude": st.integers(-10, 10),
                "notes": texts,
            }
        )
    )
    response = rep_api.raw("post", f"/contacts/{world.acme_cfo.pk}/buying-roles", json.dumps(role))
    assert response.status_code in {200, 400}, response.content


@FUZZ
@given(data=st.data())
def test_post_interactions(world, rep_api, data):
    contact_ids = st.sampled_from(
        [world.acme_cfo.pk, world.acme_buyer.pk, world.globex_cto.pk, 999_999]
    )
    body = data.draw(
        _bodies(
            {
                "account_id": st.sampled_from(
                    [world.acme.pk, world.acme_plant.pk, world.globex.pk, 999_999]
                ),
                "channel": st.sampled_from(Channel.values),
                "direction": st.sampled_from(Direction.values),
                "occurred_at": moments,
                "subject": texts,
                "summary": texts,
                "next_step": texts,
                "outcome": st.sampled_from(Outcome.values),
                "contact_ids": st.lists(contact_ids, max_size=3),
                "user_ids": st.lists(
                    st.sampled_from([world.rep.pk, world.partner_user.pk, 999_999]), max_size=2
                ),
                "partner_id": st.sampled_from([world.partner.pk, 999_999]),
            }
        )
    )

    _post(rep_api, "/interactions", body)
