"""``rollcall ballot open/close`` against the real registration service: refused with the
reasons, or forced with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml
from click.testing import CliRunner

from rollcall_cli.ballots import ballot
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def test_ballot_open_is_refused_early_then_forced_with_a_reason(make_settings, tmp_path):
    settings = make_settings("registration")
    env = {"ROLLCALL_AMQP_URI": settings.amqp_uri, "ROLLCALL_NAMESPACE": settings.namespace}
    opens = datetime.now(UTC) + timedelta(days=2)
    definition = builders.ballot_definition()
    definition["timetable"] = {"opens_at": opens}  # as YAML reads an unquoted timestamp
    path = tmp_path / "ballot.yaml"
    path.write_text(yaml.safe_dump(definition))
    runner = CliRunner()
    with support.running(settings, RegistrationService):
        created = runner.invoke(ballot, ["create", str(path)], env=env)
        assert created.exit_code == 0, created.output
        refused = runner.invoke(ballot, ["open", "1"], env=env)
        assert refused.exit_code == 1
        assert f"cannot open ballot 1: the timetable opens voting at {opens.isoformat()}" in (
            refused.output
        )
        assert "Traceback" not in refused.output
        no_reason = runner.invoke(ballot, ["open", "1", "--force"], env=env)
        assert no_reason.exit_code == 2 and "--force needs --reason" in no_reason.output
        forced = runner.invoke(
            ballot, ["open", "1", "--force", "--reason", "officers agreed"], env=env
        )
        assert forced.exit_code == 0, forced.output
        assert '"phase": "open"' in forced.output
