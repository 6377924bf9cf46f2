"""Who may do what, checked in the gateway before any remote call, over real HTTP."""

from __future__ import annotations

import json

import pytest
from nameko.exceptions import RemoteError

from rollcall import audit
from tests.integration.gateway import standins
from tests.integration.gateway.harness import error_of

REGISTER = f"/api/ballots/{standins.CLOSED}/marked-register"
BATCHES = f"/api/ballots/{standins.OPEN}/postal-batches"
RECONCILIATION = f"/api/ballots/{standins.OPEN}/reconciliation"
REVIEWS = f"/api/ballots/{standins.OPEN}/reviews"
BATCH = {
    "batch_id": "B1",
    "papers": [
        {"membership_number": "M7", "choices": ["Ada Lovelace"]},
        {"membership_number": "X9", "choices": ["Mary Seacole"]},
    ],
}


def role_token(gateway, role: str) -> str:
    association = "HACK" if role == "officer" else None
    ballot_id = standins.OPEN if role == "teller" else None
    return gateway.user(role, association, name=f"{role} one", ballot_id=ballot_id)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("operator", True), ("scrutineer", True), ("teller", False), ("officer", False)],
)
def test_the_marked_register_is_for_operators_and_scrutineers(gateway, role, allowed):
    response = gateway.get(REGISTER, role_token(gateway, role))
    if allowed:
        assert response.status_code == 200
        assert response.json() == {"ballot_id": standins.CLOSED, "voted": ["M1", "M2"]}
        assert standins.called("tally.get_marked_register")
    else:
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "forbidden"
        assert "may not read the marked register" in error["message"]
        assert error["message"].lower().startswith(f"a {role}") or role in error["message"]
        assert standins.CALLS == []


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
        ({"Authorization": "Bearer not-a-token-anyone-was-given"}, "invalid_token"),
    ],
)
def test_without_a_valid_token_privileged_routes_are_401(gateway, headers, code):
    for method, path in [("GET", REGISTER), ("POST", BATCHES), ("GET", RECONCILIATION)]:
        response = gateway.request(method, path, headers=headers, json=BATCH)
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] == code
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert standins.CALLS == []


def test_a_revoked_token_is_401_at_once(gateway):
    made = gateway.rpc.gateway.add_user("Sam", "scrutineer", None, actor="test")
    assert gateway.get(REGISTER, made["token"]).status_code == 200
    gateway.rpc.gateway.revoke_user(made["user_id"], actor="test")
    response = gateway.get(REGISTER, made["token"])
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_revoked"
    assert len(standins.called("tally.get_marked_register")) == 1


@pytest.mark.parametrize(("role", "allowed"), [("teller", True), ("operator", True)])
def test_tellers_and_operators_enter_postal_batches(gateway, role, allowed):
    token = role_token(gateway, role)
    response = gateway.post(BATCHES, token, json=BATCH)
    assert response.status_code == 201
    assert response.json() == {
        "batch_id": "B1",
        "entered": 1,
        "refused": [{"membership_number": "X9", "reason": "not on the roll"}],
        "duplicate_batch": False,
    }
    (call,) = standins.called("tally.enter_postal_batch")
    assert call[1:3] == (standins.OPEN, "B1") and f"{role} one" in call[3]
    again = gateway.post(BATCHES, token, json=BATCH)
    assert again.status_code == 200 and again.json()["duplicate_batch"] is True


@pytest.mark.parametrize("role", ["scrutineer", "officer"])
def test_no_one_else_enters_postal_batches(gateway, role):
    response = gateway.post(BATCHES, role_token(gateway, role), json=BATCH)
    assert response.status_code == 403
    assert "may not enter postal ballots" in error_of(response)["message"]
    assert standins.CALLS == []


@pytest.mark.parametrize("role", ["operator", "scrutineer"])
def test_operators_and_scrutineers_reconcile_the_whole_ballot_or_one_association(gateway, role):
    token = role_token(gateway, role)
    assert gateway.get(RECONCILIATION, token).json()["association"] is None
    assert gateway.get(RECONCILIATION + "?association=ISLI", token).json()["association"] == "ISLI"
    assert [c[2] for c in standins.called("registration.reconcile")] == [None, "ISLI"]


