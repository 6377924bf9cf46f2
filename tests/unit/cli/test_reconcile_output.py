"""``rollcall reconcile`` prints the replacement codes beside the not-reached list."""

from __future__ import annotations

from rollcall_cli.ballots import print_reconciliation


def test_the_report_says_how_many_replacement_codes_went_and_who_asked(capsys):
    report = {
        "ballot_id": 3,
        "phase": "open",
        "extracts": [],
        "accepted": 2,
        "in_ledger": 2,
        "ledger": {"code_emailed": 2},
        "state_meanings": {"code_emailed": "access code sent by email"},
        "in_flight": 0,
        "unaccounted": 0,
        "unaccounted_members": [],
        "unaccounted_list_truncated": False,
        "not_reached": 0,
        "not_reached_members": [],
        "not_reached_list_truncated": False,
        "replacements": {
            "reissued": 2,
            "by_source": {"member": {"reissued": 1, "not_matched": 4}, "officer": {"reissued": 1}},
        },
    }
    print_reconciliation(report)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == [
        "  replacement codes sent: 2",
        "    asked by member: not_matched 4, reissued 1",
        "    asked by officer: reissued 1",
    ]
