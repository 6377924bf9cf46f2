"""Users over RPC and the ``rollcall user`` CLI: tokens shown once, stored as hashes.

The gateway (beside a stand-in tally) lasts the module: each test reads only
the users and audit entries it made.
"""

from __future__ import annotations

import hashlib
import socket

import pytest
from click.testing import CliRunner
from nameko.exceptions import RemoteError

from rollcall import audit
from rollcall_cli.main import main
from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, error_of

REGISTER = f"/api/ballots/{standins.CLOSED}/marked-register"


@pytest.fixture(scope="module")
def gateway(module_launch) -> Gateway:  # type: ignore[no-untyped-def]
    return module_launch(standins.TallyStandIn)


def test_a_token_is_stored_only_as_its_sha256(gateway):
    made = gateway.rpc.gateway.add_user("Olu Operator", "operator", None, actor="test")
    token = made["token"]
    assert len(token) >= 43 and set(made) == {"user_id", "token"}
    (row,) = gateway.rows("select * from tokens where user_id = :id", id=made["user_id"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for value in [*row, *gateway.rows("select * from users where id = :id", id=made["user_id"])[0]]:
        assert token not in str(value)
    for entry in gateway.rows("select * from audit_log"):
        assert token not in " ".join(str(v) for v in entry)
    listed = gateway.rpc.gateway.list_users()
    assert token not in str(listed) and row.token_hash not in str(listed)
    (mine,) = [u for u in listed if u["user_id"] == made["user_id"]]
    assert mine["name"] == "Olu Operator" and mine["is_revoked"] is False


BAD_USERS = [
    ("Orla", "officer", None, "needs an association"),
    ("Vic", "voter", None, "access code"),
    ("Tess", "teller", "HACK", "only officers"),
    ("  ", "operator", None, "needs a name"),
]


def test_bad_users_are_refused_with_the_reason(gateway):
    before = gateway.rows("select count(*) as n from users")[0].n
    for name, role, association, words in BAD_USERS:
        with pytest.raises(RemoteError) as caught:
            gateway.rpc.gateway.add_user(name, role, association, actor="test")
        assert caught.value.exc_type == "InvalidUser" and words in caught.value.value
    assert gateway.rows("select count(*) as n from users")[0].n == before


def test_revoking_is_audited_once_and_an_unknown_user_is_refused(gateway):
    before = gateway.audit_seq()
    made = gateway.rpc.gateway.add_user("Sam", "scrutineer", None, actor="cli:olu")
    first = gateway.rpc.gateway.revoke_user(made["user_id"], actor="cli:olu")
    second = gateway.rpc.gateway.revoke_user(made["user_id"], actor="cli:olu")
    assert (first["already_revoked"], second["already_revoked"]) == (False, True)
    with pytest.raises(RemoteError) as caught:
        gateway.rpc.gateway.revoke_user(99999, actor="cli:olu")
    assert caught.value.exc_type == "UserNotFound"
    assert [(r.actor, r.action) for r in gateway.audit_since(before)] == [
        ("cli:olu", "user.added"),
        ("cli:olu", "user.revoked"),
    ]
    assert audit.verify(gateway.rows("select * from audit_log order by seq")).ok


def test_the_cli_adds_lists_and_revokes_users(gateway, monkeypatch):
    monkeypatch.setenv("ROLLCALL_AMQP_URI", gateway.settings.amqp_uri)
    monkeypatch.setenv("USER", "olu")
    monkeypatch.setenv("LOGNAME", "olu")
    monkeypatch.delenv("ROLLCALL_OPERATOR", raising=False)
    runner = CliRunner()

    added = runner.invoke(main, ["user", "add", "Sam Scrutineer", "--role", "scrutineer"])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    user_id = int(added.output.split()[1])
    assert "shown once" in added.output
    assert gateway.get(REGISTER, token).status_code == 200

    second = runner.invoke(main, ["user", "token", str(user_id)])
    assert second.exit_code == 0, second.output
    other_token = second.output.strip().splitlines()[-1]
    assert other_token != token and gateway.get(REGISTER, other_token).status_code == 200

    officer = runner.invoke(main, ["user", "add", "Orla", "--role", "officer"])
    assert officer.exit_code == 1 and "needs an association" in officer.output

    teller = runner.invoke(main, ["user", "add", "Tess", "--role", "teller", "--ballot", "7"])
    assert teller.exit_code == 0, teller.output
    assert "(teller, ballot 7)" in teller.output
    unbound = runner.invoke(main, ["user", "add", "Tom", "--role", "teller"])
    assert unbound.exit_code == 1 and "--ballot ID" in unbound.output

    listed = runner.invoke(main, ["user", "list"])
    assert listed.exit_code == 0 and "Sam Scrutineer" in listed.output
    assert "ballot 7" in listed.output
    assert token not in listed.output and "active" in listed.output

    revoked = runner.invoke(main, ["user", "revoke", str(user_id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    for held in (token, other_token):
        refused = gateway.get(REGISTER, held)
        assert refused.status_code == 401 and error_of(refused)["code"] == "token_revoked"
    entries = gateway.rows(
        "select actor, action from audit_log where subject = :s order by seq", s=f"user:{user_id}"
    )
    me = f"os:olu@{socket.gethostname()}"
    assert [(e.actor, e.action) for e in entries] == [
        (me, "user.added"),
        (me, "user.token_added"),
        (me, "user.revoked"),
    ]


def test_the_cli_says_so_when_the_gateway_is_not_running(broker, monkeypatch):
    with broker.vhost() as empty:  # a vhost where no gateway has ever run
        monkeypatch.setenv("ROLLCALL_AMQP_URI", empty)
        result = CliRunner().invoke(main, ["user", "list"])
    assert result.exit_code == 1
    assert "the gateway service is not answering" in result.output
