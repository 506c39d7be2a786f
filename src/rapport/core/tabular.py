"""Tables in and out: read CSV and XLSX into rows, map columns to fields, write CSV and XLSX.

No domain knowledge lives here. Reading turns a file (CSV in any common delimiter and
encoding, Excel's UTF-8 with BOM and `sep=` line included, or the first sheet of an XLSX
workbook) into a header and numbered rows of text; mapping suggests which column holds
which field from the header names and their synonyms; writing streams rows out as CSV
or as an XLSX workbook in openpyxl's write-only mode, never holding a whole list.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

CSV_DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
IGNORE = ""


class UnreadableTable(Exception):
    """The file as a whole cannot be read as a table: one clear message, no rows."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and its cells."""

    number: int
    cells: tuple[str, ...]


@dataclass
class Table:
    """A file read: its column headers and its non-blank rows."""

    headers: list[str]
    rows: list[Row]
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


# --- reading ---------------------------------------------------------------------------

# What one file may hold, for CSV and XLSX alike. A cell holds at most what Excel's does;
# beyond these a file is refused whole, with the limit named, before anything is kept.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 500
MAX_CELL = 32_767
# An XLSX workbook is a zip: what its parts expand to is bounded apart from its own size
# (a 9 MB workbook can hold 571 MB of sheet), and its table of text, which is read whole,
# more tightly still.
XLSX_MAX_EXPANDED = 512 * 1024 * 1024
XLSX_MAX_TEXT_TABLE = 64 * 1024 * 1024
# What a run keeps to show the file: a few rows, each cell cut short.
SAMPLE_ROWS = 3
SAMPLE_CELL = 200
_CHUNK = 1024 * 1024

Source = bytes | Path


@dataclass(frozen=True)
class Preview:
    """What an upload shows before its dry run: headers, a few short rows, how many rows."""

    headers: list[str]
    samples: list[list[str]]
    total: int
    format: str
    encoding: str = ""
    delimiter: str = ""


def read_table(filename: str, source: Source) -> Table:
    """Read an uploaded CSV or XLSX file (its bytes or its path); UnreadableTable when it is
    neither or breaks a limit."""
    with _opened(source) as file:
        headers, rows, meta = _rows(filename, file)
        return _checked(Table(headers, list(rows), **meta))


def preview(filename: str, source: Source) -> Preview:
    """Headers, the first rows cut short and the number of rows, reading the file as a stream:
    memory stays flat however large the file, and every limit is checked on the way."""
    with _opened(source) as file:
        headers, rows, meta = _rows(filename, file)
        samples, total = [], 0
        for row in rows:
            if total < SAMPLE_ROWS:
                samples.append([_short(cell) for cell in row.cells[: len(headers)]])
            total += 1
    _check_header(headers)
    if not total:
        raise UnreadableTable("The file has a header but no rows.")
    return Preview([_short(h) for h in headers], samples, total, **meta)


def _short(text: str) -> str:
    return text if len(text) <= SAMPLE_CELL else text[: SAMPLE_CELL - 1] + "…"


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, Path):
        with source.open("rb") as file:
            yield file
    else:
        yield io.BytesIO(source)


def _rows(filename: str, file: IO[bytes]) -> tuple[list[str], Iterator[Row], dict[str, str]]:
    """The header and an iterator over the non-blank rows, each within the limits."""
    head = file.read(8)
    file.seek(0)
    if not head:
        raise UnreadableTable("The file is empty.")
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(XLSX_MAGIC):
        headers, rows = _xlsx_rows(file)
        return headers, _limited(headers, rows), {"format": "xlsx"}
    if suffix in {".xls", ".ods", ".numbers"}:
        raise UnreadableTable(
            f"{suffix} files cannot be read: save the sheet as .xlsx or .csv and upload that."
        )
    headers, rows, encoding, delimiter = _csv_rows(file)
    meta = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
    return headers, _limited(headers, rows), meta


