"""An operator's preview of a ballot before it opens: its voting page and a sample code letter.

Entry points only. The page is ``gateway.pages.preview`` (a PREVIEW banner, the
form switched off); the letter is the mailer's ``preview_letter`` (a
placeholder member and code, headed PREVIEW). Nothing is stored or sent; each
preview is written to the audit log with the operator who asked.
"""

from __future__ import annotations

import base64

from werkzeug.wrappers import Request, Response

from gateway import pages
from gateway.access import Access, guarded
from gateway.base import BALLOT, GatewayBase
from gateway.web import file_response, route


class PreviewRoutes(GatewayBase):
    @route("GET", f"{BALLOT}/preview")
    @guarded("preview_ballot", "ballot.previewed")
    def preview_page(self, request: Request, access: Access, ballot_id: int) -> Response:
        ballot = self.remote.registration.get_ballot(ballot_id)
        access.details["phase"] = ballot.get("phase")
        return pages.html_response(200, pages.preview(ballot))

    @route("GET", f"{BALLOT}/preview/letter.pdf")
    @guarded("preview_ballot", "ballot.letter_previewed")
    def preview_letter(self, request: Request, access: Access, ballot_id: int) -> Response:
        self.remote.registration.get_ballot(ballot_id)  # an unknown ballot is a 404
        made = self.remote.mailer.preview_letter(ballot_id)
        pdf = base64.b64decode(made["pdf_base64"], validate=True)
        return file_response(pdf, "application/pdf", f"preview-letter-{ballot_id}.pdf")
