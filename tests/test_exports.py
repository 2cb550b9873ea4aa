import io
from decimal import Decimal

import openpyxl
import pytest

from caseapp.spreadsheets import csv_text, escape_formula, unescape_formula, xlsx_bytes

DANGEROUS = ["=1+1", "+995 599", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_cells_that_look_like_formulas_are_made_text(text):
    content = csv_text(["notes"], [[text]])
    line = content.splitlines()[1] if not text.startswith("\r") else content.split("\r\n")[1]
    assert not line.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("text", DANGEROUS + ["plain", "'quoted", "ნინო"])
def test_escape_then_unescape_gives_the_text_back(text):
    assert unescape_formula(escape_formula(text)) == text


def test_xlsx_keeps_text_exact_and_never_a_formula():
    content = xlsx_bytes([("sheet", ["notes", "amount"], [[t, Decimal("12.50")] for t in DANGEROUS])])
    sheet = openpyxl.load_workbook(io.BytesIO(content))["sheet"]
    values = [row for row in sheet.iter_rows(min_row=2, values_only=False)]
    for (cell, amount), text in zip(values, DANGEROUS):
        assert cell.value == text.replace("\r", "\n")  # XML stores line ends as \n
        assert cell.data_type == "s"
        assert amount.value == 12.5 or amount.value == Decimal("12.50")
