"""The board's pages without a browser: sign-in, the session cookie, CSRF, CSP, assets.

The page in a real browser (drawing, actions, no other host) is tests/api/test_board_browser.py.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from fieldops.api import browser_session, settings_from_env
from fieldops.api.views.board import ASSETS, tile_origin

from .conftest import DAY, Api, assert_problem, plan_body, seed_day, wait_plan

LEAFLET = ASSETS / "static" / "leaflet"


def _login(api: Api, role: str = "dispatcher", nxt: str = "/board/2026-03-02") -> Any:
    return api.client.post("/board/login", data={"key": api.keys[role], "next": nxt})


def _csrf(page_html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page_html)
    assert found, page_html[:500]
    return found.group(1)


def test_board_without_session_asks_for_the_key(api: Api) -> None:
    resp = api.client.get("/board/2026-03-02")
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/board/login?next=/board/2026-03-02")
    form = api.client.get("/board/login")
    assert form.status_code == 200
    assert 'name="key"' in form.get_data(as_text=True)
    assert "script-src" not in form.headers["Content-Security-Policy"]  # no script at all


def test_login_sets_a_strict_httponly_cookie_and_returns_to_the_day(api: Api) -> None:
    resp = _login(api)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/board/2026-03-02"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{browser_session.COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert api.keys["dispatcher"] not in cookie  # the key never goes back to the browser


@pytest.mark.parametrize("nxt", ["https://evil.example/", "//evil.example/board/x",
                                 "/api/v1/keys", "/board/\\evil"])
def test_login_never_redirects_off_the_board(api: Api, nxt: str) -> None:
    resp = _login(api, nxt=nxt)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/board"


def test_login_refuses_bad_keys_and_technicians(api: Api) -> None:
    bad = api.client.post("/board/login", data={"key": "fo_nope"})
    assert bad.status_code == 403
    assert "unknown or revoked API key" in bad.get_data(as_text=True)
    api.post("/api/v1/technicians", json={"id": "t1", "name": "T", "home": {"lat": 1, "lon": 2}})
    api.add_key("tech", "technician", "t1")
    tech = api.client.post("/board/login", data={"key": api.keys["tech"]})
    assert tech.status_code == 403
    assert "a technician key cannot open the board" in tech.get_data(as_text=True)
    assert "Set-Cookie" not in tech.headers


def test_cross_site_login_post_is_refused(api: Api) -> None:
    resp = api.client.post("/board/login", data={"key": api.keys["dispatcher"]},
                           headers={"Origin": "https://evil.example"})
    assert_problem(resp, 403, "Origin")


def test_the_page_embeds_a_csrf_token_and_a_strict_policy(api: Api) -> None:
    _login(api)
    page = api.client.get("/board/2026-03-02")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _csrf(html)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # no tile server configured
    assert page.headers["Cache-Control"] == "no-store"
    # Every asset the page names is served by this app.
    for src in re.findall(r'(?:src|href)="(/board/static/[^"?]+)', html):
        assert api.client.get(src).status_code == 200, src


def test_the_session_calls_the_api_only_with_the_pages_csrf_token(api: Api) -> None:
    _login(api)
    token = _csrf(api.client.get("/board/2026-03-02").get_data(as_text=True))
    assert api.client.get("/api/v1/technicians", headers={"X-CSRF-Token": token}).status_code == 200
    assert_problem(api.client.get("/api/v1/technicians"), 403, "X-CSRF-Token")
    assert_problem(api.client.get("/api/v1/technicians", headers={"X-CSRF-Token": "0" * 64}),
                   403, "X-CSRF-Token")
    # The session carries the key's role: a manager's board cannot write.
    api.client.delete_cookie(browser_session.COOKIE)
    _login(api, role="manager")
    token = _csrf(api.client.get("/board/2026-03-02").get_data(as_text=True))
    resp = api.client.post("/api/v1/technicians", headers={"X-CSRF-Token": token},
                           json={"id": "t9", "name": "T", "home": {"lat": 1, "lon": 2}})
    assert_problem(resp, 403)


def test_revoking_the_key_ends_its_sessions(api: Api) -> None:
    _login(api)
    token = _csrf(api.client.get("/board/2026-03-02").get_data(as_text=True))
    listed = api.get("/api/v1/keys").get_json()["items"]
    ref = next(k["id"] for k in listed if k["role"] == "dispatcher")
    assert api.delete(f"/api/v1/keys/{ref}").status_code in (200, 204)
    assert_problem(api.client.get("/api/v1/technicians", headers={"X-CSRF-Token": token}), 401)
    assert api.client.get("/board/2026-03-02").status_code == 303  # back to the sign-in


def test_a_forged_or_expired_cookie_is_no_session(api: Api) -> None:
    with api.app.extensions["fieldops"].db.session() as s:
        from fieldops.store.keys import find_api_key

        key = find_api_key(s, api.keys["dispatcher"])
        assert key is not None
        good = browser_session.issue(key)
        assert browser_session.verify(s, good) is not None
        key_id, expires, sig = good.split(".")
        assert browser_session.verify(s, f"{key_id}.{int(expires) + 1}.{sig}") is None
        assert browser_session.verify(s, good, now=int(expires) + 1) is None
        assert browser_session.verify(s, "1.2") is None
        assert browser_session.verify(s, f"999.{expires}.{sig}") is None


def test_logout_needs_the_pages_token_and_clears_the_cookie(api: Api) -> None:
    _login(api)
    token = _csrf(api.client.get("/board/2026-03-02").get_data(as_text=True))
    assert_problem(api.client.post("/board/logout", data={"csrf": "x"}), 403, "csrf")
    out = api.client.post("/board/logout", data={"csrf": token})
    assert out.status_code == 303
    assert f"{browser_session.COOKIE}=;" in out.headers["Set-Cookie"]
    assert api.client.get("/board/2026-03-02").status_code == 303


def test_a_bad_date_is_404_naming_it(api: Api) -> None:
    _login(api)
    assert_problem(api.client.get("/board/2026-13-45"), 404, "date")


def test_board_home_opens_today_before_anything_is_published(api: Api) -> None:
    resp = api.client.get("/board")
    assert resp.status_code == 302
    assert re.fullmatch(r"/board/\d{4}-\d{2}-\d{2}", resp.headers["Location"])


def test_tile_server_setting_opens_the_policy_to_that_host_only() -> None:
    assert tile_origin(None) == ""
    assert tile_origin("https://{s}.tiles.example/{z}/{x}/{y}.png") == " https://*.tiles.example"
    assert settings_from_env({"FIELDOPS_TILE_URL": "https://t.example/{z}/{x}/{y}.png"}) == {
        "TILE_URL": "https://t.example/{z}/{x}/{y}.png"}
    with pytest.raises(ValueError, match="FIELDOPS_TILE_URL"):
        settings_from_env({"FIELDOPS_TILE_URL": "javascript:alert(1)"})


def test_vendored_leaflet_is_the_recorded_npm_release() -> None:
    readme = (LEAFLET / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| ([\w./-]+?)(?: \(.*?\))? \| ([0-9a-f]{64}) \|$", readme, re.M))
    files = [p for p in LEAFLET.rglob("*") if p.is_file() and p.name != "README.md"]
    assert len(files) == 8
    for path in files:
        rel = path.relative_to(LEAFLET).as_posix()
        assert rows[rel] == hashlib.sha256(path.read_bytes()).hexdigest(), rel
    assert 't.version="1.9.4"' in (LEAFLET / "leaflet.js").read_text(encoding="utf-8")


def test_board_files_are_inside_the_package() -> None:
    # The wheel ships src/fieldops whole (pyproject: packages = ["src/fieldops"]) and
    # .gitignore excludes none of these: the board works from an installed package.
    import fieldops

    root = Path(fieldops.__file__).resolve().parent
    for rel in ("api/board/templates/board/board.html", "api/board/templates/board/login.html",
                "api/board/static/board.js", "api/board/static/board.css",
                "api/board/static/leaflet/leaflet.js",
                "api/board/static/leaflet/images/layers.png"):
        assert (root / rel).is_file(), rel


def test_board_home_opens_the_latest_published_day(api: Api) -> None:
    seed_day(api, n_requests=2)
    resp = api.post("/api/v1/plans", json=plan_body())
    plan = wait_plan(api, resp.headers["Location"])
    assert api.post(f"/api/v1/plans/{plan['id']}/publish", json={}).status_code == 200
    home = api.client.get("/board")
    assert home.headers["Location"] == f"/board/{DAY}"
    _login(api)
    page = api.client.get(f"/board/{DAY}").get_data(as_text=True)
    # The day arrives embedded (no second round trip), in the plan's time zone.
    assert 'data-timezone="Europe/Berlin"' in page
    assert f'"published_plan_id":"{plan["id"]}"' in page.replace(" ", "")
