"""The cards that higher apps add to the account and contact pages.

accounts is below interactions and memory (they hold rows about accounts and contacts), so
its pages cannot import them. Each higher app hands its cards down instead, once, from its
AppConfig.ready(): a card is a function of the request and the account (or the contact)
returning the template context it adds. The pages look as before and ask the same queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rapport.accounts.models import Account, Contact
from rapport.core.requests import AuthenticatedRequest

AccountCard = Callable[[AuthenticatedRequest, Account], dict[str, Any]]
ContactCard = Callable[[AuthenticatedRequest, Contact], dict[str, Any]]

_account_cards: dict[str, AccountCard] = {}
_contact_cards: dict[str, ContactCard] = {}


def account_card_add(name: str, card: AccountCard) -> None:
    """Add a card to the account page (by name, so a second ready() replaces it)."""
    _account_cards[name] = card


def contact_card_add(name: str, card: ContactCard) -> None:
    """Add a card to the contact page (by name, so a second ready() replaces it)."""
    _contact_cards[name] = card


def account_cards(request: AuthenticatedRequest, account: Account) -> dict[str, Any]:
    """The context every added card gives the account page."""
    context: dict[str, Any] = {}
    for card in _account_cards.values():
        context.update(card(request, account))
    return context


def contact_cards(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The context every added card gives the contact page."""
    context: dict[str, Any] = {}
    for card in _contact_cards.values():
        context.update(card(request, contact))
    return context
