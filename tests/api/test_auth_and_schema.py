"""Authentication (token and session), the OpenAPI schema and the offline docs page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from rapport.core.models import ApiToken
from rapport.core.services import api_token_create
from tests.api.conftest import BASE, Api

pytestmark = pytest.mark.django_db

# Every route the API promises (method, path), as the OpenAPI schema must list them.
ROUTES = {
    ("get", "/me"),
    ("get", "/tokens"),
    ("post", "/tokens"),
    ("delete", "/tokens/{token_id}"),
    ("get", "/accounts"),
    ("post", "/accounts"),
    ("get", "/accounts/{account_id}"),
    ("patch", "/accounts/{account_id}"),
    ("delete", "/accounts/{account_id}"),
    ("post", "/accounts/{account_id}/restore"),
    ("post", "/accounts/{account_id}/move"),
    ("get", "/accounts/{account_id}/tree"),
    ("get", "/accounts/{account_id}/lifecycle"),
    ("post", "/accounts/{account_id}/lifecycle"),
    ("get", "/accounts/{account_id}/buying-centre"),
    ("get", "/accounts/{account_id}/contacts"),
    ("get", "/accounts/{account_id}/timeline"),
    ("get", "/accounts/{account_id}/partners"),
    ("get", "/accounts/{account_id}/history"),
    ("get", "/contacts"),
    ("post", "/contacts"),
    ("get", "/contacts/{contact_id}"),
    ("patch", "/contacts/{contact_id}"),
    ("delete", "/contacts/{contact_id}"),
    ("post", "/contacts/{contact_id}/move"),
    ("get", "/contacts/{contact_id}/identities"),
    ("post", "/contacts/{contact_id}/identities"),
    ("delete", "/contacts/{contact_id}/identities/{identity_id}"),
    ("get", "/contacts/{contact_id}/buying-roles"),
    ("post", "/contacts/{contact_id}/buying-roles"),
    ("delete", "/contacts/{contact_id}/buying-roles/{role_id}"),
    ("get", "/contacts/{contact_id}/employments"),
    ("get", "/contacts/{contact_id}/timeline"),
    ("get", "/contacts/{contact_id}/history"),
    ("get", "/end-users"),
    ("get", "/partners"),
    ("post", "/partners"),
    ("get", "/partners/{partner_id}"),
    ("patch", "/partners/{partner_id}"),
    ("get", "/partners/{partner_id}/links"),
    ("post", "/partners/{partner_id}/links"),
    ("post", "/partner-links/{link_id}/end"),
    ("get", "/interactions"),
    ("post", "/interactions"),
    ("get", "/interactions/{interaction_id}"),
    ("patch", "/interactions/{interaction_id}"),
    ("delete", "/interactions/{interaction_id}"),
    ("get", "/interactions/{interaction_id}/history"),
    # threads and commitments: where we left off (X2); capture quality (X9)
    ("get", "/accounts/{account_id}/where-we-left-off"),
    ("get", "/contacts/{contact_id}/where-we-left-off"),
    ("get", "/accounts/{account_id}/threads"),
    ("post", "/threads"),
    ("get", "/threads/{thread_id}"),
    ("post", "/threads/{thread_id}/close"),
    ("post", "/threads/{thread_id}/reopen"),
    ("get", "/commitments"),
    ("post", "/commitments"),
    ("get", "/commitments/{commitment_id}"),
    ("patch", "/commitments/{commitment_id}"),
    ("post", "/commitments/{commitment_id}/complete"),
    ("post", "/commitments/{commitment_id}/cancel"),
    ("get", "/scorecards/capture"),
    # communication preferences and consent (X5)
    ("get", "/contacts/{contact_id}/communication-preferences"),
    ("put", "/contacts/{contact_id}/communication-preferences"),
    ("get", "/contacts/{contact_id}/frequency-caps"),
    ("put", "/contacts/{contact_id}/frequency-caps/{channel}"),
    ("delete", "/contacts/{contact_id}/frequency-caps/{channel}"),
    ("get", "/contacts/{contact_id}/consents"),
    ("post", "/contacts/{contact_id}/consents"),
    ("get", "/contacts/{contact_id}/permission"),
    ("get", "/contact-permissions"),
    # quiet intervals (X8)
    ("get", "/alerts/quiet"),
    ("post", "/alerts/quiet/recompute"),
    ("delete", "/attributes/{key}"),
    ("get", "/accounts/{account_id}/next-questions"),
    ("get", "/accounts/{account_id}/profile"),
    ("get", "/accounts/{account_id}/value"),
    ("get", "/accounts/{account_id}/value/history"),
    ("get", "/tiers"),
    ("get", "/runs"),
    ("get", "/runs/{run_id}"),
    ("post", "/runs"),
    ("post", "/runs/{run_id}/rerun"),
    ("get", "/askings"),
    ("get", "/attributes"),
    ("get", "/contacts/{contact_id}/next-questions"),
    ("get", "/contacts/{contact_id}/profile"),
    ("get", "/contradictions"),
    ("get", "/facts"),
    ("get", "/facts/{fact_id}"),
    ("get", "/ingestion-review"),
    ("get", "/ingestions"),
    ("get", "/ingestions/{run_id}"),
    ("get", "/questions/known"),
    ("get", "/reasks"),
    ("patch", "/attributes/{key}"),
    ("post", "/askings"),
    ("post", "/askings/{asking_id}/answer"),
    ("post", "/attributes"),
    ("post", "/contradictions/{contradiction_id}/resolve"),
    ("post", "/facts"),
    ("post", "/ingestion-review/{item_id}/attach"),
    ("post", "/ingestion-review/{item_id}/dismiss"),
    ("post", "/ingestions"),
    ("post", "/questionnaires"),
    ("post", "/questionnaires/{questionnaire_id}/revoke"),
    # import and export (PL4)
    ("post", "/imports"),
    ("get", "/imports"),
    ("get", "/imports/{run_id}"),
    ("post", "/imports/{run_id}/check"),
    ("post", "/imports/{run_id}/confirm"),
    ("get", "/imports/{run_id}/errors"),
    ("get", "/exports/{name}"),
    # value records (D1, D3, D4)
    ("get", "/categories"),
    ("post", "/categories"),
    ("get", "/order-lines"),
    ("post", "/order-lines"),
    ("get", "/order-lines/{line_id}"),
    ("patch", "/order-lines/{line_id}"),
    ("delete", "/order-lines/{line_id}"),
    ("get", "/subscriptions"),
    ("post", "/subscriptions"),
    ("get", "/subscriptions/{subscription_id}"),
    ("patch", "/subscriptions/{subscription_id}"),
    ("post", "/subscriptions/{subscription_id}/cancel"),
    ("get", "/wallet-estimates"),
    ("post", "/wallet-estimates"),
    ("get", "/judgements"),
    ("post", "/judgements"),
    # identity resolution (I6)
    ("get", "/duplicates/contacts"),
    ("get", "/duplicates/accounts"),
    ("get", "/duplicates/pairs"),
    ("get", "/duplicates/pairs/{pair_id}"),
    ("post", "/duplicates/pairs/{pair_id}/decision"),
    ("post", "/duplicates/pairs/{pair_id}/merge"),
    ("post", "/duplicates/runs"),
    ("get", "/duplicates/runs/{run_id}"),
    ("get", "/duplicates/settings"),
    ("put", "/duplicates/settings"),
    ("get", "/merges"),
    ("post", "/merges/contacts"),
    ("post", "/merges/accounts"),
    ("post", "/merges/{merge_id}/undo"),
    # needs, segments and the Differentiate pictures (D6, D7)
    ("get", "/needs"),
    ("get", "/accounts/{account_id}/needs"),
    ("get", "/contacts/{contact_id}/needs"),
    ("get", "/segments"),
    ("get", "/segments/{segment_id}"),
    ("get", "/segments/{segment_id}/members"),
    ("get", "/differentiate"),
    # the catalog (C1)
    ("get", "/products"),
    ("post", "/products"),
    ("get", "/products/{product_id}"),
    ("patch", "/products/{product_id}"),
    ("delete", "/products/{product_id}"),
    ("put", "/products/{product_id}/options"),
    ("post", "/products/{product_id}/check"),
    # a customer's own catalog, prices, configurations, quotes and orders (C2, C3)
    ("post", "/accounts/{account_id}/prices"),
    ("get", "/accounts/{account_id}/catalog"),
    ("post", "/accounts/{account_id}/catalog"),
    ("delete", "/catalog-entries/{entry_id}"),
    ("get", "/accounts/{account_id}/agreements"),
    ("post", "/accounts/{account_id}/agreements"),
    ("patch", "/agreements/{agreement_id}"),
    ("delete", "/agreements/{agreement_id}"),
    ("get", "/accounts/{account_id}/configurations"),
    ("post", "/accounts/{account_id}/configurations"),
    ("get", "/configurations/{configuration_id}"),
    ("patch", "/configurations/{configuration_id}"),
    ("delete", "/configurations/{configuration_id}"),
    ("get", "/configurations/{configuration_id}/versions"),
    ("post", "/configurations/{configuration_id}/reorder"),
    ("get", "/accounts/{account_id}/orders"),
    ("post", "/accounts/{account_id}/quotes"),
    ("post", "/accounts/{account_id}/orders"),
    ("get", "/orders/{order_id}"),
    ("post", "/orders/{order_id}/accept"),
    ("post", "/orders/{order_id}/decline"),
    ("get", "/replenishment"),
    ("get", "/treatments"),
    ("put", "/segments/{segment_id}/treatment"),
    ("post", "/treatments/{treatment_id}/move"),
    ("delete", "/treatments/{treatment_id}"),
    ("get", "/accounts/{account_id}/treatment"),
    ("put", "/accounts/{account_id}/treatment"),
    ("delete", "/accounts/{account_id}/treatment"),
    ("get", "/contacts/{contact_id}/portal-invitations"),
    ("post", "/contacts/{contact_id}/portal-invitations"),
    ("post", "/portal-invitations/{invitation_id}/resend"),
    ("post", "/portal-invitations/{invitation_id}/revoke"),
    ("get", "/accounts/{account_id}/portal-users"),
    ("get", "/portal-users/{entitlement_id}"),
    ("put", "/portal-users/{entitlement_id}"),
}


def _schema() -> dict:
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_schema_lists_every_route_with_error_responses():
    schema = _schema()

    listed = {
        (method, path.removeprefix(BASE))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert listed == ROUTES
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert {"400", "401", "403", "404"} <= set(operation["responses"])
    assert {"BearerTokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def _concrete(path: str, world) -> str:
    ids = {
        "account_id": world.acme.pk,
        "contact_id": world.acme_cfo.pk,
        "interaction_id": world.acme_call.pk,
        "partner_id": world.partner.pk,
        "link_id": 1,
        "token_id": 1,
        "identity_id": 1,
        "role_id": 1,
        "channel": "email",
    }
    # Ids of rows the World does not have are any number: anonymous callers get 401 first.
    ids.setdefault("key", "spec-seats")
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_anonymous_callers_get_401_everywhere(world, unchanged, method, path):
    same = unchanged()

    response = Api().raw(method, _concrete(path, world), "{}")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.json()["errors"] == {}
    same()


@pytest.mark.parametrize(
    "header", ["Bearer rpt_not-a-real-key", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "rpt_x"]
)
def test_bad_credentials_get_401(world, header):
    response = Client(HTTP_AUTHORIZATION=header).get(f"{BASE}/me")

    assert response.status_code == 401


def test_revoked_token_and_inactive_user_get_401(world, api_as):
    revoked = api_as(world.rep)
    ApiToken.objects.filter(user=world.rep).update(revoked_at="2024-01-01T00:00:00Z")
    inactive = api_as(world.manager)
    world.manager.is_active = False
    world.manager.save()

    assert revoked.get("/me").status_code == 401
    assert inactive.get("/me").status_code == 401


def test_session_auth_reads_and_needs_csrf_to_write(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.rep)

    assert browser.get(f"{BASE}/me").json()["id"] == world.rep.pk

    refused = browser.post(f"{BASE}/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert not ApiToken.objects.filter(name="x").exists()

    browser.get(f"{BASE}/docs")  # sets the CSRF cookie, as the docs page does for Swagger UI
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        f"{BASE}/tokens", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201


def test_bearer_token_needs_no_csrf(world):
    _, key = api_token_create(user=world.rep, name="t")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")

    response = client.post(f"{BASE}/tokens", {"name": "y"}, content_type="application/json")

    assert response.status_code == 201


def test_docs_page_works_offline_under_the_site_csp():
    response = Client().get(f"{BASE}/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "http://" not in html
    assert "https://" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for attributes in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attributes or 'type="application/json"' in attributes, (
            "no inline script may run"
        )
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert len(assets) == 4
    for url in assets:
        asset = Client().get(url)
        assert asset.status_code == 200, url
        assert asset["Content-Type"].split(";")[0] in {"text/css", "text/javascript", "image/png"}
        b"".join(asset.streaming_content)
    assert f"{BASE}/openapi.json" in html


def test_unknown_docs_asset_is_404():
    response = Client().get(f"{BASE}/docs/assets/..%2Fsettings.py")

    assert response.status_code == 404
