"""`cunrong serve`: run the HTTP service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the root app."""

    @app.command()
    def serve(ctx: typer.Context, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve the API and pages (uvicorn)."""
        import uvicorn

        from service.app import create_app
        from service.cli.common import settings_of

        # access lines come from the service's own JSON log (service.middleware)
        uvicorn.run(create_app(settings_of(ctx)), host=host, port=port, access_log=False)
