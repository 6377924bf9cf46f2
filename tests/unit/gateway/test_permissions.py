"""The one table of actions: who may take each, over what, and every route's declaration."""

from __future__ import annotations

import inspect
import re

import pytest
from nameko.web.handlers import HttpRequestHandler

from gateway import access, permissions
from gateway.auth import ROLES, Principal
from gateway.permissions import Scope
from gateway.service import GatewayService

OPERATOR = Principal(1, "Olu", "operator")
SCRUTINEER = Principal(2, "Sam", "scrutineer")
TELLER = Principal(3, "Tess", "teller", ballot_id=7)
OFFICER = Principal(4, "Orla", "officer", "HACK")

#: Who may do what, written out by hand from ARCHITECTURE.md "Who may do what".
EXPECTED = {
    ("read_marked_register", "operator"): True,
    ("read_marked_register", "scrutineer"): True,
    ("read_marked_register", "teller"): False,
    ("read_marked_register", "officer"): False,
    ("enter_postal_batch", "operator"): True,
    ("enter_postal_batch", "teller"): True,
    ("enter_postal_batch", "scrutineer"): False,
    ("enter_postal_batch", "officer"): False,
    ("withdraw_candidate", "operator"): True,
    ("withdraw_candidate", "scrutineer"): False,
    ("withdraw_candidate", "officer"): False,
    ("withdraw_candidate", "teller"): False,
    ("read_reconciliation", "operator"): True,
    ("read_reconciliation", "scrutineer"): True,
    ("read_reconciliation", "officer"): True,
    ("read_reconciliation", "teller"): False,
    ("list_reviews", "operator"): True,
    ("list_reviews", "officer"): True,
    ("list_reviews", "scrutineer"): False,
    ("list_reviews", "teller"): False,
    ("decide_review", "operator"): True,
    ("decide_review", "officer"): True,
    ("decide_review", "scrutineer"): False,
    ("decide_review", "teller"): False,
    ("list_members", "operator"): True,
    ("list_members", "scrutineer"): True,
    ("list_members", "officer"): True,
    ("list_members", "teller"): False,
    ("correct_member", "operator"): True,
    ("correct_member", "officer"): True,
    ("correct_member", "scrutineer"): False,
    ("correct_member", "teller"): False,
    ("reissue_code", "operator"): True,
    ("reissue_code", "officer"): True,
    ("reissue_code", "scrutineer"): False,
    ("reissue_code", "teller"): False,
    ("list_changes", "operator"): True,
    ("list_changes", "scrutineer"): True,
    ("list_changes", "officer"): False,
    ("list_changes", "teller"): False,
    ("decide_change", "operator"): True,
    ("decide_change", "scrutineer"): False,
    ("decide_change", "officer"): False,
    ("decide_change", "teller"): False,
    ("read_audit_heads", "operator"): True,
    ("read_audit_heads", "scrutineer"): True,
    ("read_audit_heads", "officer"): False,
    ("read_audit_heads", "teller"): False,
    ("read_complaints", "operator"): True,
    ("read_complaints", "scrutineer"): True,
    ("read_complaints", "officer"): False,
    ("read_complaints", "teller"): False,
    ("read_report", "operator"): True,
    ("read_report", "scrutineer"): True,
    ("read_report", "officer"): False,
    ("read_report", "teller"): False,
    ("manage_complaints", "operator"): True,
    ("manage_complaints", "scrutineer"): False,
    ("manage_complaints", "officer"): False,
    ("manage_complaints", "teller"): False,
    ("preview_ballot", "operator"): True,
    ("preview_ballot", "scrutineer"): False,
    ("preview_ballot", "officer"): False,
    ("preview_ballot", "teller"): False,
    ("pause_ballot", "operator"): True,
    ("pause_ballot", "scrutineer"): False,
    ("pause_ballot", "officer"): False,
    ("pause_ballot", "teller"): False,
    ("list_dropped_rows", "operator"): True,
    ("list_dropped_rows", "officer"): True,
    ("list_dropped_rows", "scrutineer"): False,
    ("list_dropped_rows", "teller"): False,
    ("read_dropped_row", "operator"): True,
    ("read_dropped_row", "officer"): True,
    ("read_dropped_row", "scrutineer"): False,
    ("read_dropped_row", "teller"): False,
    ("correct_dropped_row", "operator"): True,
    ("correct_dropped_row", "officer"): True,
    ("correct_dropped_row", "scrutineer"): False,
    ("correct_dropped_row", "teller"): False,
    ("resolve_conflict", "operator"): True,
    ("resolve_conflict", "officer"): True,
    ("resolve_conflict", "scrutineer"): False,
    ("resolve_conflict", "teller"): False,
    ("count_dropped_rows", "operator"): True,
    ("count_dropped_rows", "scrutineer"): True,
    ("count_dropped_rows", "officer"): True,
    ("count_dropped_rows", "teller"): False,
}


