"""The FastAPI application: `create_app()` wires routes, errors and the database engine."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

import geo.maps
from geo.db import make_engine
from geo.maps.basemaps import tile_origins
from geo.tiles import TileCache
from service.auth import csrf_protect
from service.bodylimit import BodyLimit, max_body_bytes
from service.docs import install_docs
from service.errors import ERROR_RESPONSES, install_error_handlers
from service.logs import configure_logging
from service.middleware import RequestContext
from service.notify.worker import NotifyWorker
from service.rankings import rules_for
from service.routes import (
    account,
    assessment,
    bulletins,
    categories,
    districts,
    exports,
    field,
    health,
    imports,
    interviews,
    issues,
    loop,
    maps,
    notifications,
    office,
    ogc,
    open311,
    pages,
    sites,
    tiles,
    villages,
)
from service.settings import ServiceSettings

GIL_SWITCH_INTERVAL_S = 0.001
"""How long a busy thread may keep the interpreter lock before another gets it (default 5 ms).

Imports, photo re-encoding and score uploads run in the threadpool; each request the event
loop serves meanwhile needs the lock a dozen times (socket reads, database round trips), so
a shorter interval keeps /health and page loads fast while a big upload is processed.
"""


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the app; the engine is made at start-up and disposed at shutdown."""
    settings = settings or ServiceSettings()
    configure_logging(settings.log_level)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(
            settings.engine_url(),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_size
        worker = NotifyWorker(app.state.engine, settings) if settings.notify_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            app.state.engine.dispose()

    app = FastAPI(
        title=settings.title,
        description="农村人居环境整治提升 — issues, closed loop, rankings and maps of a town.",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes(settings))
    app.add_middleware(
        RequestContext, tile_origins=tile_origins(tianditu_key=settings.tianditu_key)
    )
    install_docs(app)
    app.state.photo_root = settings.photo_dir
    app.state.rules = rules_for(settings.rules_file)
    app.state.tile_cache = TileCache(
        size=settings.tile_cache_tiles, max_age_s=settings.tile_max_age_s
    )
    for module in (
        health,
        villages,
        issues,
        loop,
        assessment,
        interviews,
        categories,
        exports,
        maps,
        tiles,
        sites,
        imports,
        pages,
        field,
        account,
        office,
        bulletins,
        notifications,
        districts,
        ogc,
        open311,
    ):
        app.include_router(module.router)
    app.include_router(field.pages)
    app.include_router(interviews.pages)
    app.include_router(open311.discovery)
    app.include_router(notifications.pages)
    # Page scripts, styles and icons; Leaflet from the vendored copy (no CDN).
    vendor = Path(geo.maps.__file__).resolve().parent / "vendor"
    app.mount("/static/vendor", StaticFiles(directory=vendor), name="vendor")
    app.mount("/static", StaticFiles(directory=field.STATIC), name="static")
    return app