def test_an_officer_sees_only_their_own_associations_reconciliation(gateway):
    token = role_token(gateway, "officer")
    assert gateway.get(RECONCILIATION, token).json()["association"] == "HACK"
    assert gateway.get(RECONCILIATION + "?association=HACK", token).status_code == 200
    refused = gateway.get(RECONCILIATION + "?association=ISLI", token)
    assert refused.status_code == 403
    assert error_of(refused)["message"] == "An officer of HACK may not see association ISLI."
    assert [c[2] for c in standins.called("registration.reconcile")] == ["HACK", "HACK"]


def test_a_teller_may_not_reconcile(gateway):
    response = gateway.get(RECONCILIATION, role_token(gateway, "teller"))
    assert response.status_code == 403 and standins.CALLS == []


def test_an_officer_lists_only_their_own_associations_reviews(gateway):
    token = role_token(gateway, "officer")
    response = gateway.get(REVIEWS, token)
    assert response.status_code == 200
    assert [r["review_id"] for r in response.json()] == [1]
    refused = gateway.get(REVIEWS + "?association=ISLI", token)
    assert refused.status_code == 403 and "may not see association ISLI" in refused.text
    assert [c[2] for c in standins.called("matching.list_reviews")] == ["HACK"]


def test_an_operator_lists_every_review_or_one_associations(gateway):
    token = role_token(gateway, "operator")
    assert [r["review_id"] for r in gateway.get(REVIEWS, token).json()] == [1, 2]
    assert [r["review_id"] for r in gateway.get(REVIEWS + "?association=ISLI", token).json()] == [2]


@pytest.mark.parametrize("role", ["scrutineer", "teller"])
def test_scrutineers_and_tellers_do_not_see_reviews(gateway, role):
    assert gateway.get(REVIEWS, role_token(gateway, role)).status_code == 403
    assert standins.CALLS == []


def test_an_officer_decides_their_associations_review_but_not_anothers(gateway):
    token = role_token(gateway, "officer")
    decision = {"elector_id": "E42", "reason": "same person, moved flat"}
    done = gateway.post("/api/reviews/1/decision", token, json=decision)
    assert done.status_code == 200
    assert done.json()["elector_id"] == "E42"
    refused = gateway.post("/api/reviews/2/decision", token, json=decision)
    assert refused.status_code == 403
    assert "belongs to ISLI" in error_of(refused)["message"]
    decided = standins.called("matching.decide_review")
    assert [(c[1], c[2], c[4]) for c in decided] == [(1, "E42", "same person, moved flat")]
    assert "officer one" in decided[0][3]
    assert standins.STATE["decided"] == {1: "E42"}


def test_an_operator_may_reject_every_candidate_of_any_review(gateway):
    token = role_token(gateway, "operator")
    done = gateway.post(
        "/api/reviews/2/decision", token, json={"elector_id": None, "reason": "not on register"}
    )
    assert done.status_code == 200
    assert standins.STATE["decided"] == {2: None}


def test_a_decision_on_an_unknown_review_is_404(gateway):
    response = gateway.post(
        "/api/reviews/77/decision",
        role_token(gateway, "operator"),
        json={"elector_id": "E1", "reason": "x"},
    )
    assert response.status_code == 404 and error_of(response)["code"] == "review_not_found"
    assert standins.called("matching.decide_review") == []


