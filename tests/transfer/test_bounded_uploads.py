"""Bounded uploads: past a limit a file is refused with the limit named, and memory stays flat.

The hostile files of the outside test are sent through the product's own doors (the
import API, the ingestion API, the import page). Memory is measured with tracemalloc
in this process: the peak of what Python allocated while the request ran. Reading a file
whole (as before) would need at least the file's size; streaming needs a few chunks.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from openpyxl import Workbook

from rapport.core import tabular
from rapport.core.services import api_token_create
from rapport.transfer.models import ImportRun, IngestionRun

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
BOUNDARY = "rapport-test-boundary"


class _Body:
    """A multipart body made as it is read: a file part of `size` bytes from `filler`."""

    def __init__(self, filename: str, size: int, filler: Iterator[bytes], **fields: str) -> None:
        head = b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.parts = iter([head, *_sized(filler, size), f"\r\n--{BOUNDARY}--\r\n".encode()])
        self.length = len(head) + size + len(f"\r\n--{BOUNDARY}--\r\n")
        self.pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.pending) < size:
            part = next(self.parts, None)
            if part is None:
                break
            self.pending += part
        if size < 0:
            size = len(self.pending)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    def readline(self, size: int = -1) -> bytes:  # WSGI asks for it; multipart never does
        return self.read(size)


def _sized(filler: Iterator[bytes], size: int) -> Iterator[bytes]:
    left = size
    for chunk in filler:
        if left <= 0:
            return
        yield chunk[:left]
        left -= len(chunk[:left])


def _repeat(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def _post(user, path: str, body: _Body) -> tuple[int, dict, int]:
    """POST a streamed body through the WSGI handler; (status, JSON, peak bytes allocated)."""
    token = api_token_create(user=user, name="upload")[1]
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.length),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    environ["wsgi.input"] = body
    status: list[str] = []
    handler = WSGIHandler()
    Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(path)  # the code a first request loads
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    tracemalloc.start()
    try:
        chunks = handler(environ, lambda s, headers: status.append(s))
        content = b"".join(chunks)
        chunks.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(status[0].split()[0]), json.loads(content), peak


def _csv_rows(width: int = 200) -> Iterator[bytes]:
    yield b"name,city,notes\n"
    filler = b"x" * (width - 30)
    number = 0
    while True:
        lines = []
        for _ in range(2000):
            number += 1
            lines.append(b"Firm %07d,Town,%s\n" % (number, filler))
        yield b"".join(lines)


def test_a_body_past_the_limit_is_refused_as_it_arrives(world, settings):
    # A 1 GB upload, against a limit of 64 MB here (the same code as at 200 MB)
    settings.RAPPORT_UPLOAD_MAX_BYTES = 64 * MB
    body = _Body("huge.csv", 1024 * MB, _repeat(b"a,b\n" * 16384), kind="accounts")
    status, answer, peak = _post(world.rep, "/api/v1/imports", body)
    assert status == 400
    assert answer["errors"]["file"] == [
        "The file is larger than 64.0 MB, the most an upload may have."
    ]
    assert peak < 4 * MB
    assert not ImportRun.objects.exists()


def test_a_file_just_past_the_limit_is_refused_as_its_bytes_are_counted(world, settings):
    # The body's length is within the room left for the form around the file, so the
    # file's own bytes are what is counted as they come
    settings.RAPPORT_UPLOAD_MAX_BYTES = 8 * MB
    body = _Body("mail.mbox", 8 * MB + 10_000, _repeat(b"From x\n" * 10000))
    status, answer, peak = _post(world.rep, "/api/v1/ingestions", body)
    assert status == 400
    assert "larger than 8.0 MB" in answer["errors"]["file"][0]
    assert peak < 4 * MB
    assert not IngestionRun.objects.exists()


def test_an_accepted_large_csv_is_kept_and_previewed_in_flat_memory(world):
    # A 40 MB CSV of 200,000 rows: taken, counted, a few rows kept, each cut short
    body = _Body("firms.csv", 40 * MB, _csv_rows(), kind="accounts")
    status, answer, peak = _post(world.rep, "/api/v1/imports", body)
    assert status == 201, answer
    run = ImportRun.objects.get()
    assert run.headers == ["name", "city", "notes"]
    assert run.total >= 200_000
    assert len(run.samples) == 3
    assert all(len(cell) <= tabular.SAMPLE_CELL for row in run.samples for cell in row)
    # Reading it whole took at least its 40 MB (and its rows several times that)
    assert peak < 8 * MB


def _xlsx_with(parts: dict[str, bytes | Iterator[bytes]]) -> bytes:
    """A workbook as openpyxl writes it, with some of its parts replaced."""
    book = Workbook()
    book.active.append(["name", "city"])
    book.active.append(["Initech", "Austin"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in source.infolist():
            if item.filename not in parts:
                zf.writestr(item, source.read(item.filename))
        for name, content in parts.items():
            with zf.open(name, "w", force_zip64=True) as part:
                for chunk in [content] if isinstance(content, bytes) else content:
                    part.write(chunk)
    return out.getvalue()


def _sheet_rows(rows: int) -> Iterator[bytes]:
    yield (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main"><sheetData>'
    )
    block = b"".join(
        b'<row><c t="inlineStr"><is><t>Firm of the year with a long name</t></is></c>'
        b'<c t="inlineStr"><is><t>Town in the far north of the country</t></is></c></row>\n'
        b'<row><c t="inlineStr"><is><t>Another firm</t></is></c></row>\n'
        for _ in range(10_000)
    )
    for _ in range(rows // 10_000):
        yield block
    yield b"</sheetData></worksheet>"


def test_an_xlsx_that_expands_past_the_limit_is_refused_unread(world):
    # A few MB of workbook holding 6,000,000 rows of sheet (690 MB once expanded)
    content = _xlsx_with({"xl/worksheets/sheet1.xml": _sheet_rows(3_000_000)})
    assert len(content) < 10 * MB
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world.rep, name='t')[1]}")
    tracemalloc.start()
    try:
        answer = api.post(
            "/api/v1/imports",
            {"kind": "accounts", "file": SimpleUploadedFile("bomb.xlsx", content)},
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 400
    assert "The workbook expands to" in answer.json()["errors"]["file"][0]
    assert "the most is 512 MB" in answer.json()["errors"]["file"][0]
    assert peak < len(content) * 3 + 4 * MB  # the test client holds the body; nothing more
    assert not ImportRun.objects.exists()


def test_an_xlsx_with_one_huge_text_is_refused_before_its_text_is_read(world):
    # 100 MB of one shared string, in a workbook of about 100 KB
    text = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    )
    strings = iter([text, *([b"A" * MB] * 100), b"</t></si></sst>"])
    content = _xlsx_with({"xl/sharedStrings.xml": strings})
    assert len(content) < 1 * MB
    with pytest.raises(tabular.UnreadableTable) as refused:
        tabular.preview("text.xlsx", content)
    assert "The workbook's text expands to 100 MB; the most is 64 MB" in refused.value.message


@pytest.mark.parametrize(
    ("limit", "value", "content", "message"),
    [
        ("MAX_ROWS", 3, b"name\na\nb\nc\nd\n", "The file has more than 3 rows"),
        ("MAX_COLUMNS", 2, b"a,b\n1,2,3\n", "Row 2 has 3 columns; a file may have at most 2."),
        ("MAX_CELL", 5, b"name\nInitech\n", "Row 2, column 1 holds 7 characters"),
    ],
)
def test_csv_and_xlsx_are_held_to_the_same_limits(monkeypatch, limit, value, content, message):
    monkeypatch.setattr(tabular, limit, value)
    book = Workbook()
    for line in content.decode().splitlines():
        book.active.append(line.split(","))
    xlsx = io.BytesIO()
    book.save(xlsx)
    for filename, data in (("x.csv", content), ("x.xlsx", xlsx.getvalue())):
        for read in (tabular.preview, tabular.read_table):
            with pytest.raises(tabular.UnreadableTable) as refused:
                read(filename, data)
            assert message in refused.value.message, (filename, read)


def test_empty_cells_at_the_end_of_a_row_are_no_columns(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_COLUMNS", 2)
    table = tabular.read_table("x.csv", b"a,b,,,,\n1,2,,,,,,\n")
    assert table.headers[:2] == ["a", "b"]


def test_the_import_page_names_the_limit(world, settings):
    settings.RAPPORT_UPLOAD_MAX_BYTES = 1000
    client = Client()
    client.force_login(world.rep)
    refused = client.post(
        "/import/",
        {"kind": "accounts", "file": SimpleUploadedFile("a.csv", b"name\n" + b"Initech\n" * 500)},
    )
    assert refused.status_code == 400
    assert b"The file is larger than 1000 bytes, the most an upload may have." in refused.content
    assert not ImportRun.objects.exists()
