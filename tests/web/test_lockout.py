"""Sign-in lockout locks the attacker's (user, address) pair, not everyone behind a proxy."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")
LOCKS = reverse("web:lockout_list")
UNLOCK = reverse("web:lockout_clear")
PASSWORD = "correct-horse-battery"


def _fail(client, email: str, times: int, address: str = "198.51.100.7", **headers):
    for _ in range(times):
        response = client.post(
            LOGIN, {"username": email, "password": "wrong"}, REMOTE_ADDR=address, **headers
        )
    return response


def _sign_in(client, email: str, address: str = "198.51.100.7", **headers):
    return client.post(
        LOGIN, {"username": email, "password": PASSWORD}, REMOTE_ADDR=address, **headers
    )


def test_ten_bad_passwords_lock_that_user_at_that_address_and_say_when_to_retry(client, world):
    locked = _fail(client, world.rep.email, 10)

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed sign-ins. Try again in 15 minutes, at" in page
    assert int(locked["Retry-After"]) > 14 * 60
    assert _sign_in(client, world.rep.email).status_code == 429


def test_a_colleague_behind_the_same_address_still_signs_in(client, world):
    _fail(client, world.rep.email, 10)

    assert _sign_in(client, world.manager.email)["Location"] == reverse("web:home")


def test_the_same_user_from_another_address_still_signs_in(client, world):
    _fail(client, world.rep.email, 10)

    assert _sign_in(client, world.rep.email, address="203.0.113.50").status_code == 302


def test_nine_bad_passwords_do_not_lock(client, world):
    _fail(client, world.rep.email, 9)

    assert _sign_in(client, world.rep.email).status_code == 302


def test_one_address_guessing_many_users_is_locked_at_the_address_limit(client, world, settings):
    settings.RAPPORT_LOCKOUT_ADDRESS_LIMIT = 12
    for n in range(12):
        _fail(client, f"guess{n}@example.com", 1)

    assert _sign_in(client, world.manager.email).status_code == 429
    assert _sign_in(client, world.manager.email, address="203.0.113.50").status_code == 302


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(client, world):
    for n in range(10):
        _fail(client, world.rep.email, 1, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")

    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    assert _sign_in(client, world.rep.email, HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_locked_not_the_proxy(
    client, world, settings
):
    settings.RAPPORT_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    # The attacker forges a left-hand entry; the proxy appends the address it saw.
    _fail(client, world.rep.email, 10, address=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")

    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    through_proxy = {"address": proxy}
    assert (
        _sign_in(client, world.rep.email, HTTP_X_FORWARDED_FOR="203.0.113.9", **through_proxy)
    ).status_code == 429
    assert (
        _sign_in(client, world.rep.email, HTTP_X_FORWARDED_FOR="203.0.113.10", **through_proxy)
    ).status_code == 302


def test_an_admin_sees_the_lock_and_lifts_it(client, world):
    _fail(client, world.rep.email, 10)
    client.force_login(world.admin)

    page = client.get(LOCKS)
    assert page.status_code == 200
    assert world.rep.email in page.content.decode()
    assert "198.51.100.7" in page.content.decode()

    response = client.post(UNLOCK, {"address": "198.51.100.7", "username": world.rep.email})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert _sign_in(client, world.rep.email).status_code == 302


@pytest.mark.parametrize("role", ["manager", "rep", "analyst", "partner_user", "portal_acme"])
def test_only_an_admin_sees_or_lifts_locks(client, world, role):
    _fail(client, world.rep.email, 10)
    client.force_login(getattr(world, role))

    assert client.get(LOCKS).status_code == 403
    assert client.post(UNLOCK, {"address": "198.51.100.7"}).status_code == 403
    assert AccessAttempt.objects.count() == 1


def test_unlocking_a_bad_address_names_the_field(client, world):
    client.force_login(world.admin)

    response = client.post(UNLOCK, {"address": "not-an-address"}, follow=True)

    assert "address: Enter a valid IPv4 or IPv6 address." in response.content.decode()


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is the caller's to forge
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # a forged left-hand entry is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),  # two proxies of ours
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: not through them all
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_only_through_trusted_proxies(
    settings, trusted, forwarded_for, expected
):
    from django.test import RequestFactory

    from rapport.core.auth import client_address

    settings.RAPPORT_TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().post(
        LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for
    )

    assert client_address(request) == expected
