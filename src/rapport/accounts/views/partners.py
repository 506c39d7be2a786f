"""Pages of channel partners and the end-customer accounts they serve."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors, services
from rapport.accounts.forms import (
    OrganisationSearchForm,
    PartnerForm,
    PartnerLinkEndForm,
    PartnerLinkForm,
    SearchForm,
)
from rapport.accounts.models import Partner
from rapport.accounts.views.common import filters
from rapport.core import access
from rapport.core.errors import InvalidInput, NotFound
from rapport.core.requests import AuthenticatedRequest
from rapport.web.kit import FORM_ERRORS, apply_error, form_submit, writer_required

ORGANISATION_OPTIONS = 50


@login_required
@require_GET
def partner_list(request: AuthenticatedRequest) -> HttpResponse:
    """Channel partners with how many accounts each serves."""
    q = filters(SearchForm, request)["q"]
    partners = list(selectors.partner_list(user=request.user, q=q))
    return render(request, "accounts/partner_list.html", {"partners": partners, "q": q})


def _partner_page(
    request: AuthenticatedRequest,
    partner: Partner,
    *,
    link_form: PartnerLinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    links = sorted(
        selectors.partner_links(user=request.user, partner=partner),
        key=lambda link: (link.ended_on is not None, link.account.name.lower()),
    )
    org = filters(OrganisationSearchForm, request)["org"]
    if link_form is None and access.can(request.user, access.Capability.WRITE_CUSTOMER_DATA):
        organisations = selectors.account_list(
            user=request.user, q=org, limit=ORGANISATION_OPTIONS
        ).items
        link_form = PartnerLinkForm(user=request.user, organisations=organisations)
    context: dict[str, Any] = {
        "partner": partner,
        "active_links": [link for link in links if link.ended_on is None],
        "ended_links": [link for link in links if link.ended_on is not None],
        "link_form": link_form,
        "org": org,
    }
    return render(request, "accounts/partner_detail.html", context, status=status)


@login_required
@require_GET
def partner_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A partner and the accounts it serves, in which role, since when."""
    partner = selectors.partner_get(user=request.user, pk=pk)
    return _partner_page(request, partner)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def partner_create(request: AuthenticatedRequest) -> HttpResponse:
    """Register a channel partner."""
    form = PartnerForm(request.POST if request.method == "POST" else None)
    sent = form_submit(
        form, lambda: services.partner_create(actor=request.user, **form.cleaned_data)
    )
    if sent.done:
        partner = sent.saved
        messages.success(request, f"{partner.name} was added.")
        return redirect("accounts:partner_detail", pk=partner.pk)
    return render(request, "accounts/partner_form.html", {"form": form}, status=sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a partner's details."""
    partner = selectors.partner_get(user=request.user, pk=pk)
    form = PartnerForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(partner, name) for name in PartnerForm.base_fields},
        editing=True,
    )
    sent = form_submit(
        form,
        lambda: services.partner_update(
            actor=request.user,
            partner=partner,
            expected_version=form.cleaned_data.pop("version"),
            **form.cleaned_data,
        ),
    )
    if sent.done:
        messages.success(request, f"{partner.name} was saved.")
        return redirect("accounts:partner_detail", pk=partner.pk)
    context = {"form": form, "partner": partner}
    return render(request, "accounts/partner_form.html", context, status=sent.status)


@login_required
@require_POST
def partner_link_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record that the partner serves another organisation, in a role."""
    partner = selectors.partner_get(user=request.user, pk=pk)
    organisations = selectors.account_list(user=request.user, limit=ORGANISATION_OPTIONS).items
    form = PartnerLinkForm(request.POST, user=request.user, organisations=organisations)
    if not form.is_valid():
        return _partner_page(request, partner, link_form=form, status=400)
    try:
        link = services.partner_link_create(
            actor=request.user, partner=partner, **form.cleaned_data
        )
    except FORM_ERRORS as exc:
        status = apply_error(form, exc)
        return _partner_page(request, partner, link_form=form, status=status)
    messages.success(
        request, f"{partner.name} now serves {link.account.name} as {link.get_role_display()}."
    )
    return redirect("accounts:partner_detail", pk=partner.pk)


@login_required
@require_POST
def partner_link_end(request: AuthenticatedRequest, pk: int, link_pk: int) -> HttpResponse:
    """End the partner's service of an account; the link stays in the history."""
    partner = selectors.partner_get(user=request.user, pk=pk)
    link = selectors.partner_links(user=request.user, partner=partner).filter(pk=link_pk).first()
    if link is None:
        raise NotFound("partner link not found")
    form = PartnerLinkEndForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Give the end date as a date.", field="ended_on")
    services.partner_link_end(actor=request.user, link=link, ended_on=form.cleaned_data["ended_on"])
    messages.success(request, f"{partner.name} no longer serves {link.account.name}.")
    return redirect("accounts:partner_detail", pk=partner.pk)
