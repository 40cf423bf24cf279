"""`cunrong serve`: run the HTTP service."""

from __future__ import annotations

import os
import sys

import typer

MAX_WORKERS = 32
WORKER_HEALTHCHECK_S = 60
"""How long uvicorn's supervisor waits for a worker to answer its ping before killing and
replacing it (uvicorn's default, 5 s, is shorter than importing the app on a busy 2-core
machine: the workers were killed while starting, over and over, or while serving a burst)."""


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the root app."""

    @app.command()
    def serve(
        ctx: typer.Context,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = typer.Option(
            1,
            min=1,
            max=MAX_WORKERS,
            help="server processes: one per core (e.g. 2 on a 2-core machine) for many"
            " concurrent reporters; each keeps its own pool (CUNRONG_DB_POOL_SIZE)",
        ),
    ) -> None:
        """Serve the API and pages (uvicorn)."""
        import uvicorn

        from service.app import create_app
        from service.cli.common import settings_of

        settings = settings_of(ctx)  # checked once here, before any worker starts
        # access lines come from the service's own JSON log (service.middleware)
        if workers == 1:
            uvicorn.run(create_app(settings), host=host, port=port, access_log=False)
            return
        # Several processes: each imports the app and reads the same environment. uvicorn's
        # supervisor only starts, pings and replaces the workers, so it runs as a fresh
        # `python -m uvicorn` that replaces this process (exec): the ≈ 350 MB this CLI
        # process holds by now (pandas, geopandas, the settings) are not kept beside the
        # workers for the server's whole life.
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--workers",
            str(workers),
            "--host",
            host,
            "--port",
            str(port),
            "--no-access-log",
            "--timeout-worker-healthcheck",
            str(WORKER_HEALTHCHECK_S),
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)