def _limited(headers: list[str], rows: Iterator[Row]) -> Iterator[Row]:
    """The rows, refusing the file at the first one past a limit."""
    _within_limits(headers, 1)
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise UnreadableTable(
                f"The file has more than {MAX_ROWS:,} rows: split it into files of at most "
                f"{MAX_ROWS:,} rows."
            )
        _within_limits(row.cells, row.number)
        yield row


def _within_limits(cells: Sequence[str], number: int) -> None:
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1  # empty cells at the end of a row are no columns
    if width > MAX_COLUMNS:
        raise UnreadableTable(
            f"Row {number} has {width:,} columns; a file may have at most {MAX_COLUMNS:,}."
        )
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL:
            raise UnreadableTable(
                f"Row {number}, column {column} holds {len(cell):,} characters; a cell may "
                f"hold at most {MAX_CELL:,} (as in Excel)."
            )


def _encoding(file: IO[bytes]) -> str:
    """UTF-16 by its BOM, else UTF-8 if every byte decodes, else Windows-1252 (what Excel on
    Windows writes for "CSV (comma delimited)"), else Latin-1; read in chunks."""
    head = file.read(2)
    file.seek(0)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := file.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
        return encoding
    return "latin-1"


def _delimiter(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return max(CSV_DELIMITERS, key=first_line.count)


def _csv_rows(file: IO[bytes]) -> tuple[list[str], Iterator[Row], str, str]:
    """A CSV file with a header line, in whatever delimiter and encoding it came in."""
    encoding = _encoding(file)
    text = io.TextIOWrapper(
        file, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline=""
    )
    start = text.read(65536)
    if "\x00" in start:
        raise UnreadableTable("This is not a text file: upload a .csv or .xlsx file.")
    offset = 0
    # Excel's "sep=;" first line names the delimiter and is not a header.
    match = re.match(r"\s*sep=(.)\s*\r?\n", start)
    if match:
        delimiter = match.group(1)
        start = start[match.end() :]
        offset = 1
    else:
        delimiter = _delimiter(start)
    if not start.strip():
        raise UnreadableTable("The file is empty.")
    reader = csv.reader(_text_lines(start, text), delimiter=delimiter)
    try:
        headers = [_clean(cell) for cell in next(reader, [])]
    except csv.Error as exc:
        raise _csv_unreadable(exc) from None

    def rows() -> Iterator[Row]:
        try:
            for index, cells in enumerate(reader, start=2 + offset):
                if any(cell.strip() for cell in cells):
                    yield Row(index, tuple(_clean(cell) for cell in cells))
        except csv.Error as exc:
            raise _csv_unreadable(exc) from None

    return headers, rows(), encoding, delimiter


def _text_lines(start: str, rest: IO[str]) -> Iterator[str]:
    """The lines of a text stream whose first part was read already; a NUL byte anywhere
    means it is not text."""
    pending = start
    while True:
        more = rest.read(_CHUNK)
        if "\x00" in more:
            raise UnreadableTable("This is not a text file: upload a .csv or .xlsx file.")
        pending += more
        lines = pending.splitlines(keepends=True)
        if not more:
            yield from lines
            return
        # The last line may go on in the next chunk (or be a lone \r of a \r\n).
        pending = lines.pop() if lines else ""
        yield from lines


def _csv_unreadable(exc: csv.Error) -> UnreadableTable:
    if "field larger than field limit" in str(exc):
        return UnreadableTable(
            f"A cell holds more than {csv.field_size_limit():,} characters; a cell may hold at "
            f"most {MAX_CELL:,} (as in Excel)."
        )
    return UnreadableTable(f"The CSV file cannot be read: {exc}.")


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed: dates as ISO, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _clean(str(value))


def _xlsx_expanded(file: IO[bytes]) -> None:
    """Refuse a workbook whose parts expand past the limits, before any part is read.

    The sizes are those the zip declares; Python's zipfile never reads a part past its
    declared size, so a lie only makes the part unreadable.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableTable(f"The XLSX workbook cannot be read: {exc}.") from None
    finally:
        file.seek(0)
    expanded = sum(part.file_size for part in parts)
    if expanded > XLSX_MAX_EXPANDED:
        raise UnreadableTable(
            f"The workbook expands to {expanded // 2**20:,} MB; the most is "
            f"{XLSX_MAX_EXPANDED // 2**20:,} MB: save the sheet as .csv and upload that."
        )
    text = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if text > XLSX_MAX_TEXT_TABLE:
        raise UnreadableTable(
            f"The workbook's text expands to {text // 2**20:,} MB; the most is "
            f"{XLSX_MAX_TEXT_TABLE // 2**20:,} MB: save the sheet as .csv and upload that."
        )


def _xlsx_rows(file: IO[bytes]) -> tuple[list[str], Iterator[Row]]:
    """The first sheet of an XLSX workbook, its first non-blank row the header, streamed
    (openpyxl's read-only mode)."""
    from openpyxl import load_workbook

    _xlsx_expanded(file)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise UnreadableTable(f"The XLSX workbook cannot be read: {exc}.") from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise UnreadableTable("The workbook has no sheet.")
    values = enumerate(sheet.iter_rows(values_only=True), start=1)
    headers: list[str] | None = None
    with _sheet_errors(workbook):
        for number, cells in values:
            texts = [_cell_text(v) for v in cells]
            if any(texts):
                _within_limits(texts, number)
                headers = texts
                break
    if headers is None:
        workbook.close()
        raise UnreadableTable("The file is empty.")
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[Row]:
        with _sheet_errors(workbook):
            for number, cells in values:
                texts = tuple(_cell_text(v) for v in cells)
                if any(texts):
                    yield Row(number, texts)
        workbook.close()

    return headers, rows()


@contextlib.contextmanager
def _sheet_errors(workbook: Any) -> Iterator[None]:
    """A sheet that breaks while being read is an unreadable workbook, and is closed."""
    try:
        yield
    except UnreadableTable:
        workbook.close()
        raise
    except Exception as exc:  # openpyxl and its XML parser raise many kinds
        workbook.close()
        raise UnreadableTable(f"The XLSX workbook cannot be read: {exc}.") from None


def _clean(value: str) -> str:
    return value.replace("\x00", "").strip()


def _check_header(headers: Sequence[str]) -> None:
    if not any(headers):
        raise UnreadableTable("The first row holds no column names.")


def _checked(table: Table) -> Table:
    _check_header(table.headers)
    if not table.rows:
        raise UnreadableTable("The file has a header but no rows.")
    return table


# --- mapping columns to fields ---------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A field a kind of record can take from a column, and the header names that suggest it."""

    name: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    help: str = ""
    many: bool = False  # several columns may feed it (e-mail 1, e-mail 2, ...)


@dataclass
class Mapping:
    """Which field each column feeds (IGNORE for none), in column order."""

    columns: list[str] = field(default_factory=list)


def header_key(header: str) -> str:
    """A header as a comparable key: no accents, lower case, words joined by '_'."""
    text = unicodedata.normalize("NFKD", header or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _field_keys(spec: Field) -> set[str]:
    return {header_key(spec.name), header_key(spec.label), *(header_key(s) for s in spec.synonyms)}


def suggest_mapping(headers: Sequence[str], fields: Sequence[Field]) -> list[str]:
    """A field for each column whose header names it (or a synonym); IGNORE for the rest."""
    keys = [(spec, _field_keys(spec)) for spec in fields]
    taken: set[str] = set()
    mapping: list[str] = []
    for header in headers:
        key = header_key(header)
        # "E-mail 2", "phone_1": a numbered column still names its field.
        bare = re.sub(r"_?\d+$", "", key)
        chosen = IGNORE
        for candidate in (key, bare):
            if not candidate or chosen:
                continue
            for spec, names in keys:
                if candidate in names and (spec.many or spec.name not in taken):
                    chosen = spec.name
                    break
        if chosen:
            taken.add(chosen)
        mapping.append(chosen)
    return mapping


def mapping_problems(
    mapping: Sequence[str], headers: Sequence[str], fields: Sequence[Field]
) -> dict[str, str]:
    """What is wrong with a mapping, by field: unknown, fed twice, or required and missing."""
    by_name = {spec.name: spec for spec in fields}
    problems: dict[str, str] = {}
    if len(mapping) != len(headers):
        problems["mapping"] = f"Give a field (or nothing) for each of the {len(headers)} columns."
        return problems
    seen: dict[str, str] = {}
    for header, name in zip(headers, mapping, strict=True):
        if not name:
            continue
        spec = by_name.get(name)
        if spec is None:
            problems[name] = f"Unknown field {name!r} for column {header!r}."
        elif name in seen and not spec.many:
            problems[name] = f"Both {seen[name]!r} and {header!r} feed {spec.label}; choose one."
        seen.setdefault(name, header)
    for spec in fields:
        if spec.required and spec.name not in seen:
            problems[spec.name] = f"Choose the column that holds {spec.label} (it is required)."
    return problems


def mapping_from_pairs(
    pairs: Iterable[str], headers: Sequence[str], fields: Sequence[Field]
) -> list[str]:
    """A mapping from 'column=field' texts (the CLI's --mapping), over the suggested one."""
    mapping = suggest_mapping(headers, fields)
    keys = [header_key(h) for h in headers]
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r}: write COLUMN=FIELD (FIELD empty to ignore the column).")
        try:
            index = keys.index(header_key(column))
        except ValueError:
            raise ValueError(f"No column {column.strip()!r} in the file.") from None
        mapping[index] = name.strip()
    return mapping


def mapped_values(
    cells: Sequence[str], mapping: Sequence[str], fields: Sequence[Field]
) -> dict[str, Any]:
    """One row's cells by field: text for a single field, a list of texts for a 'many' one."""
    many = {spec.name for spec in fields if spec.many}
    values: dict[str, Any] = {name: [] for name in many}
    for index, name in enumerate(mapping):
        if not name:
            continue
        cell = cells[index] if index < len(cells) else ""
        if name in many:
            if cell:
                values[name].append(cell)
        else:
            values[name] = cell
    return values


def column_of(field_name: str, mapping: Sequence[str], headers: Sequence[str]) -> str:
    """The header of the (first) column feeding a field, to name it in an error."""
    for header, name in zip(headers, mapping, strict=False):
        if name == field_name:
            return header
    return field_name


# --- writing ---------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet may show it, with text that would run as a formula defused."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, date)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns what it was given (for streaming csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text a line at a time (UTF-8 BOM first, so Excel reads accents right)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def _csv_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A whole (small) CSV file, e.g. an error report."""
    return "".join(csv_lines(header, rows)).encode("utf-8")


def xlsx_file(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export"
) -> IO[bytes]:
    """An XLSX workbook written row by row (write-only mode) to a temporary file, rewound."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Export")
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (the caller streams and closes it)
    workbook.save(handle)
    handle.seek(0)
    return handle


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the wall-clock time in UTC, labelled by the header.
        from datetime import UTC

        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


# --- reading cells as values -------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")


def parse_date(text: str) -> date | None:
    """A date as people write it in a sheet (ISO first; day before month otherwise); None if not one."""
    text = (text or "").strip()
    if not text:
        return None
    if "T" in text or (" " in text and ":" in text):
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


_NUMBER_NOISE = re.compile(r"[\s\u00a0'€$£¥%]|[A-Za-z]{3}$|^[A-Za-z]{3}")


def parse_decimal(text: str) -> Decimal | None:
    """A number as a sheet shows it: '1,234.50', '1.234,50', '€ 12', '-3'; None if not one."""
    text = _NUMBER_NOISE.sub("", (text or "").strip())
    if not text:
        return None
    if "," in text and "." in text:
        # The later separator is the decimal one.
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = (
            text.replace(",", "")
            if len(tail) == 3 and head.lstrip("-").isdigit()
            else text.replace(",", ".")
        )
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def split_list(values: str | Iterable[str]) -> list[str]:
    """Several values in one cell ('a; b, c') or in several columns, each once, in order."""
    cells = [values] if isinstance(values, str) else list(values)
    found: list[str] = []
    for cell in cells:
        for part in re.split(r"[;,\n]", cell or ""):
            part = part.strip()
            if part and part not in found:
                found.append(part)
    return found
