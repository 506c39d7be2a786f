"""The table engine: reading CSV and XLSX, mapping columns, writing CSV and XLSX (no database)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from rapport.core import tabular
from rapport.core.tabular import Field

FIELDS = (
    Field("name", "Name", required=True, synonyms=("company",)),
    Field("email", "E-mail", many=True, synonyms=("mail",)),
    Field("city", "City"),
)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_csv_with_bom_and_semicolons_reads_with_spreadsheet_row_numbers():
    content = "\ufeffFirma;Stadt\r\nMüller GmbH;Köln\r\n;\r\nÖl AG;Wien\r\n".encode()

    table = tabular.read_table("x.csv", content)

    assert table.headers == ["Firma", "Stadt"]
    assert table.delimiter == ";"
    assert table.encoding == "utf-8"
    # the blank row 3 is skipped but keeps its number, as the spreadsheet shows it
    assert [(r.number, r.cells) for r in table.rows] == [
        (2, ("Müller GmbH", "Köln")),
        (4, ("Öl AG", "Wien")),
    ]


def test_windows_1252_csv_and_excel_sep_line():
    content = "sep=,\r\nname,city\r\nCafé Ltd,Zürich\r\n".encode("cp1252")

    table = tabular.read_table("x.csv", content)

    assert table.encoding == "cp1252"
    assert table.headers == ["name", "city"]
    assert table.rows[0].cells == ("Café Ltd", "Zürich")
    assert table.rows[0].number == 3


def test_tab_separated_and_quoted_cells_with_line_breaks():
    content = b'name\tnotes\n"Acme, Inc"\t"two\nlines"\nBeta\tx\n'

    table = tabular.read_table("x.tsv", content)

    assert table.delimiter == "\t"
    assert table.rows[0].cells == ("Acme, Inc", "two\nlines")
    assert table.rows[1].number == 3


def test_xlsx_first_sheet_with_dates_and_numbers_as_text():
    content = _xlsx(
        [
            ["Name", "Since", "Staff", "Rate"],
            ["Acme", datetime(2024, 3, 1), 120, 0.5],
            [None, None, None, None],
            ["Beta", date(2023, 1, 2), 7.0, None],
        ]
    )

    table = tabular.read_table("upload.bin", content)  # told by its bytes, not its name

    assert table.format == "xlsx"
    assert table.headers == ["Name", "Since", "Staff", "Rate"]
    assert [(r.number, r.cells) for r in table.rows] == [
        (2, ("Acme", "2024-03-01", "120", "0.5")),
        (4, ("Beta", "2023-01-02", "7", "")),
    ]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("x.csv", b"", "The file is empty."),
        ("x.csv", b"name,city\n", "The file has a header but no rows."),
        ("x.xls", b"\xd0\xcf\x11\xe0", ".xls files cannot be read"),
        ("x.xlsx", b"PK\x03\x04 not really a zip", "The XLSX workbook cannot be read"),
        ("x.csv", b"a\x00b\x00", "This is not a text file"),
    ],
)
def test_unreadable_files_say_why(filename, content, message):
    with pytest.raises(tabular.UnreadableTable) as caught:
        tabular.read_table(filename, content)

    assert message in caught.value.message


def test_mapping_is_suggested_from_headers_and_synonyms():
    headers = ["Company", "E-Mail 1", "mail_2", "Ort", "City"]

    mapping = tabular.suggest_mapping(headers, FIELDS)

    # a 'many' field takes every column naming it; an unknown header is ignored
    assert mapping == ["name", "email", "email", "", "city"]


def test_mapping_problems_name_the_field():
    headers = ["a", "b", "c"]

    assert tabular.mapping_problems(["city", "city", ""], headers, FIELDS) == {
        "city": "Both 'a' and 'b' feed City; choose one.",
        "name": "Choose the column that holds Name (it is required).",
    }
    assert tabular.mapping_problems(["name", "nope", ""], headers, FIELDS) == {
        "nope": "Unknown field 'nope' for column 'b'."
    }
    assert tabular.mapping_problems(["name"], headers, FIELDS) == {
        "mapping": "Give a field (or nothing) for each of the 3 columns."
    }
    assert tabular.mapping_problems(["name", "email", "email"], headers, FIELDS) == {}


def test_mapping_from_cli_pairs_overrides_the_suggestion():
    headers = ["Company", "Town", "Notes"]

    mapping = tabular.mapping_from_pairs(["town=city", "company="], headers, FIELDS)

    assert mapping == ["", "city", ""]
    with pytest.raises(ValueError, match="No column 'Nope'"):
        tabular.mapping_from_pairs(["Nope=city"], headers, FIELDS)


def test_mapped_values_collect_many_columns():
    values = tabular.mapped_values(
        ("Acme", "a@x.com", "", "b@x.com"), ["name", "email", "email", "email"], FIELDS
    )

    assert values == {"name": "Acme", "email": ["a@x.com", "b@x.com"]}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("€ 12", Decimal("12")),
        ("12,5", Decimal("12.5")),
        ("1,234", Decimal("1234")),
        ("-3", Decimal("-3")),
        ("abc", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_numbers_as_sheets_write_them(text, number):
    assert tabular.parse_decimal(text) == number


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-03-31", date(2025, 3, 31)),
        ("31.03.2025", date(2025, 3, 31)),
        ("31/03/2025", date(2025, 3, 31)),
        ("2025-03-31T10:00:00", date(2025, 3, 31)),
        ("2025-02-30", None),
        ("soon", None),
    ],
)
def test_dates_as_sheets_write_them(text, day):
    assert tabular.parse_date(text) == day


def test_csv_out_defuses_formulas_and_starts_with_a_bom():
    text = "".join(tabular.csv_lines(["name", "n"], [["=HYPERLINK(1)", 3], ["@x", None]]))

    assert text == "\ufeffname,n\r\n'=HYPERLINK(1),3\r\n'@x,\r\n"


def test_xlsx_out_is_written_row_by_row_and_reads_back():
    rows = ([i, f"name {i}", Decimal("1.50"), date(2024, 1, i % 28 + 1)] for i in range(1, 301))

    handle = tabular.xlsx_file(["id", "name", "amount", "day"], rows, title="Accounts/2024")

    sheet = load_workbook(handle, read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Accounts 2024"
    assert len(values) == 301
    assert values[0] == ("id", "name", "amount", "day")
    assert values[1] == (1, "name 1", 1.5, datetime(2024, 1, 2))
