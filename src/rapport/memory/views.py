"""Pages of the learning memory: profiles, facts, questions, questionnaires, preferences,
logging an interaction with what was learned, and the capture-quality scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.accounts.models import Account, Contact
from rapport.core import access
from rapport.core.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from rapport.core.requests import AuthenticatedRequest, safe_next
from rapport.interactions import selectors as interaction_selectors
from rapport.interactions.forms import (
    OrganisationSearchForm,
    continuity_rows,
    continuity_values,
)
from rapport.interactions.models import Channel, Direction
from rapport.memory import outreach, scorecards, selectors, services
from rapport.memory.forms import (
    AskForm,
    CapturePeriodForm,
    ConsentForm,
    FactForm,
    FrequencyCapForm,
    InteractionLogForm,
    PreferenceForm,
    QuestionnaireAnswerForm,
    QuestionnaireForm,
    ResolveForm,
    learned_rows,
    learned_values,
    value_field,
)
from rapport.memory.models import Attribute, Purpose
from rapport.memory.values import form_value
from rapport.web.kit import apply_error, form_submit, id_param

# --- profiles and facts (X3) -----------------------------------------------------------


@dataclass
class Subject:
    """The account or contact a memory page is about, from the query string or the URL."""

    account: Account
    contact: Contact | None

    @property
    def name(self) -> str:
        return str(self.contact or self.account)

    @property
    def query(self) -> str:
        return f"contact={self.contact.pk}" if self.contact else f"account={self.account.pk}"

    @property
    def profile_url(self) -> str:
        if self.contact is not None:
            return reverse("memory:contact_profile", args=[self.contact.pk])
        return reverse("memory:account_profile", args=[self.account.pk])

    def as_kwargs(self) -> dict[str, Any]:
        return {"contact": self.contact} if self.contact else {"account": self.account}


def _pk(request: AuthenticatedRequest, name: str) -> int | None:
    return id_param(request.GET.get(name) or request.POST.get(name) or "", name)


def _subject(request: AuthenticatedRequest) -> Subject:
    """The subject named by ?account= or ?contact=, through the scoped selectors."""
    contact_pk = _pk(request, "contact")
    if contact_pk is not None:
        contact = account_selectors.contact_get(user=request.user, pk=contact_pk)
        return Subject(account=contact.account, contact=contact)
    account_pk = _pk(request, "account")
    if account_pk is None:
        raise NotFound("Say which account or contact (?account= or ?contact=).")
    return Subject(
        account=account_selectors.account_get(user=request.user, pk=account_pk), contact=None
    )


def _attribute_param(request: AuthenticatedRequest) -> Attribute:
    return selectors.attribute_get(
        key=request.GET.get("attribute") or request.POST.get("attribute") or ""
    )


def _profile_page(request: AuthenticatedRequest, subject: Subject) -> HttpResponse:
    user = request.user
    subject_profile = selectors.profile(user=user, **subject.as_kwargs())
    suggestions = selectors.next_questions(user=user, subject_profile=subject_profile, limit=8)
    context = {
        "subject": subject,
        "profile": subject_profile,
        "suggestions": suggestions,
        "questionnaires": selectors.questionnaire_list(user=user, account=subject.account)
        if access.can(user, access.Capability.SEE_INTERNAL_SIDE)
        else [],
        "questionnaire_form": QuestionnaireForm(
            attributes=[e.attribute for e in subject_profile.entries],
            initial={"attributes": [s.attribute for s in suggestions[:6]]},
        ),
        "new_link": request.session.pop("questionnaire_link", None),
    }
    return render(request, "memory/profile.html", context)


@login_required
@require_GET
def account_profile(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Everything an org unit has taught us, inherited answers, contradictions and the gaps."""
    account = account_selectors.account_get(user=request.user, pk=pk)
    return _profile_page(request, Subject(account=account, contact=None))


