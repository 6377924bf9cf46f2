"""``rollcall ballot withdraw`` against the real tally: done, a repeat answered as such, and a
refusal in one line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rollcall_cli.ballots import ballot
from services.tally.service import TallyService
from tests import support
from tests.integration.tally.test_casting import _open_ballot


def test_ballot_withdraw_records_answers_a_repeat_and_refuses_in_one_line(make_settings):
    settings = make_settings("tally")
    env = {"ROLLCALL_AMQP_URI": settings.amqp_uri, "ROLLCALL_NAMESPACE": settings.namespace}
    runner = CliRunner()
    args = ["withdraw", "1", "--candidate", "Ada Lovelace", "--reason", "stood down"]
    with support.running(settings, TallyService):
        _open_ballot(settings, method="irv")
        support.wait_for(
            lambda: runner.invoke(ballot, args, env=env).exit_code == 0 or None,
            what="the tally to hold the ballot",
        )
        again = runner.invoke(ballot, args, env=env)
        assert again.exit_code == 0, again.output
        assert json.loads(again.output)["already_withdrawn"] is True
        refused = runner.invoke(
            ballot, ["withdraw", "1", "--candidate", "Nobody", "--reason", "x"], env=env
        )
        assert refused.exit_code == 1
        assert refused.output.strip() == ("Error: WithdrawalRefused: 'Nobody' is not a candidate")
        blank = runner.invoke(
            ballot, ["withdraw", "1", "--candidate", "Mary Seacole", "--reason", " "], env=env
        )
        assert blank.exit_code == 2 and "--reason must say why" in blank.output
