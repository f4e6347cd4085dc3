"""The partner routes in process, on SQLite: the public form (identity's tenant lookup
answered by a stand-in), the agents' review and the DPO's erasure."""

from fastapi.testclient import TestClient

from services.support.tests import factories

as_ = factories.as_


APPLY = factories.partner_form()


def test_the_public_partner_form(client: TestClient) -> None:
    received = client.post("/api/partners/apply", json=APPLY)  # no token at all
    assert received.status_code == 202
    assert received.json() == {"status": "received"}
    unknown = client.post("/api/partners/apply", json=APPLY | {"tenant": "nowhere"})
    assert unknown.status_code == 404 and "Paul" not in unknown.text
    for bad in (
        APPLY | {"contact_email": "not-an-email"},
        APPLY | {"tenant": "../users"},
        APPLY | {"message": "x" * 5001},
        APPLY | {"website": "https://spam.example"},
    ):
        refused = client.post("/api/partners/apply", json=bad)
        assert refused.status_code == 422 and "Paul" not in refused.text
    listed = client.get("/api/partners/requests", headers=as_("agent")).json()
    assert [r["contact_name"] for r in listed] == ["Paul Partner"]  # one stored, not three
    assert client.get("/api/partners/requests", headers=as_("carol")).json() == []
    assert client.get("/api/partners/requests", headers=as_("bob")).status_code == 403
    assert client.get("/api/partners/requests").status_code == 401
    url = f"/api/partners/requests/{listed[0]['id']}"
    review = {"status": "contacted", "note": "Called back"}
    assert client.patch(url, json=review, headers=as_("carol")).status_code == 404
    assert client.patch(url, json=review, headers=as_("dpo")).status_code == 403
    assert client.patch(url, json={"status": "maybe"}, headers=as_("agent")).status_code == 422
    reviewed = client.patch(url, json=review, headers=as_("agent")).json()
    assert reviewed["status"] == "contacted" and reviewed["note"] == "Called back"
    assert reviewed["last_contact_at"] > listed[0]["last_contact_at"]
    # The contact person's own erasure request, through the DPO.
    assert client.delete(url, headers=as_("agent")).status_code == 403
    assert client.delete(url, headers=as_("dpo")).status_code == 204
    assert client.get("/api/partners/requests", headers=as_("dpo")).json() == []
