"""API schemas of the learning memory: input and output per endpoint."""

from __future__ import annotations

# --- facts (X3) ------------------------------------------------------------------------

# --- questions (X4) --------------------------------------------------------------------

# --- communication preferences and consent (X5) ----------------------------------------
