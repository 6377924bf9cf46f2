"""rollcall.spreadsheet: a cell a spreadsheet would run is defused; anything else is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollcall.spreadsheet import safe_cell
from services.codes import codeformat


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_looking_text_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


@given(st.text().filter(lambda t: not t.startswith(("=", "+", "-", "@", "\t", "\r"))))
def test_any_other_text_is_unchanged(text):
    assert safe_cell(text) == text


def test_an_access_code_is_never_changed():
    for _ in range(200):
        shown = codeformat.formatted(codeformat.generate())
        assert safe_cell(shown) == shown
