"""The demo's reach steps: officers fix their dropped rows, excluded members are told.

``correct_rows`` has each association's officer list the extract rows their
association had rejected (``GET /api/ballots/ID/dropped-rows``) and correct
the ones the demo damaged (``POST .../correction``), as an officer would with
the member's right details. ``fixable_exclusions`` names the members excluded
for a reason they can fix, each of whom must be told exactly once
(``mailbox.notices_sent`` finds what the mailer sent).
"""

from __future__ import annotations

from typing import Any

from rollcall_cli.demo import http
from rollcall_cli.demo.output import say
from services.registration.notices import FIXABLE

#: The end of matching's words for a member registered outside the ballot's area.
OUTSIDE_AREA = "outside this ballot's area"


class Officers:
    """One officer (a gateway user with a token) per association, made on first use."""

    def __init__(self, rpc: Any) -> None:
        self.rpc = rpc
        self.tokens: dict[str, str] = {}

    def token(self, association: str) -> str:
        if association not in self.tokens:
            self.tokens[association] = self.rpc.gateway.add_user(
                f"officer {association}", "officer", association, actor="demo"
            )["token"]
        return self.tokens[association]


def correct_rows(
    rpc: Any,
    officers: Officers,
    base: str,
    ballot_id: int,
    corrections: dict[str, dict[str, str]],
    associations: set[str],
) -> dict[str, Any]:
    """Each officer corrects their association's rows the demo damaged; what happened."""
    corrected: list[str] = []
    refused: list[str] = []
    client = http.session()
    for association in sorted(associations):
        headers = {"Authorization": f"Bearer {officers.token(association)}"}
        rows = client.get(
            f"{base}/api/ballots/{ballot_id}/dropped-rows",
            params={"kind": "rejected", "status": "open"},
            headers=headers,
            timeout=30,
        ).json()
        url = f"{base}/api/ballots/{ballot_id}/dropped-rows"
        for row in rows:
            number = row["membership_number"]
            if number not in corrections:
                continue
            response = client.post(
                f"{base}/api/ballots/{ballot_id}/dropped-rows/{row['id']}/correction",
                json={
                    "values": corrections[number],
                    "reason": "corrected from the member's record by the demo officer",
                },
                headers=headers,
                timeout=30,
            )
            if response.status_code < 300 or _corrected_before(client, url, headers, row, response):
                corrected.append(number)
            else:
                refused.append(number)
                say(f"correction of {number} refused: {response.status_code} {response.text[:200]}")
    say(f"officers corrected {len(corrected)} of {len(corrections)} rejected rows")
    return {"corrected": sorted(corrected), "refused": sorted(refused)}


def _corrected_before(
    client: Any, url: str, headers: dict[str, str], row: dict[str, Any], response: Any
) -> bool:
    """Whether a correction refused as "already settled" is the officer's own, sent once
    before (registration died after correcting and before answering, and the call came
    again): the row now shows as corrected, which only this officer does."""
    if response.status_code != 409 or "row_not_correctable" not in response.text:
        return False
    settled = client.get(
        url, params={"kind": "rejected", "status": "corrected"}, headers=headers, timeout=30
    )
    return settled.ok and row["id"] in {r["id"] for r in settled.json()}


def fixable_exclusions(members: list[dict[str, Any]]) -> set[str]:
    """Membership numbers of excluded members whose reason is one they can fix."""
    whys = [fixable.why for fixable in FIXABLE.values()]
    return {
        m["membership_number"]
        for m in members
        if m["state"] == "excluded"
        and (any(why in (m.get("reason") or "") for why in whys)
             or (m.get("reason") or "").endswith(OUTSIDE_AREA))
    }  # fmt: skip
