"""Pages that belong to no single app: sign-in, the home dashboard, search, API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts import selectors as account_selectors
from rapport.core import auth
from rapport.core import selectors as core_selectors
from rapport.core import services as core_services
from rapport.core.errors import ApplicationError
from rapport.core.requests import AuthenticatedRequest
from rapport.interactions import selectors as interaction_selectors
from rapport.web.forms import LockoutClearForm, SearchForm, TokenCreateForm

HOME_TIMELINE_SIZE = 10
HOME_ACCOUNTS = 10
QUIET_DAYS = 90
SEARCH_SECTION_SIZE = 10


class LoginView(auth_views.LoginView):
    """Sign-in; AuthenticationForm passes the request on, as django-axes needs."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        demo_login = getattr(settings, "RAPPORT_DEMO_LOGIN", None)
        if demo_login:
            context["demo_login"] = demo_login
        return context


login_view = LoginView.as_view()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon, for clients that ask /favicon.ico rather than read the page's link."""
    return redirect(static("web/favicon.svg"), permanent=True)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked sign-in: the page again, 429, saying when to retry."""
    retry_at = auth.lockout_retry_at(request, credentials)
    message = auth.lockout_message(retry_at)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request, data=None)
        response = render(
            request, "web/login.html", {"form": form, "lockout_message": message}, status=429
        )
    response["Retry-After"] = str(max(60, int((retry_at - timezone.now()).total_seconds())))
    return response


logout_view = auth_views.LogoutView.as_view()  # POST only since Django 5.0

# Password reset by e-mail with Django's own views and one-time tokens, in the product's
# look. The request page says the same whether or not the address is known.
password_reset = auth_views.PasswordResetView.as_view(
    template_name="web/password_reset.html",
    email_template_name="web/password_reset_email.txt",
    subject_template_name="web/password_reset_subject.txt",
    success_url=reverse_lazy("web:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="web/password_reset_sent.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="web/password_reset_confirm.html",
    success_url=reverse_lazy("web:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/password_reset_complete.html"
)


def _timeline_more_url(cursor: str | None, **params: Any) -> str | None:
    if not cursor:
        return None
    query = urlencode({**params, "cursor": cursor})
    return f"{reverse('interactions:timeline_partial')}?{query}"


@login_required
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's dashboard: headline figures, their accounts, the latest interactions."""
    user = request.user
    managed = interaction_selectors.my_accounts(user=user)
    quiet = interaction_selectors.gone_quiet(
        managed,
        days=QUIET_DAYS,
        learned=interaction_selectors.learned_quiet(accounts=[r.account for r in managed]),
    )
    recent = interaction_selectors.timeline(user=user, limit=HOME_TIMELINE_SIZE)
    context = {
        "summary": interaction_selectors.engagement_summary(user=user),
        "my_accounts": managed[:HOME_ACCOUNTS],
        "my_account_total": len(managed),
        "gone_quiet": quiet[:HOME_ACCOUNTS],
        "gone_quiet_total": len(quiet),
        "since_30d": timezone.localdate() - timedelta(days=30),
        "quiet_days": QUIET_DAYS,
        "page": recent,
        "more_url": _timeline_more_url(recent.next_cursor, limit=HOME_TIMELINE_SIZE),
    }
    return render(request, "web/home.html", context)


@login_required
@require_GET
def search(request: AuthenticatedRequest) -> HttpResponse:
    """Accounts (every level), contacts and interactions matching `q`, each section scoped."""
    form = SearchForm(request.GET)
    q = form.query
    context: dict[str, Any] = {"form": form, "q": q, "long_enough": form.long_enough}
    if not form.long_enough:
        return render(request, "web/search.html", context)
    try:
        if form.cleaned_data["section"] == "interactions":
            # "Load more" of the interactions section: the next page as a timeline fragment.
            page = interaction_selectors.interaction_search(
                user=request.user,
                q=q,
                cursor=form.cleaned_data["cursor"] or None,
                limit=SEARCH_SECTION_SIZE,
            )
            context.update(
                page=page, more_url=_search_more_url(q, page.next_cursor), continuation=True
            )
            return render(request, "interactions/partials/timeline.html", context)
        accounts = account_selectors.account_list(
            user=request.user, q=q, roots_only=False, limit=SEARCH_SECTION_SIZE
        )
        contacts = account_selectors.contact_list(user=request.user, q=q, limit=SEARCH_SECTION_SIZE)
        interactions = interaction_selectors.interaction_search(
            user=request.user, q=q, limit=SEARCH_SECTION_SIZE
        )
    except ApplicationError as error:
        return render(
            request, "interactions/partials/error.html", {"error": error}, status=error.status
        )
    context.update(
        accounts=accounts,
        contacts=contacts,
        page=interactions,
        more_url=_search_more_url(q, interactions.next_cursor),
        accounts_url=f"{reverse('accounts:account_list')}?{urlencode({'q': q})}",
        contacts_url=f"{reverse('accounts:contact_list')}?{urlencode({'q': q})}",
    )
    return render(request, "web/search.html", context)


def _search_more_url(q: str, cursor: str | None) -> str | None:
    if not cursor:
        return None
    return f"{reverse('web:search')}?{urlencode({'q': q, 'section': 'interactions', 'cursor': cursor})}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's API tokens; a new token's key is shown once, in the response that made it."""
    form = TokenCreateForm(request.POST or None)
    new_token, new_key = None, None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new_token, new_key = core_services.api_token_create(
                    user=request.user, name=form.cleaned_data["name"]
                )
            except ApplicationError as error:
                form.add_error("name" if error.field == "name" else None, error.message)
                status = 400
            else:
                form = TokenCreateForm()
        else:
            status = 400
    context = {
        "form": form,
        "tokens": core_selectors.api_token_list(user=request.user),
        "new_token": new_token,
        "new_key": new_key,
    }
    return render(request, "web/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's tokens; clients using it are refused from now on."""
    token = core_services.api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, f"Revoked “{token.name}”.")
    return redirect("web:token_list")


@never_cache
@login_required
@require_GET
def lockout_list(request: AuthenticatedRequest) -> HttpResponse:
    """Sign-in locks in force, each with an Unlock button (admins only)."""
    context = {
        "lockouts": core_selectors.lockout_list(user=request.user),
        "pair_limit": settings.AXES_FAILURE_LIMIT,
        "address_limit": settings.RAPPORT_LOCKOUT_ADDRESS_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "web/lockouts.html", context)


@login_required
@require_POST
def lockout_clear(request: AuthenticatedRequest) -> HttpResponse:
    """Lift one lock; the person may sign in again at once."""
    form = LockoutClearForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())
        )
        return redirect("web:lockout_list")
    address, username = form.cleaned_data["address"], form.cleaned_data["username"]
    core_services.lockout_clear(address=address, username=username, cleared_by=request.user)
    messages.success(request, f"Unlocked {username or 'every user'} at {address}.")
    return redirect("web:lockout_list")
