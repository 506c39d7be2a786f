"""Reads of the learning memory, every one scoped by core.access."""

from __future__ import annotations

# --- profiles, facts and contradictions (X3) -------------------------------------------

# --- questions: known answers, re-asks, what to ask next (X4) --------------------------

# --- communication preferences and consent (X5) ----------------------------------------
