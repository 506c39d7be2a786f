"""API of the learning memory: facts, questions, preferences and consent."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["memory"])

# --- facts (X3) ------------------------------------------------------------------------

# --- questions (X4) --------------------------------------------------------------------

# --- communication preferences and consent (X5) ----------------------------------------
