"""Pages of the learning memory: profiles, facts, questions, questionnaires, preferences."""

from __future__ import annotations

# --- profiles and facts (X3) -----------------------------------------------------------

# --- questions and questionnaires (X4) -------------------------------------------------

# --- communication preferences and consent (X5) ----------------------------------------
