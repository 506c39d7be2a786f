"""The portal's doors: staff invite contacts, contacts accept, entitlements are set.

Pages only, as the portal is the top layer: every write is an accounts service, every read
an accounts selector scoped by core.access.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts import services as account_services
from rapport.accounts.models import Contact, IdentityKind
from rapport.core import access
from rapport.core.errors import NotFound
from rapport.core.requests import AuthenticatedRequest
from rapport.portal.forms import AcceptForm, EntitlementForm, InviteForm
from rapport.web.kit import form_submit


def accept_url(request: HttpRequest) -> str:
    """The acceptance page's absolute address, with the slot the service puts the token in."""
    # The slot is put in after build_absolute_uri, which would percent-encode its braces.
    path = reverse("portal:invitation_accept", args=["TOKEN"])
    return request.build_absolute_uri(path).replace("TOKEN", "{token}")


def _emails(contact: Contact) -> list[str]:
    return [
        i.value
        for i in sorted(contact.identities.all(), key=lambda i: (not i.is_primary, i.value))
        if i.kind == IdentityKind.EMAIL and not i.shared
    ]


def contact_card(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The contact page's portal card: its invitations and, for managers, the invite form."""
    manages = access.manages_portal_of(request.user, contact.customer_id)
    if not manages:
        return {"portal_manages": False}
    return {
        "portal_manages": True,
        "portal_invitations": account_selectors.portal_invitations(
            user=request.user, contact=contact
        )[:5],
        "portal_invite_form": InviteForm(emails=_emails(contact)),
    }


@login_required
@require_POST
def invitation_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Invite a contact to the portal: the link goes by e-mail to the address chosen."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    access.ensure_manages_portal_of(request.user, contact.customer_id)
    form = InviteForm(request.POST, emails=_emails(contact))
    done = form_submit(
        form,
        lambda: account_services.portal_invitation_create(
            actor=request.user,
            contact=contact,
            accept_url=accept_url(request),
            email=form.cleaned_data["email"],
        ),
    )
    if done.done:
        messages.success(request, f"The invitation went to {done.saved.email}.")
    else:
        for error in form.errors.get("email", []) + form.non_field_errors():
            messages.error(request, str(error))
    return redirect(reverse("accounts:contact_detail", args=[contact.pk]) + "#portal")


@login_required
@require_POST
def invitation_resend(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Send a fresh link; the earlier one stops working."""
    invitation = account_selectors.portal_invitation_get(user=request.user, pk=pk)
    fresh = account_services.portal_invitation_resend(
        actor=request.user, invitation=invitation, accept_url=accept_url(request)
    )
    messages.success(request, f"A new link went to {fresh.email}; the earlier one no longer works.")
    return redirect(_back(request, invitation.contact_id))


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Withdraw an invitation: its link stops working."""
    invitation = account_selectors.portal_invitation_get(user=request.user, pk=pk)
    account_services.portal_invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect(_back(request, invitation.contact_id))


def _back(request: HttpRequest, contact_id: int) -> str:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return nxt
    return reverse("accounts:contact_detail", args=[contact_id]) + "#portal"


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invited contact chooses a password (no sign-in needed); a dead link says why."""
    try:
        invitation = account_services.portal_invitation_by_token(token)
    except NotFound as exc:
        return _dead(request, exc.message, status=404)
    if invitation.state != "open":
        return _dead(request, account_services.invitation_dead_reason(invitation), status=410)
    form = AcceptForm(request.POST or None)
    done = form_submit(
        form,
        lambda: account_services.portal_invitation_accept(
            token=token, password=form.cleaned_data["password"]
        ),
    )
    if done.done:
        messages.success(request, "Your password is set. Sign in with your e-mail address.")
        return redirect("web:login")
    context = {"form": form, "invitation": invitation}
    return render(request, "portal/invitation_accept.html", context, status=done.status)


def _dead(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return render(request, "portal/invitation_dead.html", {"reason": reason}, status=status)


@login_required
@require_http_methods(["GET"])
def organisation_portal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An organisation's portal users with their entitlements, and its invitations."""
    account = account_selectors.account_get(user=request.user, pk=pk)
    customer_id = account.customer_pk
    access.ensure_manages_portal_of(request.user, customer_id)
    context = {
        "account": account,
        "entitlements": account_selectors.portal_entitlements(
            user=request.user, customer_id=customer_id
        ),
        "invitations": account_selectors.portal_invitations(
            user=request.user, customer_id=customer_id
        ),
    }
    return render(request, "portal/organisation_portal.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entitlement_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What one portal user sees (units) and may do, set by staff or its own administrator."""
    entitlement = account_selectors.portal_entitlement_get(user=request.user, pk=pk)
    units = account_selectors.units_for_select(user=request.user, account=entitlement.customer)
    initial = {
        "units": [u.pk for u in entitlement.units.all()],
        "may_requisition": entitlement.may_requisition,
        "may_approve": entitlement.may_approve,
        "may_administer": entitlement.may_administer,
        "version": entitlement.version,
    }
    form = EntitlementForm(request.POST or None, initial=initial, units=units)
    done = form_submit(
        form,
        lambda: account_services.portal_entitlement_set(
            actor=request.user,
            entitlement=entitlement,
            units=list(form.cleaned_data["units"]),
            may_requisition=form.cleaned_data["may_requisition"],
            may_approve=form.cleaned_data["may_approve"],
            may_administer=form.cleaned_data["may_administer"],
            expected_version=form.cleaned_data.get("version"),
        ),
    )
    if done.done:
        messages.success(request, f"{entitlement.user.full_name}'s entitlements were saved.")
        return redirect("portal:entitlement_edit", pk=entitlement.pk)
    context = {"entitlement": entitlement, "form": form}
    return render(request, "portal/entitlement_form.html", context, status=done.status)
