"""The interactive API docs work offline: every asset comes from this server."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urljoin, urlsplit

from .conftest import Api


def _page_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_page_loads_only_from_its_own_host(api: Api) -> None:
    page = api.client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    urls = _page_urls(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    for url in urls:
        absolute = urljoin("http://localhost/api/v1/docs", url)
        assert urlsplit(absolute).netloc == "localhost", url
        asset = api.client.get(urlsplit(absolute).path)
        assert asset.status_code == 200, url
        assert len(asset.get_data()) > 1000, url
    assert "validator.swagger.io" not in html and '"validatorUrl": null' in html
    assert "cdn" not in html.lower()


def test_docs_policy_allows_the_pages_own_script_and_nothing_foreign(api: Api) -> None:
    page = api.client.get("/api/v1/docs")
    policy = {name: set(sources) for name, *sources in
              (part.split() for part in page.headers["Content-Security-Policy"].split(";"))}
    inline = re.findall(r"<script>(.*?)</script>", page.get_data(as_text=True), re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == {"'self'", f"'sha256-{digest}'"}
    assert policy["default-src"] == {"'none'"}
    assert policy["connect-src"] == {"'self'"}  # fetching openapi.json, "try it out"


def test_only_the_pages_assets_are_served(api: Api) -> None:
    js = api.client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "javascript" in js.mimetype
    for other in ("index.html", "swagger-ui-bundle.js.map", "..%2Fpyproject.toml", "nope.js"):
        resp = api.client.get(f"/api/v1/docs/assets/{other}")
        assert resp.status_code == 404, other
        assert resp.mimetype == "application/problem+json"
