"""Bad requests, missing services and the service's own routes: always a clear JSON answer."""

from __future__ import annotations

import time

import yaml
from prometheus_client import REGISTRY

from tests.integration.gateway import standins
from tests.integration.gateway.harness import error_of, running

VOTES = f"/api/ballots/{standins.OPEN}/votes"


BAD_BODIES = [
    (b'{"code": "A-B", "choices": ["Ada"]', "malformed_json", None),
    (b"{'code': 'A-B'}", "malformed_json", None),
    (b'{"code": "A-B", "choices": [NaN]}', "malformed_json", None),
    (b"\xff\xfe", "malformed_json", None),
    (b"", "malformed_json", None),
    (b'["A-B", ["Ada"]]', "invalid_request", "_schema"),
    (b'{"choices": ["Ada Lovelace"]}', "invalid_request", "code"),
    (b'{"code": "A-B", "choices": []}', "invalid_request", "choices"),
    (b'{"code": "A-B", "choices": ["Ada", "Ada"]}', "invalid_request", "choices"),
    (b'{"code": "A-B", "choices": ["Ada"], "name": "me"}', "invalid_request", "name"),
]


def test_bad_bodies_are_400_with_a_stable_code_and_reach_no_service(gateway):
    for body, code, field in BAD_BODIES:
        response = gateway.post(VOTES, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        error = error_of(response)
        assert error["code"] == code, body
        if field:
            assert field in error["fields"], body
    assert standins.CALLS == []


def test_a_privileged_route_checks_the_token_before_the_body(gateway):
    response = gateway.post(f"/api/ballots/{standins.OPEN}/postal-batches", data=b"{nope")
    assert response.status_code == 401


def test_a_bad_postal_batch_from_a_teller_is_400_naming_the_paper(gateway):
    response = gateway.post(
        f"/api/ballots/{standins.OPEN}/postal-batches",
        gateway.user("teller", ballot_id=standins.OPEN),
        json={"batch_id": "B1", "papers": [{"membership_number": "", "choices": ["Ada"]}]},
    )
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "papers": {"0": {"membership_number": ["Length must be between 1 and 64."]}}
    }


def test_an_oversized_body_is_413(gateway):
    response = gateway.post(VOTES, data=b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_unknown_addresses_and_methods_answer_in_json(gateway):
    missing = gateway.get("/api/nothing-here")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    not_a_number = gateway.get("/api/ballots/abc/result")
    assert not_a_number.status_code == 404 and error_of(not_a_number)["code"] == "not_found"
    wrong = gateway.request("DELETE", VOTES)
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert wrong.headers["Allow"] == "POST"


def test_a_service_that_is_not_running_is_503_at_once(launch):
    gateway = launch(standins.CodesStandIn, rpc_timeout=20)  # no tally, no matching
    started = time.monotonic()
    response = gateway.post(VOTES, json={"code": "GOOD-CODE-0001", "choices": ["Ada Lovelace"]})
    assert response.status_code == 503
    assert error_of(response)["code"] == "service_unavailable"
    reviews = gateway.get(f"/api/ballots/{standins.OPEN}/reviews", gateway.user("operator"))
    assert reviews.status_code == 503
    assert time.monotonic() - started < 10  # well inside the 20s deadline: no queue, no wait


def test_a_service_that_stopped_answering_is_503_and_does_not_act_later(launch):
    gateway = launch(rpc_timeout=1.0)
    operator = gateway.user("operator")
    batches = f"/api/ballots/{standins.OPEN}/postal-batches"
    batch = {"batch_id": "B1", "papers": [{"membership_number": "M1", "choices": ["Ada"]}]}
    # A tally that ran once leaves its queue behind: a request now waits for nobody.
    with running(gateway.settings, standins.TallyStandIn):
        assert gateway.get(f"/api/ballots/{standins.CLOSED}/result").status_code == 200
    started = time.monotonic()
    response = gateway.post(batches, operator, json=batch)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and error_of(response)["code"] == "service_unavailable"
    assert elapsed > 0.9, "the gateway must wait out its RPC deadline before answering 503"
    # The request carries a TTL equal to the deadline (gateway/remote.py); a time-based
    # condition, so wait past it: without the TTL the stale request is still queued
    # however long we wait, and the tally below would enter it.
    time.sleep(0.5)
    # The caller was told it failed, so the tally must not enter it when it comes back.
    with running(gateway.settings, standins.TallyStandIn):
        assert gateway.get(f"/api/ballots/{standins.CLOSED}/result").status_code == 200
        assert standins.called("tally.enter_postal_batch") == []
        assert gateway.post(batches, operator, json=batch).status_code == 201
    assert len(standins.called("tally.enter_postal_batch")) == 1


def test_a_service_slower_than_the_deadline_is_503_not_a_hang(launch):
    gateway = launch(standins.SlowTallyStandIn, rpc_timeout=1.0)
    started = time.monotonic()
    response = gateway.get(f"/api/ballots/{standins.CLOSED}/result")
    assert response.status_code == 503 and error_of(response)["code"] == "service_unavailable"
    assert time.monotonic() - started < 5
    assert standins.called("slow tally.get_result")


def test_healthz_and_openapi(gateway):
    health = gateway.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    document = gateway.get("/openapi.yaml")
    assert document.status_code == 200
    assert "/api/ballots/{ballot_id}/votes" in yaml.safe_load(document.text)["paths"]


def _count(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("rollcall_gateway_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_template_not_raw_path(gateway):
    template = "/api/ballots/<int:ballot_id>/result"
    before_ok, before_409 = _count("GET", template, 200), _count("GET", template, 409)
    before_missing = _count("GET", "<unmatched>", 404)
    timed = REGISTRY.get_sample_value("rollcall_gateway_request_seconds_count", {"route": template})
    gateway.get(f"/api/ballots/{standins.CLOSED}/result")
    gateway.get(f"/api/ballots/{standins.OPEN}/result")
    gateway.get("/no/such/page")
    assert _count("GET", template, 200) == before_ok + 1
    assert _count("GET", template, 409) == before_409 + 1
    assert _count("GET", "<unmatched>", 404) == before_missing + 1
    assert _count("GET", f"/api/ballots/{standins.CLOSED}/result", 200) == 0
    after = REGISTRY.get_sample_value("rollcall_gateway_request_seconds_count", {"route": template})
    assert after == (timed or 0) + 2
