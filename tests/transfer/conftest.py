"""Helpers of the import tests: run a file through upload, dry run and import."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.apps import apps
from openpyxl import Workbook

from rapport.core.models import Run
from rapport.transfer import services
from rapport.transfer.models import ImportRun


def table_counts() -> dict[str, int]:
    """How many rows every table holds, runs aside (a run records its own outcome)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model not in (ImportRun, Run) and not model._meta.proxy
    }


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(
    actor,
    kind: str,
    content: bytes | str,
    *,
    filename: str = "upload.csv",
    mode: str | None = "good",
    mapping: list[str] | None = None,
    skip_duplicates: bool = True,
) -> ImportRun:
    """Upload, dry-run and (unless mode is None) import; returns the run."""
    if isinstance(content, str):
        content = content.encode()
    run = services.import_upload(actor=actor, kind=kind, filename=filename, content=content)
    run = services.import_check(
        actor=actor, run=run, mapping=mapping, skip_duplicates=skip_duplicates
    )
    if mode is None:
        return run
    return services.import_confirm(actor=actor, run=run, mode=mode)


@pytest.fixture
def imported() -> Callable[..., ImportRun]:
    return run_import


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
