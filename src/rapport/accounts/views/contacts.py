"""Pages of people: the contact list, the contact page and its changes, the end-user programme."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors, services
from rapport.accounts.cards import contact_cards
from rapport.accounts.forms import (
    BuyingRoleForm,
    ContactCreateQueryForm,
    ContactFilterForm,
    ContactForm,
    ContactMoveForm,
    DestinationQueryForm,
    EndUserFilterForm,
    IdentityForm,
    OrganisationSearchForm,
    field_as,
)
from rapport.accounts.models import (
    Account,
    Attitude,
    BuyingRoleKind,
    Contact,
    ContactStatus,
    IdentityKind,
)
from rapport.accounts.views.common import (
    account_param,
    filters,
    readable_changes,
)
from rapport.core import selectors as core_selectors
from rapport.core.errors import NotFound
from rapport.core.requests import AuthenticatedRequest
from rapport.web.kit import FORM_ERRORS, apply_error, form_submit, is_fragment, writer_required

ORGANISATION_RESULTS = 20
INFLUENCE_CHOICES = field_as(BuyingRoleForm.base_fields, "influence", forms.ChoiceField).choices


def _organisations(request: AuthenticatedRequest) -> tuple[str, list[Account]]:
    """The organisation search of a picker (`?org=`) and its first matches."""
    org = filters(OrganisationSearchForm, request)["org"]
    page = selectors.account_list(user=request.user, q=org, limit=ORGANISATION_RESULTS)
    return org, page.items


# --- lists ----------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request: AuthenticatedRequest) -> HttpResponse:
    """People by name, filtered by organisation (rolled up), buying role and status."""
    params = filters(ContactFilterForm, request)
    account = account_param(request, params["account"])
    page = selectors.contact_list(
        user=request.user,
        q=params["q"],
        account=account,
        role=params["role"],
        status=params["status"],
        cursor=params["cursor"] or None,
    )
    context: dict[str, Any] = {"page": page, "params": params, "account": account}
    if is_fragment(request):
        return render(request, "accounts/_contact_rows.html", context)
    context.update(
        roles=BuyingRoleKind.choices,
        statuses=ContactStatus.choices,
        filtered=any(params[name] for name in ("q", "account", "role", "status")),
    )
    return render(request, "accounts/contact_list.html", context)


@login_required
@require_GET
def end_users(request: AuthenticatedRequest) -> HttpResponse:
    """The end-user programme: everyone who uses what we sell, reachable as one group."""
    params = filters(EndUserFilterForm, request)
    account = account_param(request, params["account"])
    page = selectors.end_users(
        user=request.user, account=account, q=params["q"], cursor=params["cursor"] or None
    )
    emails = selectors.primary_emails(user=request.user, contacts=page.items)
    rows = [(contact, emails.get(contact.pk, "")) for contact in page.items]
    context: dict[str, Any] = {"page": page, "rows": rows, "params": params, "account": account}
    if is_fragment(request):
        return render(request, "accounts/_end_user_rows.html", context)
    org, organisations = _organisations(request)
    context.update(
        org=org,
        organisations=organisations if org else [],
        total=selectors.end_user_count(user=request.user, account=account, q=params["q"]),
        addresses="; ".join(email for _, email in rows if email),
        filtered=bool(params["q"] or account),
    )
    return render(request, "accounts/end_users.html", context)


# --- the contact page -----------------------------------------------------------------


def _contact_page(
    request: AuthenticatedRequest,
    contact: Contact,
    *,
    identity_form: IdentityForm | None = None,
    role_form: BuyingRoleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    units = selectors.units_for_select(user=request.user, account=contact.account)
    ancestors = [u for u in units if contact.account.path.startswith(u.path)]
    roles = sorted(contact.buying_roles.all(), key=lambda r: (-r.influence, r.role))
    context = {
        "contact": contact,
        "ancestors": ancestors,
        "identities": list(contact.identities.all()),
        "roles": roles,
        "employments": list(contact.employments.all()),
        "direct_reports": list(contact.direct_reports.all()),
        "identity_form": identity_form or IdentityForm(prefix="identity"),
        "role_form": role_form
        or BuyingRoleForm(prefix="role", units=units, initial={"account": contact.account}),
        "influence_choices": INFLUENCE_CHOICES,
        "attitude_choices": Attitude.choices,
        "attitudes": dict(Attitude.choices),
        "show_birth_date": settings.RAPPORT_CONTACT_BIRTH_DATE,
        # the timeline's and the memory's cards, added by those apps (accounts.cards)
        **contact_cards(request, contact),
    }
    return render(request, "accounts/contact_detail.html", context, status=status)


@login_required
@require_GET
def contact_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A person: identities, buying roles, place in the org chart, employment, timeline."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    return _contact_page(request, contact)


@login_required
@require_POST
def identity_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Give a contact another e-mail, phone or system id."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    form = IdentityForm(request.POST, prefix="identity")
    if not form.is_valid():
        return _contact_page(request, contact, identity_form=form, status=400)
    try:
        identity = services.identity_add(actor=request.user, contact=contact, **form.cleaned_data)
    except FORM_ERRORS as exc:
        status = apply_error(form, exc)
        return _contact_page(request, contact, identity_form=form, status=status)
    messages.success(request, f"{identity.get_kind_display()} {identity.value} was added.")
    return redirect("accounts:contact_detail", pk=contact.pk)


@login_required
@require_POST
def identity_remove(request: AuthenticatedRequest, pk: int, identity_pk: int) -> HttpResponse:
    """Remove one of a contact's identities (it stays in the audit history)."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    identity = next((i for i in contact.identities.all() if i.pk == identity_pk), None)
    if identity is None:
        raise NotFound("identity not found")
    services.identity_remove(actor=request.user, identity=identity)
    messages.success(request, f"{identity.get_kind_display()} {identity.value} was removed.")
    return redirect("accounts:contact_detail", pk=contact.pk)


