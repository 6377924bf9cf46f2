"""``rollcall retention run`` refuses a ballot that is not due, saying why: no result yet,
its retention date still ahead (unless forced with a reason), or a complaint still open
(never forced). Each refusal is audited."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from rollcall_cli.retention import retention
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def _refusals(settings) -> int:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("registration"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return int(
                c.execute(
                    sa.text(
                        "select count(*) from audit_log where action = 'retention.erase_refused'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_erasure_is_refused_until_due_forced_only_over_the_date_never_over_a_complaint(
    make_settings,
):
    settings = make_settings("registration")
    env = {"ROLLCALL_AMQP_URI": settings.amqp_uri, "ROLLCALL_NAMESPACE": settings.namespace}
    runner = CliRunner()
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        ballot_id = rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
        early = runner.invoke(retention, ["run", "--ballot", str(ballot_id)], env=env)
        assert early.exit_code == 1 and "Traceback" not in early.output
        assert f"cannot erase ballot {ballot_id} yet: the ballot has no result yet" in early.output

        for phase in ("open", "closed"):
            rpc.registration.change_phase(ballot_id, phase, "test", "test", force=True)
        support.publish_event(
            settings,
            "result.published",
            {"ballot_id": ballot_id, "method": "fptp", "winners": [], "bulletin_sha256": "0" * 64},
        )
        support.wait_for(
            lambda: rpc.registration.list_retention()[0]["counted_at"], what="the result"
        )
        shown = runner.invoke(retention, ["show"], env=env)
        assert shown.exit_code == 0, shown.output
        assert "(183 days after the result)" in shown.output

        not_yet = runner.invoke(retention, ["run", "--ballot", str(ballot_id)], env=env)
        assert not_yet.exit_code == 1
        assert "(183 days after the result) (or force it with --force --reason)" in not_yet.output
        no_reason = runner.invoke(
            retention, ["run", "--ballot", str(ballot_id), "--force"], env=env
        )
        assert no_reason.exit_code == 2 and "--force needs --reason" in no_reason.output

        rpc.registration.open_complaint(ballot_id, "count disputed", "scrutineer-1", 14)
        held = runner.invoke(
            retention,
            ["run", "--ballot", str(ballot_id), "--force", "--reason", "board decision"],
            env=env,
        )
        assert held.exit_code == 1
        assert "1 complaint still open (never forced)" in held.output
        assert _refusals(settings) == 3

        complaint_id = rpc.registration.list_complaints(ballot_id)[0]["complaint_id"]
        rpc.registration.move_complaint(complaint_id, "dismissed", "scrutineer-1", "no case")
        dry = rpc.registration.erase_ballot(ballot_id, "ops", "board", force=True, dry_run=True)
        assert dry == {"ballot_id": ballot_id, "dry_run": True, "would_erase": dry["would_erase"]}
        done = rpc.registration.erase_ballot(ballot_id, "ops", "board decision", force=True)
        assert done["service"] == "registration" and done["erased"]["complaints"] == 1
        complaint = rpc.registration.get_complaint(complaint_id)
        assert complaint["subject"] == "(erased)" and complaint["status"] == "dismissed"
        again = rpc.registration.erase_ballot(ballot_id, "ops", "board decision")
        assert "already_erased_at" in again
