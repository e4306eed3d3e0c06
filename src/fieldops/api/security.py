"""Security headers on every response: ``nosniff`` and a Content-Security-Policy.

Every answer gets ``X-Content-Type-Options: nosniff`` (a browser must not guess
that a JSON, CSV or iCalendar body is HTML or script). Each kind of answer gets the
narrowest policy it can live with:

* JSON, CSV, iCalendar and problem answers load nothing: :data:`API_CSP`.
* The dispatch report is one self-contained page: its CSS is in a ``<style>``
  element and ``style`` attributes (route colour swatches), its charts are
  ``data:`` PNGs, and it has no script: :data:`REPORT_CSP` allows exactly that.
* The Swagger UI page loads its CSS and scripts from this server
  (:mod:`fieldops.api.docs_ui`) and starts with one inline script, allowed by its
  SHA-256 hash (computed from the page itself, so a flask-smorest upgrade that
  changes the script cannot silently break or widen the policy).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

CSP = "Content-Security-Policy"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
#: flask-smorest's endpoint of the Swagger UI page.
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: str) -> str:
    """The CSP source list (``'sha256-…'`` …) of every inline script of ``html``."""
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html))


def _security_headers(resp: Response) -> Response:
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if CSP in resp.headers:  # the view chose its own (the report)
        return resp
    if request.endpoint == DOCS_ENDPOINT and resp.mimetype == "text/html":
        resp.headers[CSP] = DOCS_CSP.format(scripts=script_hashes(resp.get_data(as_text=True)))
    else:
        resp.headers[CSP] = API_CSP
    return resp


def init_security_headers(app: Flask) -> None:
    app.after_request(_security_headers)