#: Routes anyone may use: a voter's (the access code is the credential), the
#: published results, a member's own roll check, and the service's own.
PUBLIC = {
    ("POST", "/api/ballots/<int:ballot_id>/votes"),
    ("GET", "/api/ballots/<int:ballot_id>/receipts/<receipt>"),
    ("GET", "/api/ballots/<int:ballot_id>/result"),
    ("GET", "/api/ballots/<int:ballot_id>/result.txt"),
    ("GET", "/api/ballots/<int:ballot_id>/result.png"),
    ("GET", "/api/ballots/<int:ballot_id>/key"),
    ("GET", "/api/ballots/<int:ballot_id>/bulletin"),
    ("POST", "/api/ballots/<int:ballot_id>/roll-check"),
    ("POST", "/api/ballots/<int:ballot_id>/replacement"),
    ("GET", "/replacement"),
    ("POST", "/replacement"),
    ("GET", "/roll-check"),
    ("POST", "/roll-check"),
    ("GET", "/"),
    ("GET", "/vote"),
    ("POST", "/vote"),
    ("GET", "/healthz"),
    # Signed by the mail provider (HMAC over the body), not a user's token: gateway/bounces.py.
    ("POST", "/api/mail/bounces"),
    ("GET", "/openapi.yaml"),
}


