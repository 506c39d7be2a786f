"""Segment treatment pages (C7): each needs segment's default treatment of its members, and
one organisation's own treatment where it is treated otherwise."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.core import access
from rapport.core.requests import AuthenticatedRequest
from rapport.needs import selectors as needs_selectors
from rapport.offers import selectors, services
from rapport.offers.forms import AccountTreatmentForm, TreatmentForm
from rapport.web.kit import form_submit, id_param, writer_required


@login_required
@require_GET
def treatment_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every current needs segment with its default treatment, and treatments left without one."""
    user = request.user
    rows, orphans = selectors.segment_treatments(user=user)
    context = {
        "rows": rows,
        # a handful at most (segments rarely vanish): a query each is fine
        "orphans": [(t, selectors.treatment_products(t.offers)) for t in orphans],
        "segments": [row.segment for row in rows if row.treatment is None],
        "may_set": access.can(user, access.Capability.SET_TREATMENTS),
    }
    return render(request, "offers/treatment_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def segment_treatment_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Set or change a current segment's default treatment (managers and admins)."""
    user = request.user
    access.ensure(user, access.Capability.SET_TREATMENTS)
    segment = needs_selectors.segment_get(user=user, pk=pk)
    treatment = selectors.segment_treatment_of(user=user, segment=segment)
    products = selectors.offer_choices(user=user)
    initial: dict[str, Any] = {"version": treatment.version if treatment else 0}
    if treatment:
        initial.update(
            offers=treatment.offers,
            cadence_days=treatment.cadence_days,
            channel=treatment.channel,
            note=treatment.note,
        )
    form = TreatmentForm(request.POST or None, products=products, initial=initial)
    sent = form_submit(
        form,
        lambda: services.segment_treatment_set(
            actor=user,
            segment=segment,
            offers=form.cleaned_data["offers"],
            cadence_days=form.cleaned_data["cadence_days"],
            channel=form.cleaned_data["channel"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        ),
    )
    if sent.done:
        messages.success(request, f"The treatment of “{segment.name}” is saved.")
        return redirect("offers:treatment_list")
    context = {"segment": segment, "treatment": treatment, "form": form}
    return render(request, "offers/treatment_form.html", context, status=sent.status)


@login_required
@require_POST
def segment_treatment_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Give a treatment whose segment has gone to one of the current segments."""
    user = request.user
    treatment = selectors.segment_treatment_get(user=user, pk=pk)
    segment_pk = id_param(request.POST.get("segment", ""), "segment")
    segment = needs_selectors.segment_get(user=user, pk=segment_pk or 0)
    services.segment_treatment_move(
        actor=user,
        treatment=treatment,
        segment=segment,
        expected_version=id_param(request.POST.get("version", ""), "version"),
    )
    messages.success(request, f"The treatment now holds for “{segment.name}”.")
    return redirect("offers:treatment_list")


@login_required
@require_POST
def segment_treatment_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Drop a segment's default treatment (its versions stay in the history)."""
    user = request.user
    treatment = selectors.segment_treatment_get(user=user, pk=pk)
    services.segment_treatment_delete(actor=user, treatment=treatment)
    messages.success(request, f"The treatment of “{treatment.segment_name}” is removed.")
    return redirect("offers:treatment_list")


@login_required
@writer_required
@require_http_methods(["GET", "POST"])
def account_treatment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An organisation's effective treatment, part by part with its source, and its own."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    effective = selectors.treatment_for(user=user, account=account)
    if effective.organisation.pk != account.pk:
        return redirect("offers:account_treatment", pk=effective.organisation.pk)
    own = effective.own
    initial: dict[str, Any] = {"version": own.version if own else 0}
    if own:
        initial.update(
            own_offers=own.own_offers,
            offers=own.offers,
            cadence_days=own.cadence_days,
            channel=own.channel,
            reason=own.reason,
        )
    form = AccountTreatmentForm(
        request.POST or None,
        products=selectors.products_buyable(user=user, account=account),
        initial=initial,
    )
    sent = form_submit(
        form,
        lambda: services.account_treatment_set(
            actor=user,
            account=account,
            own_offers=form.cleaned_data["own_offers"],
            offers=form.cleaned_data["offers"],
            cadence_days=form.cleaned_data["cadence_days"],
            channel=form.cleaned_data["channel"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    )
    if sent.done:
        messages.success(request, f"{account.name} has a treatment of its own.")
        return redirect("offers:account_treatment", pk=account.pk)
    context = {
        "account": account,
        "ancestors": account_selectors.account_ancestors(user=user, account=account),
        "effective": effective,
        "default_products": selectors.treatment_products(
            effective.default.offers if effective.default else ()
        ),
        "form": form,
    }
    return render(request, "offers/account_treatment.html", context, status=sent.status)


@login_required
@writer_required
@require_POST
def account_treatment_clear(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Treat the organisation as its segment again."""
    user = request.user
    account = account_selectors.account_get(user=user, pk=pk)
    services.account_treatment_clear(actor=user, account=account)
    messages.success(request, f"{account.name} is treated as its segment again.")
    return redirect("offers:account_treatment", pk=account.pk)
