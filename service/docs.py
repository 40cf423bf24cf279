"""API docs (Swagger UI) served from the installed package, never from a CDN.

The page is written here rather than by `fastapi.openapi.docs.get_swagger_ui_html`, whose
inline setup script the Content-Security-Policy would refuse: the setup is static/docs.js,
and both scripts carry the response's nonce like every page's (service.middleware).
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from service.middleware import csp_nonce

ASSETS = "/static/swagger"


def docs_html(*, title: str, openapi_url: str, nonce: str) -> str:
    """The Swagger UI page for `openapi_url`."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">\n'
        f'<link rel="icon" href="{ASSETS}/favicon-32x32.png">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n"
        f'<div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>\n'
        f'<script nonce="{nonce}" src="{ASSETS}/swagger-ui-bundle.js"></script>\n'
        f'<script nonce="{nonce}" src="/static/docs.js"></script>\n'
        "</body>\n</html>\n"
    )


def install_docs(app: FastAPI) -> None:
    """`/docs` with Swagger UI's files from the swagger-ui-bundle package."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(
            docs_html(
                title=f"{app.title} — API",
                openapi_url=app.openapi_url or "/openapi.json",
                nonce=csp_nonce(request),
            )
        )
