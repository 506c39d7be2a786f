"""Deterministic, believable B2B demo and benchmark data, one module per subject.

``generator.generate`` runs the subjects in order over one shared state (``state``):
users, accounts (partners, customer trees, lifecycle), contacts, interactions, then the
learning memory (``memory``), the value side (``value``, ``buying``, ``needs``), the
Customize side (``catalog``, ``offers``) and the planted near-duplicates
(``duplicates``). Rows are written in bulk by ``writer``. A new subject gets its own
module here and one phase in ``generator.generate``.

This package is also the Django app that holds the ``demo`` and ``setup_demo`` commands,
so nothing here is imported at app loading: import the modules themselves.
"""
