"""Template context shared by every page."""

from typing import Any

from django.http import HttpRequest

from rapport.core import access

_SECTIONS = {
    "account": "accounts",
    "contact": "contacts",
    "identity": "contacts",
    "role": "contacts",
    "end": "end-users",
    "partner": "partners",
    "interaction": "interactions",
    "ingestion": "import",
    "import": "import",
    "timeline": "interactions",
    "thread": "interactions",
    "commitment": "commitments",
    "scorecard": "scorecards",
    "token": "settings",
    "home": "home",
    "search": "search",
    "alerts": "alerts",
    "contradiction": "contradictions",
    "reask": "reasks",
    "attribute": "catalogue",
    "product": "catalog",
    "replenishment": "replenishment",
    "treatment": "treatments",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The current section of the sidebar, from the URL name (account_detail -> accounts)."""
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return {"nav_section": _SECTIONS.get(name.split("_")[0], "")}


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """What the signed-in user may do, by capability name, from core.access: `may.see_costs`."""
    return {"may": access.allowed(getattr(request, "user", None))}
