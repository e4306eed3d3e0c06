"""The Swagger UI assets, served from the ``swagger-ui-bundle`` package.

flask-smorest renders the page at ``/api/v1/docs`` and takes the assets from
``OPENAPI_SWAGGER_UI_URL``; pointing that at :data:`ASSETS_URL` makes the
interactive docs work offline and keeps the page on this server's own origin.
Only the files the page loads are served (no source maps, no demo pages).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-16x16.png", "favicon-32x32.png"})
#: The files change only with the package version: let browsers keep them a day.
CACHE_SECONDS = 24 * 3600

blp = Blueprint("docs_ui", __name__)


@blp.route(ASSETS_URL + "<string:filename>", methods=["GET"])
def asset(filename: str) -> Response:
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=CACHE_SECONDS)


def init_docs_ui(app: Flask) -> None:
    """Serve the assets; ``OPENAPI_SWAGGER_UI_URL`` must be :data:`ASSETS_URL`."""
    app.register_blueprint(blp)
