"""Writes of the learning memory: facts, askings, questionnaires, preferences and consent.

Each service runs in one transaction, checks the actor through core.access and keeps
history: a fact is superseded, never overwritten; a consent is followed by a newer one.
"""

from __future__ import annotations

# --- facts and contradictions (X3) -----------------------------------------------------

# --- askings and questionnaires (X4) ---------------------------------------------------

# --- communication preferences and consent (X5) ----------------------------------------
