"""API tokens: shown once, stored hashed, revocable."""

from __future__ import annotations

import pytest

from rapport.core import services
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_and_authenticates(world):
    token, key = services.api_token_create(user=world.rep, name="laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix)
    assert key.startswith(stored.prefix)
    assert services.api_token_authenticate(key) == world.rep
    assert services.api_token_authenticate(key + "x") is None


def test_revoked_token_no_longer_works(world):
    token, key = services.api_token_create(user=world.rep, name="ci")
    services.api_token_revoke(user=world.rep, token_id=token.pk)
    assert services.api_token_authenticate(key) is None


def test_someone_elses_token_is_not_found(world):
    token, _ = services.api_token_create(user=world.rep, name="mine")
    with pytest.raises(NotFound):
        services.api_token_revoke(user=world.manager, token_id=token.pk)


def test_token_needs_a_name(world):
    with pytest.raises(InvalidInput) as error:
        services.api_token_create(user=world.rep, name=" ")
    assert error.value.field == "name"


def test_cli_token_command_prints_a_working_key(world, capsys):
    from django.core.management import call_command

    call_command("token", email=world.rep.email, name="cli")
    key = capsys.readouterr().out.strip()
    assert services.api_token_authenticate(key) == world.rep
