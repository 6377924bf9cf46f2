"""Access codes: entropy, alphabet, check symbol, normalisation, keyed hash."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.codes import issuing

codes = st.text(
    alphabet=issuing.ALPHABET, min_size=issuing.RANDOM_SYMBOLS, max_size=issuing.RANDOM_SYMBOLS
).map(lambda body: body + issuing.check_symbol(body))


def test_a_code_carries_at_least_80_random_bits_from_an_alphabet_without_look_alikes():
    assert issuing.RANDOM_SYMBOLS * math.log2(len(issuing.ALPHABET)) >= 80
    assert not set("01OILUZ") & set(issuing.ALPHABET)
    assert len(set(issuing.ALPHABET)) == len(issuing.ALPHABET)


def test_generated_codes_are_valid_and_differ():
    made = {issuing.generate() for _ in range(1000)}
    assert len(made) == 1000
    for code in list(made)[:50]:
        assert issuing.normalise(issuing.formatted(code)) == code


@given(codes, st.data())
def test_any_single_symbol_mistake_is_caught(code, data):
    i = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in issuing.ALPHABET if c != code[i]]))
    with pytest.raises(issuing.MalformedCodeError):
        issuing.normalise(code[:i] + other + code[i + 1 :])


@given(codes, st.data())
def test_any_swap_of_two_adjacent_different_symbols_is_caught(code, data):
    i = data.draw(st.integers(0, len(code) - 2))
    if code[i] == code[i + 1]:
        return
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(issuing.MalformedCodeError):
        issuing.normalise(swapped)


def test_spaces_hyphens_and_case_are_ignored_but_look_alikes_are_refused():
    code = issuing.generate()
    assert issuing.normalise(" " + issuing.formatted(code).lower() + " ") == code
    with pytest.raises(issuing.MalformedCodeError, match="never contains"):
        issuing.normalise("O" + code[1:])
    with pytest.raises(issuing.MalformedCodeError, match="letters and digits"):
        issuing.normalise(code[:-1])


def test_the_hash_is_keyed_and_bound_to_the_ballot():
    code = issuing.generate(random.Random(1).choice)
    assert issuing.code_hash(b"k1", 1, code) != issuing.code_hash(b"k2", 1, code)
    assert issuing.code_hash(b"k1", 1, code) != issuing.code_hash(b"k1", 2, code)
    assert code not in issuing.code_hash(b"k1", 1, code)
