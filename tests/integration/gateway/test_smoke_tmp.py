from tests.integration.gateway import standins

def test_smoke(gateway):
    r = gateway.get("/healthz"); print(r.status_code, r.text)
    r = gateway.post("/api/ballots/1/votes", json={"code": "GOOD-CODE-0001", "choices": ["Ada Lovelace"]}); print(r.status_code, r.text)
    r = gateway.post("/api/ballots/1/votes", json={"code": "GOOD-CODE-0001", "choices": ["Ada Lovelace"]}); print(r.status_code, r.text)
    r = gateway.get("/nope"); print(r.status_code, r.text)
    r = gateway.get("/api/ballots/1/votes"); print(r.status_code, r.text, r.headers)
    t = gateway.user("teller")
    r = gateway.get("/api/ballots/2/marked-register", t); print(r.status_code, r.text)
    r = gateway.get("/api/ballots/2/marked-register", gateway.user("scrutineer")); print(r.status_code, r.text)
    r = gateway.get("/vote?ballot=5"); print(r.status_code, r.text)
    print(standins.CALLS)
    assert 0
