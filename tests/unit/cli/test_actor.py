"""The CLI audits who acted: the OS login on the host, and a named operator where one is set."""

from __future__ import annotations

import getpass
import socket

from rollcall_cli import common


def test_the_actor_is_the_login_on_this_host_never_the_word_cli(monkeypatch):
    monkeypatch.delenv(common.OPERATOR_VARIABLE, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "ada")
    monkeypatch.setattr(socket, "gethostname", lambda: "ops-1")
    assert common.cli_actor() == "os:ada@ops-1"


def test_a_named_operator_is_recorded_beside_the_login(monkeypatch):
    monkeypatch.setenv(common.OPERATOR_VARIABLE, "  Olu Okafor ")
    monkeypatch.setattr(getpass, "getuser", lambda: "ops")
    monkeypatch.setattr(socket, "gethostname", lambda: "ops-1")
    assert common.cli_actor() == "Olu Okafor (os:ops@ops-1)"


def test_a_login_without_a_passwd_entry_is_its_numeric_id(monkeypatch):
    monkeypatch.delenv(common.OPERATOR_VARIABLE, raising=False)

    def no_entry() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(getpass, "getuser", no_entry)
    monkeypatch.setattr(socket, "gethostname", lambda: "pod")
    assert common.cli_actor().startswith("os:uid") and common.cli_actor().endswith("@pod")
