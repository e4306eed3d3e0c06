"""Security headers: nosniff on every answer, a Content-Security-Policy fitting each."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fieldops.api.security import API_CSP, REPORT_CSP
from fieldops.reports import render_report

from .conftest import Api, plan_body, seed_day, technician, wait_plan
from dispatch_fixtures import small_plan, small_problem


def _directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = set(sources)
    return out


def test_every_answer_is_nosniff_with_a_policy(api: Api) -> None:
    answers = [
        api.get("/api/v1/technicians"),                    # JSON
        api.post("/api/v1/technicians", json=technician()),  # 201 JSON
        api.get("/api/v1/technicians/ghost"),              # problem+json
        api.get("/api/v1/technicians", role=None),         # 401
        api.client.get("/calendars/technicians/t1.ics?token=x"),  # feed route, 404
        api.client.get("/api/v1/openapi.json"),
        api.client.get("/api/v1/docs"),
        api.client.get("/api/v1/docs/assets/swagger-ui.css"),
    ]
    for resp in answers:
        assert resp.headers["X-Content-Type-Options"] == "nosniff", resp.request.path
        assert resp.headers["Content-Security-Policy"], resp.request.path
    assert answers[0].headers["Content-Security-Policy"] == API_CSP
    assert _directives(API_CSP)["default-src"] == {"'none'"}


class _Loads(HTMLParser):
    """What a page would load or run: scripts, stylesheets, image sources, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.stylesheets = 0
        self.style_elements = 0
        self.style_attributes = 0
        self.img_sources: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.scripts += tag == "script"
        self.style_elements += tag == "style"
        self.stylesheets += tag == "link" and a.get("rel") == "stylesheet"
        self.style_attributes += "style" in a
        if tag == "img":
            self.img_sources.append(a.get("src") or "")
        self.handlers += [k for k in a if k.startswith("on")]


def test_report_policy_allows_exactly_what_the_report_inlines() -> None:
    problem = small_problem()
    html = render_report(small_plan(problem), problem)
    page = _Loads()
    page.feed(html)
    policy = _directives(REPORT_CSP)
    # No script of any kind: the policy allows none.
    assert page.scripts == 0 and not page.handlers
    assert "script-src" not in policy and policy["default-src"] == {"'none'"}
    # CSS lives in <style> and style attributes, nothing is fetched.
    assert page.style_elements >= 1 and page.stylesheets == 0
    assert policy["style-src"] == {"'unsafe-inline'"}
    assert not re.search(r"url\((?!['\"]?data:)", html)
    # Charts are data: images, and only data: images are allowed.
    assert page.img_sources and all(s.startswith("data:image/") for s in page.img_sources)
    assert policy["img-src"] == {"data:"}
    assert policy["frame-ancestors"] == {"'none'"}


def test_report_page_is_served_with_the_report_policy(api: Api) -> None:
    seed_day(api, n_requests=2)
    plan = wait_plan(api, api.post("/api/v1/plans", json=plan_body()).headers["Location"])
    assert plan["status"] == "done", plan
    resp = api.get(f"/api/v1/plans/{plan['id']}/report.html")
    assert resp.status_code == 200
    assert resp.headers["Content-Security-Policy"] == REPORT_CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
