"""The customer record: logged contacts, the contact history, and preferred
technicians that new requests inherit unless they say otherwise."""

from __future__ import annotations

from typing import Any

from fieldops.calendar import job_uid

from .conftest import Api, assert_problem, service_request, technician


def _customer(api: Api, cid: str = "c1", **extra: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/customers", json={"id": cid, "name": "Mia Muster", **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def test_contacts_are_logged_and_listed_newest_first(api: Api) -> None:
    _customer(api)
    for at, channel, summary in (("2026-03-01T09:00:00+01:00", "phone", "Boiler noisy"),
                                 ("2026-03-03T14:30:00Z", "email", "Sent the invoice")):
        resp = api.post("/api/v1/customers/c1/contacts", role="dispatcher",
                        json={"channel": channel, "at": at, "summary": summary})
        assert resp.status_code == 201, resp.get_json()
    first = resp.get_json()
    assert first["channel"] == "email" and first["at"] == "2026-03-03T14:30:00+00:00"
    assert first["actor"].endswith("(dispatcher)")
    listed = api.get("/api/v1/customers/c1/contacts", role="manager").get_json()
    assert [c["summary"] for c in listed] == ["Sent the invoice", "Boiler noisy"]
    assert listed[1]["at"] == "2026-03-01T08:00:00+00:00"
    history = api.get("/api/v1/customers/c1/history").get_json()
    assert [(h["kind"], h["channel"]) for h in history] == [("contact", "email"),
                                                            ("contact", "phone")]


def test_contact_bad_input_names_the_field(api: Api) -> None:
    _customer(api)
    url = "/api/v1/customers/c1/contacts"
    assert_problem(api.post(url, json={"channel": "pigeon", "summary": "x"}), 422, "channel")
    assert_problem(api.post(url, json={"channel": "phone", "summary": ""}), 422, "summary")
    assert_problem(api.post(url, json={"channel": "phone"}), 422, "summary")
    assert_problem(api.post(url, json={"channel": "phone", "summary": "x", "at": "soon"}),
                   422, "at")
    assert_problem(api.post(url, json={"channel": "phone", "summary": "x",
                                       "at": "2026-03-01T09:00:00"}), 422, "at")
    assert_problem(api.post("/api/v1/customers/nobody/contacts",
                            json={"channel": "phone", "summary": "x"}), 404)
    assert_problem(api.get("/api/v1/customers/nobody/history"), 404)
    assert api.post(url, role="manager", json={"channel": "phone",
                                               "summary": "x"}).status_code == 403


def test_new_requests_inherit_the_customers_preferred_technicians(api: Api) -> None:
    for tid in ("t1", "t2", "t3"):
        assert api.post("/api/v1/technicians", json=technician(tid)).status_code == 201
    _customer(api, preferred_technicians=["t2", "t3"])
    assert api.get("/api/v1/customers/c1").get_json()["preferred_technicians"] == ["t2", "t3"]

    def preferred(rid: str, **extra: Any) -> list[str]:
        resp = api.post("/api/v1/requests", json=service_request(rid, customer_id="c1",
                                                                 **extra))
        assert resp.status_code == 201, resp.get_json()
        # The request JSON leaves out an empty list.
        return resp.get_json().get("preferred_technicians", [])  # type: ignore[no-any-return]

    assert preferred("inherits") == ["t2", "t3"]
    assert preferred("own", preferred_technicians=["t1"]) == ["t1"]
    assert preferred("none", preferred_technicians=[]) == []
    # Soft, never against the request's own exclusions.
    assert preferred("excludes", excluded_technicians=["t3"]) == ["t2"]
    imported = api.post("/api/v1/requests/import", json=[
        service_request("imp1", customer_id="c1"),
        service_request("imp2", customer_id="c1", preferred_technicians=["t1"])])
    assert imported.status_code == 201, imported.get_json()
    assert api.get("/api/v1/requests/imp1").get_json()["preferred_technicians"] == ["t2", "t3"]
    assert api.get("/api/v1/requests/imp2").get_json()["preferred_technicians"] == ["t1"]
    # Requests without a customer are untouched.
    assert "preferred_technicians" not in api.post(
        "/api/v1/requests", json=service_request("anon")).get_json()


def test_preferred_technicians_must_exist(api: Api) -> None:
    assert api.post("/api/v1/technicians", json=technician("t1")).status_code == 201
    resp = api.post("/api/v1/customers", json={"id": "c1", "preferred_technicians": ["ghost"]})
    assert_problem(resp, 422, "preferred_technicians[0]")
    resp = api.post("/api/v1/customers", json={"id": "c1",
                                               "preferred_technicians": ["t1", "t1"]})
    assert_problem(resp, 422, "preferred_technicians")
    _customer(api)
    resp = api.put("/api/v1/customers/c1", json={"id": "c1", "preferred_technicians": ["t1"]})
    assert resp.status_code == 200 and resp.get_json()["preferred_technicians"] == ["t1"]
    resp = api.put("/api/v1/customers/c1", json={"id": "c1"})
    assert resp.get_json()["preferred_technicians"] == []


def test_technicians_calendar_event_shows_the_last_contacts(api: Api) -> None:
    from .test_calendar_api import _day, _feed, _plan, _request, _shift, _token, _vevents

    day = _day(1)
    api.post("/api/v1/technicians", json=technician("t1"))
    api.post("/api/v1/shifts", json=_shift("s1", "t1", day))
    api.post("/api/v1/requests", json=_request("job", day, 1, customer_id="c9"))
    _plan(api, day, request_ids=["job"])
    _, path = _token(api, "t1")
    before = str(_vevents(_feed(api, path).get_data())[job_uid("job")]["description"])
    assert "Last contacts" not in before
    for at, summary in (("2026-11-02T09:00:00Z", "Asked about the noise\nagain"),
                        ("2026-11-03T09:00:00Z", "Will leave the key with a neighbour")):
        resp = api.post("/api/v1/customers/c9/contacts",
                        json={"channel": "phone", "at": at, "summary": summary})
        assert resp.status_code == 201, resp.get_json()
    # Logging a contact makes the stored feed stale: the next poll shows it.
    after = str(_vevents(_feed(api, path).get_data())[job_uid("job")]["description"])
    assert ("Last contacts: 2026-11-03 phone: Will leave the key with a neighbour; "
            "2026-11-02 phone: Asked about the noise again") in after