@login_required
@require_GET
def contact_profile(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Everything a person (and their unit) has taught us, and what we still don't know."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    return _profile_page(request, Subject(account=contact.account, contact=contact))


@login_required
@require_http_methods(["GET", "POST"])
def fact_record(request: AuthenticatedRequest) -> HttpResponse:
    """Record (or change) what a subject taught us about one attribute."""
    access.ensure_can_write(request.user)
    subject = _subject(request)
    attribute = _attribute_param(request)
    user = request.user
    entry = selectors.known_answer(user=user, attribute=attribute, **subject.as_kwargs())
    form_kwargs: dict[str, Any] = {
        "attribute": attribute,
        "interactions": interaction_selectors.timeline(
            user=user,
            account=subject.account.customer or subject.account,
            contact=subject.contact,
            limit=20,
        ).items,
        "people": account_selectors.contact_choices(user=user, account=subject.account),
    }
    status = 200
    if request.method == "POST":
        form = FactForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.fact_record(
                    actor=user,
                    attribute=attribute,
                    value=data["value"],
                    source=data["source"],
                    interaction=data["interaction"],
                    said_by=data["said_by"],
                    confidence=data["confidence"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    note=data["note"],
                    **subject.as_kwargs(),
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, f"Recorded {attribute.label.lower()} for {subject.name}.")
                return redirect(subject.profile_url)
        status = 400
    else:
        initial: dict[str, Any] = {"said_by": subject.contact}
        if entry.fact is not None:
            initial["value"] = (
                form_value(attribute, entry.fact.value)
                if attribute.value_type != "multi_choice"
                else entry.fact.value
            )
        form = FactForm(initial=initial, **form_kwargs)
    context = {"form": form, "subject": subject, "attribute": attribute, "entry": entry}
    return render(request, "memory/fact_form.html", context, status=status)


@login_required
@require_GET
def fact_history(request: AuthenticatedRequest) -> HttpResponse:
    """Every value a subject has had for one attribute, newest first."""
    subject = _subject(request)
    attribute = _attribute_param(request)
    facts = selectors.fact_history(user=request.user, attribute=attribute, **subject.as_kwargs())
    context = {"subject": subject, "attribute": attribute, "facts": facts}
    return render(request, "memory/fact_history.html", context)


@login_required
@require_GET
def contradiction_list(request: AuthenticatedRequest) -> HttpResponse:
    """Values that disagree, waiting for someone to decide."""
    status = request.GET.get("status", "open")
    context = {
        "contradictions": selectors.contradiction_list(user=request.user, status=status),
        "status": status,
        "form": ResolveForm(),
    }
    return render(request, "memory/contradiction_list.html", context)


@login_required
@require_POST
def contradiction_resolve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Keep one of two contradicting values; the other stays in history."""
    contradiction = selectors.contradiction_get(user=request.user, pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Choose which value to keep.", field="keep")
    services.contradiction_resolve(
        actor=request.user,
        contradiction=contradiction,
        keep=form.cleaned_data["keep"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, f"Resolved: {contradiction.attribute.label}.")
    return redirect(safe_next(request) or reverse("memory:contradiction_list"))


@login_required
@require_GET
def attribute_list(request: AuthenticatedRequest) -> HttpResponse:
    """The catalogue: what customers can teach us and how we ask for it."""
    attributes = selectors.attribute_list()
    groups: dict[str, list[Attribute]] = {}
    for attribute in attributes:
        groups.setdefault(attribute.get_kind_display(), []).append(attribute)
    return render(request, "memory/attribute_list.html", {"groups": groups.items()})


@login_required
@require_GET
def value_field_partial(request: AuthenticatedRequest) -> HttpResponse:
    """The value input for an attribute (htmx swaps it in when the attribute changes)."""
    name = request.GET.get("name", "value")
    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 40:
        raise InvalidInput("Bad field name.", field="name")
    key = request.GET.get(name.replace("value", "attribute"), "") or request.GET.get(
        "attribute", ""
    )
    if not key:
        return HttpResponse("")
    attribute = selectors.attribute_get(key=key)
    form = forms.Form(prefix=None)
    form.fields[name] = value_field(attribute, required=False, label="What they told us")
    return render(request, "memory/_value_field.html", {"field": form[name]})


# --- questions and questionnaires (X4) -------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_ask(request: AuthenticatedRequest) -> HttpResponse:
    """Before asking: show what we know; ask (and record the answer) only what we don't."""
    access.ensure_can_write(request.user)
    subject = _subject(request)
    attribute = _attribute_param(request)
    entry = selectors.known_answer(user=request.user, attribute=attribute, **subject.as_kwargs())
    status = 200
    if request.method == "POST":
        form = AskForm(request.POST, attribute=attribute, known=entry.is_known)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    asking = services.question_ask(
                        actor=request.user,
                        attribute=attribute,
                        channel=data["channel"],
                        reason=data.get("reason", ""),
                        **subject.as_kwargs(),
                    )
                    if data["answer"] not in (None, "", []):
                        asking = services.question_answer(
                            actor=request.user, asking=asking, value=data["answer"]
                        )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                if "value" in error.errors:
                    error.errors["answer"] = error.errors.pop("value")
                apply_error(form, error)
            else:
                messages.success(
                    request,
                    f"Recorded the question{' and its answer' if asking.answer_id else ''}.",
                )
                return redirect(subject.profile_url)
        status = 400
    else:
        form = AskForm(attribute=attribute, known=entry.is_known)
    context = {"form": form, "subject": subject, "attribute": attribute, "entry": entry}
    return render(request, "memory/ask.html", context, status=status)


@login_required
@require_GET
def reask_list(request: AuthenticatedRequest) -> HttpResponse:
    """Re-asks per organisation and per employee: the number to drive to zero."""
    try:
        days = max(1, min(int(request.GET.get("days", "90")), 3650))
    except ValueError:
        raise InvalidInput("days must be a whole number.", field="days") from None
    summary = selectors.reask_summary(
        user=request.user, since=timezone.now() - timedelta(days=days), top=15
    )
    recent = selectors.asking_list(user=request.user, reasks_only=True, limit=25).items
    context = {"summary": summary, "days": days, "recent": recent, "periods": (30, 90, 365)}
    return render(request, "memory/reask_list.html", context)


@login_required
@require_POST
def questionnaire_create(request: AuthenticatedRequest) -> HttpResponse:
    """Make a questionnaire link for the subject; its URL is shown once on the profile."""
    subject = _subject(request)
    subject_profile = selectors.profile(user=request.user, **subject.as_kwargs())
    form = QuestionnaireForm(
        request.POST, attributes=[e.attribute for e in subject_profile.entries]
    )
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise InvalidInput(f"{field}: {errors[0]}", field=field)
    _link, key = services.questionnaire_create(
        actor=request.user,
        attributes=form.cleaned_data["attributes"],
        days_valid=form.cleaned_data["days_valid"],
        **subject.as_kwargs(),
    )
    request.session["questionnaire_link"] = request.build_absolute_uri(
        reverse("memory:questionnaire", args=[key])
    )
    messages.success(request, "Questionnaire link created: copy it below and send it.")
    return redirect(subject.profile_url + "#questionnaires")


@login_required
@require_POST
def questionnaire_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Switch a questionnaire link off."""
    link = selectors.questionnaire_get(user=request.user, pk=pk)
    services.questionnaire_revoke(actor=request.user, link=link)
    messages.success(request, "Questionnaire link switched off.")
    return redirect(safe_next(request) or reverse("memory:account_profile", args=[link.account_id]))


@csrf_protect
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, key: str) -> HttpResponse:
    """The customer's questionnaire (no sign-in: the link is the key). Every answer is optional."""
    link = services.questionnaire_for_key(key)
    attributes = list(link.attributes.all())
    known = selectors.questionnaire_known(link=link)
    unknown = [a for a in attributes if known[a.key] is None]
    answered = [a for a in attributes if known[a.key] is not None]
    status = 200
    if request.method == "POST":
        form = QuestionnaireAnswerForm(request.POST, attributes=attributes)
        if form.is_valid():
            try:
                recorded = services.questionnaire_answer(link=link, answers=form.cleaned_data)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                context = {"link": link, "recorded": recorded}
                return render(request, "memory/questionnaire_thanks.html", context)
        status = 400
    else:
        initial = {
            key: (
                fact.value
                if isinstance(fact.value, list)
                else form_value(fact.attribute, fact.value)
            )
            for key, fact in known.items()
            if fact is not None
        }
        form = QuestionnaireAnswerForm(initial=initial, attributes=attributes)
    context = {
        "link": link,
        "form": form,
        "unknown": [form[a.key] for a in unknown],
        "answered": [form[a.key] for a in answered],
    }
    return render(request, "memory/questionnaire.html", context, status=status)


# --- communication preferences and consent (X5) ----------------------------------------


def _preferences_page(
    request: AuthenticatedRequest,
    contact: Contact,
    *,
    preference_form: PreferenceForm | None = None,
    cap_form: FrequencyCapForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The edit page of a person's preferences, caps and consent, with any form's errors."""
    preferences = selectors.contact_preferences(user=request.user, contact=contact, breaches=20)
    context = {
        "contact": contact,
        "prefs": preferences,
        "preference_form": preference_form
        or PreferenceForm(
            prefix="preference", initial=PreferenceForm.initial_for(preferences.preference)
        ),
        "cap_form": cap_form or FrequencyCapForm(prefix="cap"),
        "consent_form": consent_form or ConsentForm(prefix="consent"),
    }
    return render(request, "memory/preferences_edit.html", context, status=status)


def _back_to_contact(contact: Contact) -> HttpResponse:
    return redirect(f"{reverse('accounts:contact_detail', args=[contact.pk])}#preferences")


@login_required
@require_http_methods(["GET", "POST"])
def contact_preferences(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """See and change how a person likes to be reached (channel, days, hours, language)."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    if request.method != "POST":
        return _preferences_page(request, contact)
    access.ensure_can_write(request.user)
    form = PreferenceForm(request.POST, prefix="preference")
    sent = form_submit(
        form,
        lambda: services.preference_set(actor=request.user, contact=contact, **form.cleaned_data),
        errors=(ApplicationError,),
    )
    if sent.done:
        messages.success(request, f"{contact.full_name}'s preferences were saved.")
        return _back_to_contact(contact)
    return _preferences_page(request, contact, preference_form=form, status=400)


@login_required
@require_POST
def contact_cap_set(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Set a person's frequency cap on one channel (replacing the channel's earlier cap)."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    access.ensure_can_write(request.user)
    form = FrequencyCapForm(request.POST, prefix="cap")
    sent = form_submit(
        form,
        lambda: services.frequency_cap_set(
            actor=request.user, contact=contact, **form.cleaned_data
        ),
        errors=(ApplicationError,),
    )
    if sent.done:
        cap = sent.saved
        messages.success(
            request,
            f"At most {cap.max_contacts} per {cap.per_days} days by {cap.channel} from now on.",
        )
        return redirect("memory:contact_preferences", pk=contact.pk)
    return _preferences_page(request, contact, cap_form=form, status=400)


@login_required
@require_POST
def contact_cap_remove(request: AuthenticatedRequest, pk: int, cap_pk: int) -> HttpResponse:
    """Lift one of a person's frequency caps."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    access.ensure_can_write(request.user)
    cap = selectors.frequency_cap_get(user=request.user, contact=contact, pk=cap_pk)
    services.frequency_cap_remove(actor=request.user, cap=cap)
    messages.success(request, f"The cap on {cap.channel} was lifted.")
    return redirect("memory:contact_preferences", pk=contact.pk)


@login_required
@require_POST
def contact_consent_record(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record that a person granted or withdrew consent; the earlier records stay."""
    contact = account_selectors.contact_get(user=request.user, pk=pk)
    access.ensure_can_write(request.user)
    form = ConsentForm(request.POST, prefix="consent")
    sent = form_submit(
        form,
        lambda: services.consent_record(actor=request.user, contact=contact, **form.cleaned_data),
        errors=(ApplicationError,),
    )
    if sent.done:
        consent = sent.saved
        messages.success(
            request,
            f"{contact.full_name} {consent.get_status_display().lower()} consent to "
            f"{consent.get_purpose_display().lower()}.",
        )
        return _back_to_contact(contact)
    return _preferences_page(request, contact, consent_form=form, status=400)


def _moment(raw: str) -> datetime | None:
    """A datetime-local value from the log form, read in the user's time zone."""
    for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(raw, layout))
        except ValueError:
            continue
    return None


@login_required
@require_GET
def contact_permission_check(request: AuthenticatedRequest) -> HttpResponse:
    """An htmx fragment for the log form: allow, warn or block per person, with the reasons."""
    ids = []
    for raw in request.GET.getlist("contacts"):
        ids += [int(part) for part in raw.split(",") if part.strip().isdigit()]
    ids = [pk for pk in dict.fromkeys(ids) if 0 < pk < 2**31][:100]
    channel = request.GET.get("channel", "")
    purpose = request.GET.get("purpose", "")
    direction = request.GET.get("direction", Direction.OUTBOUND)
    context: dict[str, Any] = {"rows": [], "checked": False}
    if channel in Channel.values and purpose in ["", *Purpose.values] and ids:
        found = account_selectors.contacts_by_ids(user=request.user, ids=ids)
        people = [found[pk] for pk in ids if pk in found]
        context["checked"] = direction == Direction.OUTBOUND
        if context["checked"]:
            permissions = selectors.contact_permissions(
                contacts=people,
                channel=channel,
                purpose=purpose,
                at=_moment(request.GET.get("occurred_at", "")),
            )
            context["rows"] = [(person, permissions[person.pk]) for person in people]
            context["verdict"] = selectors.worst_verdict(permissions.values())
    return render(request, "memory/_preferences_check.html", context)


# --- cards of the account and contact pages (added in MemoryConfig.ready) -------------------


def _what_we_know_card(
    request: AuthenticatedRequest, *, account: Account | None = None, contact: Contact | None = None
) -> dict[str, Any]:
    """The context of the "What we know" card (memory/_what_we_know.html)."""
    known = selectors.what_we_know(user=request.user, account=account, contact=contact)
    if contact is not None:
        query, url = f"contact={contact.pk}", reverse("memory:contact_profile", args=[contact.pk])
    else:
        assert account is not None
        query, url = f"account={account.pk}", reverse("memory:account_profile", args=[account.pk])
    return {
        "memory_profile": known.profile,
        "memory_suggestions": known.suggestions,
        "memory_subject_query": query,
        "memory_profile_url": url,
    }


def account_card(request: AuthenticatedRequest, account: Account) -> dict[str, Any]:
    """The account page's "What we know" card: drawn after first paint (what_we_know_account)."""
    return {"memory_card_url": reverse("memory:account_what_we_know", args=[account.pk])}


def contact_card(request: AuthenticatedRequest, contact: Contact) -> dict[str, Any]:
    """The last fact the person told us, and where the contact page's "What we know" and
    "Communication preferences" cards come from after first paint."""
    return {
        "memory_last_fact": selectors.latest_told(user=request.user, contact=contact),
        "memory_card_url": reverse("memory:contact_what_we_know", args=[contact.pk]),
        "preferences_card_url": reverse("memory:contact_preferences_card", args=[contact.pk]),
    }


@login_required
@require_GET
def what_we_know_account(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The account page's "What we know" card on its own (htmx loads it after the page)."""
    account = account_selectors.account_get(user=request.user, pk=pk)
    context = _what_we_know_card(request, account=account)
    return render(request, "memory/_what_we_know.html", context)


@login_required
@require_GET
def preferences_card(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The contact page's "Communication preferences" card on its own (htmx, after the page)."""
    contact = account_selectors.contact_person(user=request.user, pk=pk)
    context = {
        "contact": contact,
        "prefs": selectors.contact_preferences(user=request.user, contact=contact),
        "consent_form": ConsentForm(prefix="consent"),
    }
    return render(request, "memory/_preferences_card.html", context)


@login_required
@require_GET
def what_we_know_contact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The contact page's "What we know" card on its own (htmx loads it after the page)."""
    contact = account_selectors.contact_person(user=request.user, pk=pk)
    context = _what_we_know_card(request, contact=contact)
    return render(request, "memory/_what_we_know.html", context)


# --- logging an interaction with what was learned (X3, X5) ---------------------------------


def _chosen_first(objects: list[Any], chosen: Any) -> list[Any]:
    """The pickers' list with the pre-selected person on top, where it is seen."""
    return sorted(objects, key=lambda o: chosen is None or o.pk != chosen.pk)


def _organisation_picker(request: AuthenticatedRequest) -> HttpResponse:
    """Logging starts from an organisation: offer a search when none was given."""
    form = OrganisationSearchForm(request.GET)
    q = form.data.get("q", "").strip()
    page = account_selectors.account_list(user=request.user, q=q, roots_only=True, limit=30)
    return render(
        request,
        "interactions/organisation_pick.html",
        {"form": form, "organisations": page.items, "more": page.next_cursor is not None, "q": q},
    )


@login_required
@require_http_methods(["GET", "POST"])
def interaction_create(request: AuthenticatedRequest) -> HttpResponse:
    """Log an interaction with an organisation unit and the people on both sides.

    The timeline's page, at its address (interactions:interaction_create, composed in
    rapport/urls.py), but memory's: it checks consent and records what was learned.
    """
    access.ensure_can_write(request.user)
    account_pk = id_param(request.GET.get("account", ""), "account")
    if account_pk is None:
        return _organisation_picker(request)
    account = account_selectors.account_get(user=request.user, pk=account_pk)
    contact_pk = id_param(request.GET.get("contact", ""), "contact")
    contact = (
        account_selectors.contact_get(user=request.user, pk=contact_pk) if contact_pk else None
    )
    form_kwargs: dict[str, Any] = {
        "units": account_selectors.units_for_select(user=request.user, account=account),
        "contacts": _chosen_first(
            account_selectors.contact_choices(user=request.user, account=account), contact
        ),
        "colleagues": _chosen_first(
            interaction_selectors.colleague_choices(user=request.user), request.user
        ),
        "partners": list(account_selectors.partner_choices(user=request.user)),
        "threads": interaction_selectors.open_threads_for_picker(
            user=request.user, account=account
        ),
        "attributes": selectors.attribute_list(),
    }
    status = 200
    if request.method == "POST":
        form = InteractionLogForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                interaction = outreach.interaction_log_learned(
                    actor=request.user,
                    account=data["account"],
                    channel=data["channel"],
                    direction=data["direction"],
                    occurred_at=data["occurred_at"],
                    subject=data["subject"],
                    summary=data["summary"],
                    outcome=data["outcome"],
                    next_step=data["next_step"],
                    contacts=data["contacts"],
                    users=data["users"],
                    partner=data["partner"],
                    **continuity_values(data),
                    purpose=data["purpose"],
                    override_reason=data["override_reason"],
                    learned=learned_values(data, form_kwargs["attributes"]),
                )
            except PermissionDenied:
                raise
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                messages.success(request, f"Logged “{interaction.subject}”.")
                return redirect(
                    safe_next(request) or reverse("accounts:account_detail", args=[account.pk])
                )
        status = 400
    else:
        initial: dict[str, Any] = {"account": account, "users": [request.user]}
        if contact is not None:
            initial["contacts"] = [contact]
        # From a thread's page: the new exchange continues it (when it is still open).
        initial["thread"] = next(
            (
                t
                for t in form_kwargs["threads"]
                if t.pk == id_param(request.GET.get("thread", ""), "thread")
            ),
            None,
        )
        form = InteractionLogForm(initial=initial, **form_kwargs)
    context = {
        "form": form,
        "account": account,
        "organisation": account.customer or account,
        "commitment_rows": continuity_rows(form),
        "learned_rows": learned_rows(form),
        "next": safe_next(request),
        "cancel_url": safe_next(request) or reverse("accounts:account_detail", args=[account.pk]),
    }
    return render(request, "memory/interaction_log.html", context, status=status)


# --- capture quality (X9) -------------------------------------------------------------

CAPTURE_COLUMNS = {
    "name": lambda r: r.user.full_name.lower(),
    "interactions": lambda r: r.interactions,
    "outcome": lambda r: r.outcome_share or 0,
    "next_step": lambda r: r.next_step_share or 0,
    "facts": lambda r: r.facts_taught,
    "reasks": lambda r: r.reasks,
    "kept": lambda r: r.kept_share or 0,
}


@login_required
@require_GET
def scorecard_capture(request: AuthenticatedRequest) -> HttpResponse:
    """Capture quality per employee over a period: a sortable table with small bars."""
    if not access.can(request.user, access.Capability.USE_STAFF_TOOLS):
        raise NotFound("scorecard not found")
    form = CapturePeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request, "memory/scorecard_capture.html", {"form": form, "rows": []}, status=400
        )
    data = form.cleaned_data if request.GET else {}
    today = timezone.localdate()
    since = data.get("since") or today - timedelta(days=89)
    until = data.get("until") or today
    rows = scorecards.capture_quality(user=request.user, since=since, until=until)
    sort = data.get("sort") or "-interactions"
    column = sort.lstrip("-")
    if column not in CAPTURE_COLUMNS:
        column, sort = "interactions", "-interactions"
    rows.sort(key=CAPTURE_COLUMNS[column], reverse=sort.startswith("-"))
    query = request.GET.copy()
    query.pop("sort", None)
    context = {
        "form": form,
        "rows": rows,
        "since": since,
        "until": until,
        "sort": sort,
        "sort_base": query.urlencode(),
        "most": {
            "interactions": max((r.interactions for r in rows), default=0) or 1,
            "facts": max((r.facts_taught for r in rows), default=0) or 1,
            "reasks": max((r.reasks for r in rows), default=0) or 1,
        },
    }
    return render(request, "memory/scorecard_capture.html", context)