def routes() -> dict[tuple[str, str], access.Guard | None]:
    """Every HTTP route of the gateway, and the guard it declares."""
    found = {}
    for _, attribute in inspect.getmembers(GatewayService):
        for entrypoint in getattr(attribute, "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler):
                found[(entrypoint.method, entrypoint.url)] = access.guard_of(attribute)
    return found


def test_every_route_is_public_or_declares_an_action_that_exists():
    guarded = {route: guard for route, guard in routes().items() if guard is not None}
    assert set(routes()) - set(guarded) == PUBLIC
    for route, guard in guarded.items():
        assert guard.action in permissions.ACTIONS, route
        assert guard.audit and guard.audit != "access.refused", route


def test_every_action_is_taken_by_some_route():
    taken = {guard.action for guard in routes().values() if guard is not None}
    assert taken == set(permissions.ACTIONS)


def test_every_guarded_route_names_its_subject():
    for (_, url), guard in routes().items():
        if guard is None or guard.subject:
            continue
        values = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", url)
        assert values and set(values) <= set(access.SUBJECTS), url


def test_a_route_may_not_declare_an_action_missing_from_the_table():
    with pytest.raises(ValueError, match="drop_tables"):
        access.guarded("drop_tables", "tables.dropped")


def test_every_action_names_known_roles_and_reads_in_words():
    for name, action in permissions.ACTIONS.items():
        assert action.roles and set(action.roles) <= set(ROLES), name
        assert action.words and not action.words.endswith("."), name
        assert (action.scope is Scope.OWNER) == (action.record is not None), name
        if action.scope is Scope.BALLOT:
            assert "teller" in action.roles, name


def test_the_table_is_the_one_written_out_above():
    assert {action for action, _ in EXPECTED} == set(permissions.ACTIONS)


@pytest.mark.parametrize(("action", "role"), sorted(EXPECTED))
def test_each_role_may_do_exactly_what_its_role_allows(action, role):
    principal = Principal(9, "Pat", role, "HACK" if role == "officer" else None)
    reasons = permissions.refusals(principal, action)
    assert (reasons == []) is EXPECTED[(action, role)]


def test_a_refusal_says_who_may_not_and_who_may():
    (reason,) = permissions.refusals(TELLER, "read_marked_register")
    assert reason == (
        "a teller may not read the marked register: that needs the operator or scrutineer role"
    )


def test_an_unknown_action_is_refused_to_everyone():
    assert permissions.refusals(OPERATOR, "drop_tables")


def test_an_officer_is_scoped_to_their_own_association():
    assert permissions.association_scope(OFFICER, None) == ("HACK", [])
    assert permissions.association_scope(OFFICER, "HACK") == ("HACK", [])
    association, reasons = permissions.association_scope(OFFICER, "ISLI")
    assert reasons == ["an officer of HACK may not see association ISLI"]


def test_an_officer_without_association_is_refused_rather_than_shown_everything():
    unbound = Principal(5, "Nia", "officer", None)
    association, reasons = permissions.association_scope(unbound, None)
    assert association is None and reasons


@pytest.mark.parametrize("principal", [OPERATOR, SCRUTINEER])
def test_other_roles_get_the_association_they_ask_for_or_all(principal):
    assert permissions.association_scope(principal, None) == (None, [])
    assert permissions.association_scope(principal, "ISLI") == ("ISLI", [])


def test_an_officer_may_correct_only_members_of_their_association():
    assert permissions.owner_refusals(OFFICER, "correct_member", "HACK") == []
    (reason,) = permissions.owner_refusals(OFFICER, "correct_member", "ISLI")
    assert reason == (
        "this member belongs to ISLI; an officer of HACK "
        "may only correct members of their own association"
    )
    assert permissions.owner_refusals(OFFICER, "correct_member", None)
    assert permissions.owner_refusals(OPERATOR, "correct_member", "ISLI") == []


def test_an_officer_may_decide_only_reviews_of_their_association():
    assert permissions.owner_refusals(OFFICER, "decide_review", "HACK") == []
    (reason,) = permissions.owner_refusals(OFFICER, "decide_review", None)
    assert reason == (
        "this review belongs to no association; an officer of HACK "
        "may only decide reviews of their own association"
    )
    assert permissions.owner_refusals(OPERATOR, "decide_review", "ISLI") == []


def test_an_officer_may_settle_only_dropped_rows_of_their_association():
    assert permissions.owner_refusals(OFFICER, "correct_dropped_row", "HACK") == []
    (reason,) = permissions.owner_refusals(OFFICER, "correct_dropped_row", "ISLI")
    assert reason == (
        "this row belongs to ISLI; an officer of HACK may only correct rows of their own association"
    )
    (unknown,) = permissions.owner_refusals(OFFICER, "resolve_conflict", None)
    assert unknown.startswith("this conflict belongs to no association")
    assert permissions.owner_refusals(OFFICER, "read_dropped_row", "ISLI")
    assert permissions.owner_refusals(OPERATOR, "correct_dropped_row", None) == []


def test_a_teller_enters_postal_ballots_for_their_ballot_only():
    assert permissions.ballot_refusals(TELLER, "enter_postal_batch", 7) == []
    (reason,) = permissions.ballot_refusals(TELLER, "enter_postal_batch", 8)
    assert reason == "a teller for ballot 7 may not enter postal ballots for ballot 8"
    unbound = Principal(6, "Tom", "teller")
    assert "names no ballot" in permissions.ballot_refusals(unbound, "enter_postal_batch", 7)[0]


def test_operators_enter_postal_ballots_for_any_ballot():
    assert permissions.ballot_refusals(OPERATOR, "enter_postal_batch", 8) == []


def test_an_officer_reissues_codes_only_for_members_of_their_own_association():
    assert permissions.owner_refusals(OFFICER, "reissue_code", "HACK") == []
    (reason,) = permissions.owner_refusals(OFFICER, "reissue_code", "ISLI")
    assert reason == (
        "this member belongs to ISLI; an officer of HACK may only reissue the code of "
        "members of their own association"
    )
    assert permissions.owner_refusals(OPERATOR, "reissue_code", "ISLI") == []