def test_privileged_actions_and_refusals_are_audited_with_the_actor(gateway):
    before = gateway.audit_seq()
    made = gateway.rpc.gateway.add_user(
        "Tess Teller", "teller", None, actor="cli:olu", ballot_id=standins.OPEN
    )
    teller, actor = made["token"], f"Tess Teller (user {made['user_id']}, teller)"
    gateway.post(BATCHES, teller, json=BATCH)
    gateway.get(REGISTER, teller)
    assert audit.verify(gateway.rows("select * from audit_log order by seq")).ok
    rows = gateway.audit_since(before)
    assert [(r.actor, r.action, r.subject) for r in rows] == [
        ("cli:olu", "user.added", f"user:{made['user_id']}"),
        (actor, "postal_batch.entered", f"ballot:{standins.OPEN}"),
        (actor, "access.refused", f"ballot:{standins.CLOSED}"),
    ]
    entered = json.loads(rows[1].details)
    assert (entered["papers"], entered["entered"], entered["refused"]) == (2, 1, 1)
    # The secret ballot: the log holds counts, never a paper's voter or choices.
    assert "M7" not in rows[1].details and "Ada" not in rows[1].details
    assert "may not read the marked register" in rows[2].reason
    assert rows[2].source == "http:127.0.0.1"


def test_a_teller_enters_postal_ballots_only_for_the_ballot_their_token_names(gateway):
    before = gateway.audit_seq()
    teller = role_token(gateway, "teller")  # for standins.OPEN
    other = gateway.post(f"/api/ballots/{standins.NOT_OPEN}/postal-batches", teller, json=BATCH)
    assert other.status_code == 403
    assert error_of(other)["message"] == (
        f"A teller for ballot {standins.OPEN} may not enter postal ballots "
        f"for ballot {standins.NOT_OPEN}."
    )
    assert standins.CALLS == []
    (refused,) = [r for r in gateway.audit_since(before) if r.action == "access.refused"]
    assert refused.subject == f"ballot:{standins.NOT_OPEN}" and "teller one" in refused.actor
    assert gateway.post(BATCHES, teller, json=BATCH).status_code == 201


def test_an_operator_enters_postal_ballots_for_any_ballot(gateway):
    operator = role_token(gateway, "operator")
    batch = {**BATCH, "batch_id": "B-any"}
    response = gateway.post(
        f"/api/ballots/{standins.NOT_OPEN}/postal-batches", operator, json=batch
    )
    assert response.status_code == 201
    assert standins.called("tally.enter_postal_batch")[0][1] == standins.NOT_OPEN


def test_a_teller_without_a_ballot_cannot_be_made(gateway):
    with pytest.raises(RemoteError) as caught:
        gateway.rpc.gateway.add_user("Tom", "teller", None, actor="test")
    assert caught.value.exc_type == "InvalidUser" and "--ballot ID" in caught.value.value


WITHDRAWALS = f"/api/ballots/{standins.OPEN}/withdrawals"
WITHDRAWAL = {"candidate": "Ada Lovelace", "reason": "moved away"}


def test_only_an_operator_withdraws_a_candidate_and_a_repeat_is_answered_as_such(gateway):
    for role in ("scrutineer", "officer", "teller"):
        refused = gateway.post(WITHDRAWALS, role_token(gateway, role), json=WITHDRAWAL)
        assert refused.status_code == 403, role
    assert standins.CALLS == []
    operator = role_token(gateway, "operator")
    before = gateway.audit_seq()
    done = gateway.post(WITHDRAWALS, operator, json=WITHDRAWAL)
    assert done.status_code == 201
    assert done.json()["already_withdrawn"] is False
    again = gateway.post(WITHDRAWALS, operator, json=WITHDRAWAL)
    assert again.status_code == 200 and again.json()["already_withdrawn"] is True
    (entry, _) = [r for r in gateway.audit_since(before) if r.action == "candidate.withdrawn"]
    assert entry.reason == "moved away"
    nobody = gateway.post(WITHDRAWALS, operator, json={**WITHDRAWAL, "candidate": "Nobody"})
    assert nobody.status_code == 409
    assert error_of(nobody)["code"] == "withdrawal_refused"
    assert "'Nobody' is not a candidate" in error_of(nobody)["message"]
    no_reason = gateway.post(WITHDRAWALS, operator, json={"candidate": "Ada Lovelace"})
    assert no_reason.status_code == 400
    page = gateway.get(f"/vote?ballot={standins.OPEN}")
    assert "Ada Lovelace (withdrawn)" in page.text