@login_required
@require_POST
def role_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record or update a contact's role in buying at a unit of their organisation."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    units = selectors.units_for_select(user=request.user, account=contact.account)
    form = BuyingRoleForm(request.POST, prefix="role", units=units)
    if not form.is_valid():
        return _contact_page(request, contact, role_form=form, status=400)
    try:
        role = services.buying_role_set(actor=request.user, contact=contact, **form.cleaned_data)
    except FORM_ERRORS as exc:
        status = apply_error(form, exc)
        return _contact_page(request, contact, role_form=form, status=status)
    messages.success(request, f"{role.get_role_display()} at {role.account.name} was saved.")
    return redirect("accounts:contact_detail", pk=contact.pk)


@login_required
@require_POST
def role_remove(request: AuthenticatedRequest, pk: int, role_pk: int) -> HttpResponse:
    """Remove one of a contact's buying roles."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    role = next((r for r in contact.buying_roles.all() if r.pk == role_pk), None)
    if role is None:
        raise NotFound("buying role not found")
    services.buying_role_remove(actor=request.user, buying_role=role)
    messages.success(request, f"{role.get_role_display()} at {role.account.name} was removed.")
    return redirect("accounts:contact_detail", pk=contact.pk)


# --- creating and changing people -----------------------------------------------------


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new person at a unit; without `?account=` the page first asks for the organisation."""
    account = account_param(request, filters(ContactCreateQueryForm, request)["account"])
    if account is None:
        org, organisations = _organisations(request)
        context: dict[str, Any] = {"org": org, "organisations": organisations}
        return render(request, "accounts/contact_pick_organisation.html", context)
    units = selectors.units_for_select(user=request.user, account=account)
    colleagues = selectors.contact_choices(user=request.user, account=account)
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        units=units,
        colleagues=colleagues,
        initial={"account": account},
    )
    sent = form_submit(
        form, lambda: services.contact_create(actor=request.user, **form.cleaned_data)
    )
    if sent.done:
        contact = sent.saved
        messages.success(request, f"{contact.full_name} was added.")
        return redirect("accounts:contact_detail", pk=contact.pk)
    organisation = units[0] if units else account
    context = {"form": form, "mode": "create", "organisation": organisation, "account": account}
    return render(request, "accounts/contact_form.html", context, status=sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Change a person's details, unit within the organisation, or reporting line."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    units = selectors.units_for_select(user=request.user, account=contact.account)
    colleagues = [
        c
        for c in selectors.contact_choices(user=request.user, account=contact.account)
        if c.pk != contact.pk
    ]
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        units=units,
        colleagues=colleagues,
        mode="edit",
        initial=ContactForm.initial_for(contact),
    )
    sent = form_submit(
        form,
        lambda: services.contact_update(
            actor=request.user,
            contact=contact,
            expected_version=form.cleaned_data.pop("version"),
            **form.cleaned_data,
        ),
    )
    if sent.done:
        messages.success(request, f"{contact.full_name} was saved.")
        return redirect("accounts:contact_detail", pk=contact.pk)
    organisation = units[0] if units else contact.account
    context = {"form": form, "mode": "edit", "contact": contact, "organisation": organisation}
    return render(request, "accounts/contact_form.html", context, status=sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def contact_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record that a person moved to another unit or company; their history goes with them."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    destination = account_param(request, filters(DestinationQueryForm, request)["to"], name="to")
    destination = destination or contact.customer
    units = selectors.units_for_select(user=request.user, account=destination)
    form = ContactMoveForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"title": contact.title},
    )
    sent = form_submit(
        form,
        lambda: services.contact_move(
            actor=request.user,
            contact=contact,
            to_account=form.cleaned_data["account"],
            title=form.cleaned_data["title"],
            moved_on=form.cleaned_data["moved_on"],
        ),
    )
    if sent.done:
        unit = form.cleaned_data["account"]
        messages.success(request, f"{contact.full_name} moved to {unit.name}.")
        return redirect("accounts:contact_detail", pk=contact.pk)
    org, organisations = _organisations(request)
    context = {
        "form": form,
        "contact": contact,
        "destination": units[0] if units else destination,
        "leaving": destination.customer_id != contact.customer_id,
        "org": org,
        "organisations": organisations if org else [],
    }
    return render(request, "accounts/contact_move.html", context, status=sent.status)


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Soft-delete a contact, after a confirmation page."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    if request.method == "POST":
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, f"{contact.full_name} was deleted. An admin can restore them.")
        return redirect("accounts:account_detail", pk=contact.account_id)
    return render(request, "accounts/contact_confirm_delete.html", {"contact": contact})


@login_required
@require_GET
def contact_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who changed what on a person, their identities and their buying roles."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    units = selectors.units_for_select(user=request.user, account=contact.account)
    colleagues = selectors.contact_choices(user=request.user, account=contact.account)
    names: dict[str, dict[Any, str]] = {
        "account": {u.pk: u.name for u in units},
        "reports_to": {c.pk: c.full_name for c in colleagues},
        "status": dict(ContactStatus.choices),
    }
    names.update(
        attitude=dict(Attitude.choices),
        role=dict(BuyingRoleKind.choices),
        kind=dict(IdentityKind.choices),
        is_primary={True: "yes", False: "no"},
    )
    entries = core_selectors.history_for(user=request.user, record=contact)
    audit = selectors.contact_audit(user=request.user, contact=contact)
    context = {
        "contact": contact,
        "entries": [(entry, readable_changes(entry.changes, names)) for entry in entries],
        "audit": [(line, readable_changes(line.changes, names)) for line in audit],
    }
    return render(request, "accounts/contact_history.html", context)
