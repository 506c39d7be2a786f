"""Uploads kept on disk as they arrive, never whole in memory and never past the limit.

Django reads a multipart body through its upload handlers. `BoundedUploadHandler` writes
each file to a temporary file (as Django's own does) but stops keeping it once the body
or the file passes `RAPPORT_UPLOAD_MAX_BYTES`: the rest is never read (the connection is
closed after the answer), so a 1 GB upload costs neither 1 GB of memory nor of disk. The request then says why its file is
missing (`refused`), and forms and the API show that instead of "required".

`keep` copies an accepted upload (a file object, a path or bytes) into the folder where
its run will read it, hashing and counting on the way, in chunks.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from rapport.core.errors import InvalidInput

Source = IO[bytes] | Path | bytes
_CHUNK = 1024 * 1024
# Room in a multipart body for its boundaries and other fields beside the file.
_ENVELOPE = 64 * 1024


def limit() -> int:
    """The most bytes one upload may have."""
    return int(settings.RAPPORT_UPLOAD_MAX_BYTES)


def too_large() -> str:
    size = filesizeformat(limit()).replace("\xa0", " ")
    return f"The file is larger than {size}, the most an upload may have."


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file upload handler, stopping at the upload limit."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,  # noqa: N803 (Django's name)
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > limit() + _ENVELOPE:
            _refuse(self.request)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if refused(self.request):
            # The fields before the file are kept; not a byte more is read (the server
            # closes the connection after answering).
            raise StopUpload(connection_reset=True)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > limit():
            _refuse(self.request)
            self.file.close()  # the part kept so far goes with its temporary file
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def _refuse(request: HttpRequest | None) -> None:
    if request is not None:
        request.upload_refused = too_large()  # type: ignore[attr-defined]


def refused(request: HttpRequest | None) -> str:
    """Why the request's file was not kept ("" when it was, or none was sent)."""
    return str(getattr(request, "upload_refused", "") or "")


@dataclass(frozen=True)
class Kept:
    """An upload copied to disk: where, its SHA-256 and its size."""

    path: Path
    sha256: str
    size: int


def keep(source: Source, folder: Path) -> Kept:
    """Copy an upload into `folder` under a temporary name, refusing it past the limit.

    The caller renames it once it knows the run's name for it (`Path.replace`), or
    removes it when the upload is refused later.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=False) as out:
        path = Path(out.name)
        try:
            for chunk in _chunks(source):
                size += len(chunk)
                if size > limit():
                    raise InvalidInput(too_large(), field="file")
                digest.update(chunk)
                out.write(chunk)
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
    if not size:
        path.unlink(missing_ok=True)
        raise InvalidInput("The file is empty.", field="file")
    return Kept(path, digest.hexdigest(), size)


def _chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), _CHUNK):
            yield source[start : start + _CHUNK]
        return
    if isinstance(source, Path):
        with source.open("rb") as file:
            yield from iter(lambda: file.read(_CHUNK), b"")
        return
    if hasattr(source, "seek"):
        source.seek(0)
    yield from iter(lambda: source.read(_CHUNK), b"")


def move(kept: Kept, destination: Path) -> Path:
    """Give a kept upload its run's name."""
    shutil.move(str(kept.path), str(destination))
    return destination
