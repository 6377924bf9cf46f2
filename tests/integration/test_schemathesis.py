"""The gateway answers as gateway/openapi.yaml says, checked by Schemathesis against the real stack.

The gateway and every service it calls (registration, matching, codes,
tally) run on the real broker and PostgreSQL, with a ballot of a few members
loaded, so that requests reach real answers and not only 404s. Schemathesis
(``st run``, every check, every phase) then sends what the spec allows and
what it does not, once with an operator's token and once with none, and
must report no failure.

Bounded: ``MAX_EXAMPLES`` cases an operation and a ``MAX_SECONDS`` budget a
run. In CI (``CI`` set) the seed is fixed so a run can be repeated; locally it
is random and printed, so a failure can be replayed with ``--seed``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.service import OPENAPI, GatewayService
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import Gateway, running

MAX_EXAMPLES = 8
MAX_SECONDS = 60
CI_SEED = 20261207
#: Half the ids asked for are the loaded ballot's and members', so requests reach past the 404.
CONFIG = """
[dictionaries.ballots]
values = [1]

[dictionaries.members]
values = ["M0", "M1"]

[parameters]
"path.ballot_id" = { dictionary = "ballots", probability = 0.5 }
"path.membership_number" = { dictionary = "members", probability = 0.5 }
"""
SERVICES = (
    GatewayService,
    RegistrationService,
    MatchingService,
    CodesService,
    TallyService,
    # The preview's sample letter is the mailer's.
    MailerService,
)


@pytest.fixture(scope="module")
def stack(broker, databases, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The gateway in front of the real services, with one ballot of three members."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    with broker.vhost() as vhost:
        secrets_dir = support.write_secrets(tmp / "secrets")
        # The bounce webhook is configured, as in production: unsigned calls are refused.
        (secrets_dir / "bounce_webhook_secret").write_text("schemathesis-cannot-sign")
        urls = {
            s: databases.fresh(s)
            for s in ("gateway", "registration", "matching", "codes", "tally", "mailer")
        }
        settings = support.settings_for_test(
            vhost,
            urls,
            secrets_dir=str(secrets_dir),
            var_dir=str(tmp / "var"),
        )
        settings = replace(settings, gateway_port=support.free_port())
        with running(settings, *SERVICES), support.rpc_proxy(settings) as rpc:
            records = [builders.member_record(f"M{i}", association="HACK") for i in range(3)]
            assert support.ballot_with_members(rpc, records) == 1
            yield Gateway(settings, rpc)


def schemathesis(stack: Gateway, token: str | None, tmp: Path) -> subprocess.CompletedProcess[str]:
    seed = CI_SEED if os.environ.get("CI") else random.randrange(2**31)
    config = tmp / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        str(OPENAPI),
        "--url",
        stack.base,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(tmp),
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    # eventlet's green subprocess: the gateway serves from this process while st runs.
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    print(f"schemathesis seed {seed} ({'operator' if token else 'no'} token)")
    return done


@pytest.mark.parametrize("role", ["operator", None])
def test_schemathesis_finds_no_failure(stack, role, tmp_path):
    token = stack.user(role) if role else None
    done = schemathesis(stack, token, tmp_path)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-3000:]
    assert " passed" in done.stdout, done.stdout[-3000:]
