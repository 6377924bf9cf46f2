"""Access codes: entropy, alphabet, check symbol, normalisation, keyed hash."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.codes import codeformat

codes = st.text(
    alphabet=codeformat.ALPHABET,
    min_size=codeformat.RANDOM_SYMBOLS,
    max_size=codeformat.RANDOM_SYMBOLS,
).map(lambda body: body + codeformat.check_symbol(body))


def test_a_code_carries_at_least_80_random_bits_from_an_alphabet_without_look_alikes():
    assert codeformat.RANDOM_SYMBOLS * math.log2(len(codeformat.ALPHABET)) >= 80
    assert not set("01OILUZ") & set(codeformat.ALPHABET)
    assert len(set(codeformat.ALPHABET)) == len(codeformat.ALPHABET)


def test_generated_codes_are_valid_and_differ():
    made = {codeformat.generate() for _ in range(1000)}
    assert len(made) == 1000
    for code in list(made)[:50]:
        assert codeformat.normalise(codeformat.formatted(code)) == code


@given(codes, st.data())
def test_any_single_symbol_mistake_is_caught(code, data):
    i = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in codeformat.ALPHABET if c != code[i]]))
    with pytest.raises(codeformat.MalformedCodeError):
        codeformat.normalise(code[:i] + other + code[i + 1 :])


@given(codes, st.data())
def test_any_swap_of_two_adjacent_different_symbols_is_caught(code, data):
    i = data.draw(st.integers(0, len(code) - 2))
    if code[i] == code[i + 1]:
        return
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(codeformat.MalformedCodeError):
        codeformat.normalise(swapped)


def test_spaces_hyphens_and_case_are_ignored_but_look_alikes_are_refused():
    code = codeformat.generate()
    assert codeformat.normalise(" " + codeformat.formatted(code).lower() + " ") == code
    with pytest.raises(codeformat.MalformedCodeError, match="never contains"):
        codeformat.normalise("O" + code[1:])
    with pytest.raises(codeformat.MalformedCodeError, match="letters and digits"):
        codeformat.normalise(code[:-1])


def test_the_hash_is_keyed_and_bound_to_the_ballot():
    code = codeformat.generate(random.Random(1).choice)
    assert codeformat.code_hash(b"k1", 1, code) != codeformat.code_hash(b"k2", 1, code)
    assert codeformat.code_hash(b"k1", 1, code) != codeformat.code_hash(b"k1", 2, code)
    assert code not in codeformat.code_hash(b"k1", 1, code)
