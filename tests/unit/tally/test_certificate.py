"""The results certificate: signed, and tied to what the board holds."""

from __future__ import annotations

import json

from services.tally import bulletin, certificate
from tests.builders import ballots as builders


def _board():
    definition = {**builders.ballot_definition(), "ballot_id": 3, "phase": "closed"}
    papers = [
        {"receipt": f"r{i}", "choices": [c]}
        for i, c in enumerate(["Ada Lovelace"] * 3 + ["Mary Seacole"])
    ]
    public, pem = certificate.new_key(b"pass")
    board = bulletin.build(
        definition,
        papers,
        {"cast": 4, "online": 4, "postal": 0, "electorate": 9},
        bulletin.count(definition, papers),
        {"key": certificate.key_section(public)},
    )
    board["certificate"] = certificate.sign(board, pem, b"pass")
    return board


def test_a_signed_board_checks_and_names_its_key():
    board = _board()
    assert certificate.check(board) == []
    assert certificate.check(board, board["key"]["fingerprint"]) == []


def test_a_board_resigned_with_another_key_fails_against_the_published_fingerprint():
    board = _board()
    published = board["key"]["fingerprint"]
    forged = json.loads(json.dumps(board))
    forged["ballots"][0]["choices"] = ["Mary Seacole"]
    forged["counts"] = bulletin.count(forged["ballot"], forged["ballots"]).to_dict()
    forged["sha256"] = bulletin.digest(forged)
    public, pem = certificate.new_key(b"x")
    forged["key"] = certificate.key_section(public)
    forged["sha256"] = bulletin.digest(forged)
    forged["certificate"] = certificate.sign(forged, pem, b"x")
    assert bulletin.check(forged) == []  # internally consistent...
    assert certificate.check(forged) == []
    assert certificate.check(forged, published)  # ...but not signed by the ballot's key


def test_a_certificate_that_states_other_winners_or_a_bad_signature_fails():
    board = _board()
    lying = json.loads(json.dumps(board))
    lying["certificate"]["winners"] = ["Mary Seacole"]
    assert certificate.check(lying)
    broken = json.loads(json.dumps(board))
    broken["certificate"]["signature"] = "00" * 64
    assert any("signature" in p for p in certificate.check(broken))
    assert certificate.check({k: v for k, v in board.items() if k != "certificate"})
