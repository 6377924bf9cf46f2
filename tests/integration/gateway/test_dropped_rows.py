"""Officers see and settle their association's dropped extract rows, over real HTTP.

The gateway beside the stand-in registration (``standins.DROPPED``: rows 1-3
are HACK's, 4 is ISLI's, 5 has no known association). An officer of HACK
lists, downloads, reads, corrects and resolves HACK's rows and nothing
else; operators see all; scrutineers the counts only; anyone else nothing.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.integration.gateway import standins
from tests.integration.gateway.harness import error_of

ROWS = f"/api/ballots/{standins.OPEN}/dropped-rows"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def officer(gateway, association: str = "HACK", name: str = "Orla Officer") -> str:  # type: ignore[no-untyped-def]
    return gateway.user("officer", association, name=name)


def dropped_row_calls() -> list[tuple]:
    return [c for c in standins.CALLS if "dropped" in c[0] or "conflict" in c[0]]


# -- seeing them --------------------------------------------------------------------------


def test_an_officer_lists_only_their_associations_rows_with_every_reason(gateway):
    token = officer(gateway)
    listed = gateway.get(ROWS, token)
    assert ids(listed) == [1, 2, 3]
    rejected = listed.json()[0]
    assert rejected["line"] == 3 and rejected["row"]["postcode"] == "E8"
    assert rejected["reasons"] == standins.DROPPED[1]["reasons"]
    assert ids(gateway.get(f"{ROWS}?association=HACK&kind=conflict", token)) == [3]
    assert ids(gateway.get(f"{ROWS}?status=corrected", token)) == []
    assert standins.called("registration.list_dropped_rows")[0][2] == "HACK"


def test_an_operator_sees_every_association_or_the_one_asked_for(gateway):
    operator = gateway.user("operator")
    assert ids(gateway.get(ROWS, operator)) == [1, 2, 3, 4, 5]
    assert ids(gateway.get(f"{ROWS}?association=ISLI", operator)) == [4]
    assert gateway.get(f"{ROWS}/5", operator).json()["association"] == ""


def test_an_officer_asking_for_another_associations_rows_is_refused_and_it_is_logged(gateway):
    before = gateway.audit_seq()
    token = officer(gateway)
    for path in ("", ".csv", "/counts"):
        refused = gateway.get(f"{ROWS}{path}?association=ISLI", token)
        assert refused.status_code == 403
        assert error_of(refused)["message"] == "An officer of HACK may not see association ISLI."
    assert standins.CALLS == []
    rows = gateway.audit_since(before)
    assert [r.action for r in rows if r.action != "user.added"] == ["access.refused"] * 3
    assert all(r.actor.startswith("Orla Officer (user ") for r in rows[1:])


def test_an_officer_downloads_their_rows_as_csv_with_formulas_defused(gateway):
    before = gateway.audit_seq()
    token = officer(gateway)
    for path in (f"{ROWS}.csv", f"{ROWS}?format=csv"):
        response = gateway.get(path, token)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="ballot-{standins.OPEN}-dropped-rows-HACK.csv"'
        )
        header, *rows = list(csv.reader(io.StringIO(response.text)))
        cells = [dict(zip(header, row, strict=True)) for row in rows]
        assert [c["id"] for c in cells] == ["1", "2", "3"]
        assert {c["association"] for c in cells} == {"HACK"}
        first = cells[0]
        assert first["line"] == "3" and first["kind"] == "rejected"
        assert first["reasons"] == "; ".join(standins.DROPPED[1]["reasons"])
        assert first["received_last_name"] == "'" + standins.FORMULA
        assert first["received_extra"] == "notes=+44 see office"
        assert cells[2]["differs"] == "email"
    exported = [r for r in gateway.audit_since(before) if r.action == "dropped_rows.exported"]
    assert len(exported) == 2
    assert json.loads(exported[0].details)["rows"] == 3


# -- settling them ------------------------------------------------------------------------


def test_an_officer_corrects_a_rejected_row_and_it_is_then_corrected(gateway):
    before = gateway.audit_seq()
    token = officer(gateway)
    correction = {
        "values": {"postcode": "E8 1AA", "date_of_birth": "1990-02-28"},
        "reason": "typed from the paper form",
    }
    done = gateway.post(f"{ROWS}/1/correction", token, json=correction)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "corrected"
    assert done.json()["outcome"] == "accepted as member H9"
    assert gateway.get(f"{ROWS}/1", token).json()["status"] == "corrected"
    assert ids(gateway.get(f"{ROWS}?status=corrected", token)) == [1]
    (call,) = standins.called("registration.correct_dropped_row")
    assert call[1:4] == (standins.OPEN, 1, correction["values"])
    assert call[4].startswith("Orla Officer") and call[5] == "typed from the paper form"
    (entry,) = [r for r in gateway.audit_since(before) if r.action == "dropped_row.corrected"]
    assert entry.subject == f"ballot:{standins.OPEN}/row:1"
    assert entry.reason == "typed from the paper form"
    details = json.loads(entry.details)
    assert details["fields"] == ["date_of_birth", "postcode"] and details["status"] == "corrected"
    assert "E8 1AA" not in entry.details  # field names only, never values
    again = gateway.post(f"{ROWS}/1/correction", token, json=correction)
    assert again.status_code == 409 and error_of(again)["code"] == "row_not_correctable"


def test_a_correction_that_leaves_the_row_invalid_is_422_with_every_reason_and_logged(gateway):
    before = gateway.audit_seq()
    token = officer(gateway)
    response = gateway.post(
        f"{ROWS}/1/correction", token, json={"values": {"postcode": "E8 1AA"}, "reason": "typo"}
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "row_still_rejected",
        "message": (
            "The corrected row is still rejected: the date of birth '31/02/1990' is not a date."
        ),
    }
    assert gateway.get(f"{ROWS}/1", token).json()["status"] == "open"
    actions = [r.action for r in gateway.audit_since(before)]
    assert "dropped_row.corrected" not in actions
    (entry,) = [r for r in gateway.audit_since(before) if r.action == "dropped_row.still_rejected"]
    assert entry.reason == "typo"
    assert json.loads(entry.details)["reasons"] == 1


def test_an_officer_resolves_a_conflict_by_choosing_a_version(gateway):
    before = gateway.audit_seq()
    token = officer(gateway)
    done = gateway.post(
        f"{ROWS}/3/resolution", token, json={"keep": "second", "reason": "the newer email"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == (
        "resolved",
        "replaced by this row's data",
    )
    (entry,) = [r for r in gateway.audit_since(before) if r.action == "dropped_row.resolved"]
    assert json.loads(entry.details)["keep"] == "second" and entry.reason == "the newer email"
    not_a_conflict = gateway.post(
        f"{ROWS}/2/resolution", token, json={"keep": "first", "reason": "same person"}
    )
    assert not_a_conflict.status_code == 409
    assert error_of(not_a_conflict)["code"] == "row_not_correctable"


@pytest.mark.parametrize(
    ("method", "path", "body", "words"),
    [
        ("GET", "/4", None, "may only see rows"),
        (
            "POST",
            "/4/correction",
            {"values": {"postcode": "N1 1AA"}, "reason": "r"},
            "correct rows",
        ),
        ("GET", "/5", None, "belongs to no association"),
        ("POST", "/5/correction", {"values": {"association": "HACK"}, "reason": "r"}, "no assoc"),
        ("POST", "/4/resolution", {"keep": "first", "reason": "r"}, "may only resolve conflicts"),
    ],
)
def test_an_officer_cannot_see_or_settle_another_associations_row(
    gateway, method, path, body, words
):
    before = gateway.audit_seq()
    response = gateway.request(method, ROWS + path, officer(gateway), json=body)
    assert response.status_code == 403
    message = error_of(response)["message"]
    assert words in message and "an officer of HACK" in message
    assert not standins.called("registration.correct_dropped_row")
    assert not standins.called("registration.resolve_conflict")
    (refused,) = [r for r in gateway.audit_since(before) if r.action == "access.refused"]
    row_id = path.split("/")[1]
    assert refused.subject == f"ballot:{standins.OPEN}/row:{row_id}"
    assert refused.actor.startswith("Orla Officer")
    assert standins.STATE["dropped"] == standins.DROPPED


def test_an_operator_settles_a_row_of_no_known_association(gateway):
    done = gateway.post(
        f"{ROWS}/5/correction",
        gateway.user("operator"),
        json={"values": {"association": "HACK"}, "reason": "Nowhere is Hackney's old name"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "corrected" and done.json()["association"] == "HACK"


# -- counts, and those who may not ------------------------------------------------------


def test_a_scrutineer_sees_the_counts_and_never_the_rows(gateway):
    token = gateway.user("scrutineer")
    counts = gateway.get(f"{ROWS}/counts", token)
    assert counts.status_code == 200
    assert counts.json()["totals"] == {
        "rejected": 3,
        "duplicate": 1,
        "conflict": 1,
        "corrected": 0,
        "resolved": 0,
    }
    assert set(counts.json()["by_association"]) == {"HACK", "ISLI", ""}
    standins.CALLS.clear()
    for path in ("", ".csv", "/1"):
        refused = gateway.get(ROWS + path, token)
        assert refused.status_code == 403
        assert "a scrutineer may not see" in error_of(refused)["message"].lower()
    assert standins.CALLS == []


def test_an_officers_counts_are_their_associations_alone(gateway):
    counts = gateway.get(f"{ROWS}/counts", officer(gateway)).json()
    assert set(counts["by_association"]) == {"HACK"}
    assert counts["totals"]["rejected"] == 1 and counts["totals"]["conflict"] == 1


def test_tellers_and_voters_get_nothing(gateway):
    teller = gateway.user("teller", ballot_id=standins.OPEN)
    for path in ("", "/counts", "/1"):
        assert gateway.get(ROWS + path, teller).status_code == 403
    voter = "GOOD-CODE-0001"  # an access code is no bearer token
    assert gateway.get(ROWS, voter).status_code == 401
    assert gateway.get(ROWS).status_code == 401
    body = {"values": {}, "reason": "r"}
    assert gateway.post(f"{ROWS}/1/correction", teller, json=body).status_code == 403
    assert standins.CALLS == []


# -- mistakes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"values": {"postcode": "E8\\u0000"}, "reason": "r"}', 400, "invalid_request"),
        (b'{"values": {"town": "\\ud800"}, "reason": "r"}', 400, "invalid_request"),
        (b'{"values": {"\\ud800": "x"}, "reason": "r"}', 400, "invalid_request"),
        (b'{"values": {}, "reason": "r", "\\udfff": 1}', 400, "invalid_request"),
        (b'{"values": {"shoe_size": "9"}, "reason": "r"}', 400, "invalid_request"),
        (b'{"values": "postcode", "reason": "r"}', 400, "invalid_request"),
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "malformed_json"),
        (b'{"values": {"town": "' + b"x" * (6 * 1024 * 1024) + b'"}}', 413, "payload_too_large"),
    ],
)
def test_a_bad_correction_is_a_clear_4xx_and_reaches_no_service(gateway, body, status, code):
    response = gateway.post(
        f"{ROWS}/1/correction",
        officer(gateway),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["code"] == code and "\n" not in error["message"]
    assert dropped_row_calls() == []


def test_an_unknown_row_or_ballot_is_404(gateway):
    token = gateway.user("operator")
    missing = gateway.get(f"{ROWS}/404", token)
    assert missing.status_code == 404 and error_of(missing)["code"] == "dropped_row_not_found"
    for path in ("", "/counts"):
        ballot = gateway.get(f"/api/ballots/{standins.MISSING}/dropped-rows{path}", token)
        assert ballot.status_code == 404 and error_of(ballot)["code"] == "ballot_not_found"
    bad = gateway.get(f"{ROWS}?kind=accepted", token)
    assert bad.status_code == 400 and error_of(bad)["message"].startswith("Kind: Must be one of")
