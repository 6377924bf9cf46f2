"""Routes about the rows an extract dropped: rejected rows, duplicates and conflicts.

Entry points only; the rules live in ``gateway.permissions`` (who may, applied
by ``gateway.access``), ``gateway.schemas`` (what is accepted) and
``gateway.exports`` (the CSV). Registration owns the rows, their reasons and
what a correction or a resolution does to the ballot.

Guarantees:

- An officer sees, corrects and resolves the rows of their own association
  only: the list is asked for theirs and filtered to it again here, and a
  row's association is looked up before it is shown or changed (a row
  whose association is unknown belongs to none: operators settle it).
  Operators see every association's; scrutineers only the counts.
- Every listing, export, reading, correction and resolution, and every
  refusal, is appended to the gateway's audit log with the actor; a
  correction is logged by field name, never by value. A correction that
  leaves the row invalid answers 422 with every reason and is logged as
  ``dropped_row.still_rejected``: the attempt happened, nothing changed.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import errors, exports
from gateway.access import Access, guarded
from gateway.base import BALLOT, GatewayBase
from gateway.schemas import (
    ConflictResolutionSchema,
    DroppedRowsQuery,
    RowCorrectionSchema,
    load,
)
from gateway.web import file_response, json_error, json_response, read_json, route

ROWS = f"{BALLOT}/dropped-rows"
ROW = f"{ROWS}/<int:row_id>"
#: What ``count_dropped_rows`` counts for each association.
COUNTED = ("rejected", "duplicate", "conflict", "corrected", "resolved")


def still_rejected(reasons: list[str]) -> errors.Answer:
    """The answer to a correction that leaves the row invalid: every reason, in one line."""
    said = "; ".join(str(r) for r in reasons) or "no reason was given"
    return errors.answer(errors.RowStillRejected(f"The corrected row is still rejected: {said}"))


def counts_for(counts: dict[str, Any], association: str | None) -> dict[str, Any]:
    """``count_dropped_rows``'s answer, narrowed to ``association`` (``None``: every one)."""
    if association is None:
        return counts
    own = (counts.get("by_association") or {}).get(association) or dict.fromkeys(COUNTED, 0)
    return {"by_association": {association: own}, "totals": own}


class DroppedRowRoutes(GatewayBase):
    # -- the list ----------------------------------------------------------------------
    @route("GET", ROWS)
    @guarded("list_dropped_rows", "dropped_rows.listed", query=DroppedRowsQuery)
    def list_dropped_rows(self, request: Request, access: Access, ballot_id: int) -> Response:
        if access.query["format"] == "csv":
            return self._export_dropped(access, ballot_id)
        return json_response(200, self._dropped_rows(access, ballot_id))

    @route("GET", f"{ROWS}.csv")
    @guarded("list_dropped_rows", "dropped_rows.exported", query=DroppedRowsQuery)
    def export_dropped_rows(self, request: Request, access: Access, ballot_id: int) -> Response:
        return self._export_dropped(access, ballot_id)

    def _export_dropped(self, access: Access, ballot_id: int) -> Response:
        access.audit = "dropped_rows.exported"
        rows = self._dropped_rows(access, ballot_id)
        filename = exports.dropped_rows_filename(ballot_id, access.association)
        return file_response(exports.dropped_rows_csv(rows), "text/csv", filename, "attachment")

    def _dropped_rows(self, access: Access, ballot_id: int) -> list[dict[str, Any]]:
        """The ballot's dropped rows the caller may see: an officer's are filtered here again."""
        ballot = self.remote.registration.get_ballot(ballot_id)  # unknown: a 404, not []
        self.hide_test_ballot(access.principal.role, ballot_id, ballot)
        association = access.association
        kind, status = access.query["kind"], access.query["status"]
        rows = [
            row
            for row in self.remote.registration.list_dropped_rows(
                ballot_id, association, kind, status
            )
            if association is None or row.get("association") == association
        ]
        access.details.update(kind=kind, status=status, rows=len(rows))
        return rows

    @route("GET", f"{ROWS}/counts")
    @guarded("count_dropped_rows", "dropped_rows.counted")
    def count_dropped_rows(self, request: Request, access: Access, ballot_id: int) -> Response:
        ballot = self.remote.registration.get_ballot(ballot_id)  # unknown: a 404, not zeros
        self.hide_test_ballot(access.principal.role, ballot_id, ballot)
        counts = self.remote.registration.count_dropped_rows(ballot_id)
        return json_response(200, counts_for(counts, access.association))

    # -- one row -------------------------------------------------------------------------
    @route("GET", ROW)
    @guarded("read_dropped_row", "dropped_row.read")
    def get_dropped_row(
        self, request: Request, access: Access, ballot_id: int, row_id: int
    ) -> Response:
        return json_response(200, self._dropped_row(access, ballot_id, row_id))

    def _dropped_row(self, access: Access, ballot_id: int, row_id: int) -> dict[str, Any]:
        """The row, once it is known to be the caller's to act on (403 otherwise)."""
        row: dict[str, Any] = self.remote.registration.get_dropped_row(ballot_id, row_id)
        access.check_owner(row.get("association") or None)
        access.details["kind"] = row.get("kind")
        return row

    @route("POST", f"{ROW}/correction")
    @guarded("correct_dropped_row", "dropped_row.corrected")
    def correct_dropped_row(
        self, request: Request, access: Access, ballot_id: int, row_id: int
    ) -> Response:
        correction = load(RowCorrectionSchema(), read_json(request))
        self._dropped_row(access, ballot_id, row_id)
        values, access.reason = correction["values"], correction["reason"]
        access.details["fields"] = sorted(values)
        result = self.remote.registration.correct_dropped_row(
            ballot_id, row_id, values, access.actor, access.reason
        )
        if result.get("status") == "still_rejected":
            access.audit = "dropped_row.still_rejected"
            reasons = list(result.get("reasons") or [])
            access.details["reasons"] = len(reasons)
            return json_error(still_rejected(reasons))
        access.details["status"] = result.get("status")
        return json_response(200, result)

    @route("POST", f"{ROW}/resolution")
    @guarded("resolve_conflict", "dropped_row.resolved")
    def resolve_conflict(
        self, request: Request, access: Access, ballot_id: int, row_id: int
    ) -> Response:
        resolution = load(ConflictResolutionSchema(), read_json(request))
        self._dropped_row(access, ballot_id, row_id)
        keep, access.reason = resolution["keep"], resolution["reason"]
        result = self.remote.registration.resolve_conflict(
            ballot_id, row_id, keep, access.actor, access.reason
        )
        access.details.update(keep=keep, status=result.get("status"))
        return json_response(200, result)
