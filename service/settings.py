"""The one settings object of cunrong (environment prefix CUNRONG_, the database from DATABASE_URL).

It is built once — by `create_app` (kept on `app.state.settings`) or by the CLI's root
callback (kept on typer's `ctx.obj`) — and passed down: routes read
`request.app.state.settings`, domain functions in `geo` take the numbers they use as keyword
arguments. Nothing below `service` reads the environment. Every field is listed in the
README's configuration table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo import defaults

if TYPE_CHECKING:
    # Imported where used: a command that never opens the database (`cunrong score year
    # --from FOLDER`) does not pay for SQLAlchemy and GeoPandas at start-up.
    from geo.loop import Detection

DEVELOPMENT_SECRET = "change-me"


def project_root() -> Path:
    """The checkout this package runs from, or the working directory when installed elsewhere."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


class ServiceSettings(BaseSettings):
    """How cunrong runs: where the data lives, how the town is measured, how the service serves."""

    model_config = SettingsConfigDict(env_prefix="CUNRONG_", extra="ignore", populate_by_name=True)

    # --- storage
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    """Any PostGIS database (`postgresql://…` or `postgresql+psycopg://…`); unset: the local
    cluster under `data_dir/pgdata`. Read from `DATABASE_URL` (the name every PostgreSQL tool
    and platform uses); there is no CUNRONG_ alias, so one name means one database."""
    data_dir: Path = Field(default_factory=lambda: project_root() / "data")
    """Where the local cluster (`pgdata/`) and the photos (`photos/`) live."""

    db_pool_size: int = Field(default=25, ge=1, le=500)
    """Database connections each service process keeps open: at least the requests one
    process serves at once (50 reporters on 2 workers: 25), so that a busy service does not
    open and close PostgreSQL backends (a few ms of CPU each) while it runs."""
    db_max_overflow: int = Field(default=15, ge=0, le=500)
    """Connections a process may open beyond `db_pool_size` at peaks (closed when returned)."""
    threadpool_size: int = Field(default=40, ge=1, le=1000)
    """Requests one service process runs at once in its threadpool (every route and
    dependency that reads files or runs SQL; anyio's default is 40). More requests wait
    on the event loop, which stays free for /health."""

    # --- measuring the town
    metric_srid: int = defaults.METRIC_SRID
    """Metric CRS for distances and areas (CGCS2000 Gauss-Krüger zone 39, CM 117°E) of a new
    town (`cunrong town add` without --metric-srid, the first town of migration 0012); each
    town is then measured in its own `town.metric_srid` (also in /ogc's CRS list and
    `cunrong qgis-project`); this is only the fallback where no town is known."""
    gps_tolerance_m: float = defaults.GPS_TOLERANCE_M
    """A point this close outside every village goes to the nearest one (flagged)."""
    rebound_radius_m: float = defaults.REBOUND_RADIUS_M
    """A new issue this close to a closed one of the same category is a rebound (反弹)…"""
    rebound_days: int = defaults.REBOUND_DAYS
    """…when that one was closed within this many days."""
    duplicate_radius_m: float = defaults.DUPLICATE_RADIUS_M
    """A new issue this close to an open one of the same category gets a near-duplicate warning."""

    # --- the service
    environment: str = "development"
    """`development` allows the default secret; anything else requires CUNRONG_SECRET_KEY."""
    secret_key: str = DEVELOPMENT_SECRET
    """Keys the sign-in sessions' stored hashes and the CSRF tokens (HMAC)."""
    anonymous_read: bool | None = None
    """Allow reads without signing in: on by default only when environment is development
    (the demo); elsewhere off unless CUNRONG_ANONYMOUS_READ=true."""
    max_page_size: int = 50_000
    """The most issues one `GET /issues` page may return (`limit`)."""
    default_page_size: int = 5_000
    """The page size of `GET /issues` when the request gives no `limit`."""
    ogc_default_limit: int = Field(default=100, ge=1)
    """Features per page of the OGC API (`/ogc/collections/…/items`) when the request gives
    no `limit`; a larger `limit` is cut to `max_page_size`."""
    session_hours: float = 12.0
    """A sign-in lasts this long; then the browser must sign in again."""
    login_max_failures: int = 10
    """Failed sign-ins for one user name or one address within `login_window_minutes`
    after which further attempts are refused until the window has passed."""
    login_window_minutes: float = 15.0
    """The window over which failed sign-ins are counted (and the lock-out lasts)."""
    login_delay_seconds: float = 0.5
    """Delay of an answer to a failed sign-in after the third failure; doubles per failure."""
    login_delay_max_seconds: float = 4.0
    """The longest such delay."""
    log_level: str = "INFO"
    """Level of the JSON log lines on stderr (DEBUG, INFO, WARNING, ERROR)."""
    title: str = "村容 cunrong"
    """The service's name in the API docs."""
    rules_file: Path | None = None
    """The town's assessment rules (default: scoring/rules.toml)."""
    town_name: str = "大张庄镇"
    """The first town's name (given to `cunrong db upgrade` when it creates the town table;
    afterwards each town's name lives on its row, e.g. in the bulletin's heading)."""
    town_code: str = Field(default="120113108", pattern=r"^[0-9]{9}([0-9]{3})?$")
    """The first town's 行政区划代码 (9 or 12 digits), read by the migration to towns (0012):
    an existing single-town database moves into this town."""
    district_name: str = "北辰区"
    """The first town's district (its code is the first six digits of `town_code`)."""
    bulletin_timeout_s: float = 60.0
    """How long headless Chromium may take to print one bulletin (PDF or PNG)."""
    interview_late_days: int = Field(default=defaults.INTERVIEW_LATE_DAYS, ge=0, le=366)
    """An interview (约谈) not held within this many days after its ranking month is late."""
    open311_max_requests: int = Field(default=1000, ge=1, le=50_000)
    """The most service requests one Open311 `GET requests` answers (the spec's 1000)."""
    open311_days: int = Field(default=90, ge=1, le=3660)
    """Open311 `GET requests` without dates covers this many days back; a start_date–end_date
    range may not span more (the spec's 90)."""
    open311_contact: str = Field(
        default="镇农村人居环境整治办公室 / the town office", max_length=500
    )
    """Who answers for the Open311 endpoint (the discovery document's `contact`)."""
    open311_key_service: str = Field(
        default="向镇办申请 API key（`cunrong open311 key add`）"
        " / ask the town office for an API key (`cunrong open311 key add`)",
        max_length=500,
    )
    """How a client gets an API key (the discovery document's `key_service`)."""
    tianditu_key: str | None = Field(
        default=None, validation_alias=AliasChoices("TIANDITU_KEY", "tianditu_key")
    )
    """天地图 API key, for the tianditu basemaps (read from `TIANDITU_KEY`)."""

    # --- notifications (docs/notifications.md)
    notify_worker: bool = True
    """Run the notification worker inside the service (a background thread): fan-out of
    new events and delivery of e-mails and webhooks. Off: run `cunrong notify run` instead."""
    notify_poll_s: float = Field(default=2.0, gt=0)
    """How often the worker looks for new events and deliveries due, in seconds."""
    notify_deadline_days: int = Field(default=3, ge=0, le=60)
    """A deadline this many days ahead (or fewer) is reminded by `cunrong notify due`."""
    notify_max_age_days: int = Field(default=7, ge=0)
    """Events and passed deadlines older than this many days notify nobody (history)."""
    notify_bulk_events: int = Field(default=100, ge=1)
    """A statement that writes more events than this is an import: summarised per village."""
    notify_max_attempts: int = Field(default=8, ge=1)
    """Attempts to deliver an e-mail or webhook before it becomes a dead letter."""
    notify_retry_base_s: float = Field(default=30.0, ge=0)
    """Wait after the first failed attempt; doubles after each further one…"""
    notify_retry_max_s: float = Field(default=3600.0, ge=0)
    """…up to this many seconds."""
    notify_base_url: str | None = None
    """The service's public address (https://…), to make the links in e-mails absolute."""
    smtp_host: str | None = None
    """SMTP server for e-mail notifications (unset: no e-mail, the inbox and webhooks only)."""
    smtp_port: int = 25
    """Its port (587 with STARTTLS, 465 for implicit TLS is not supported: use STARTTLS)."""
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS before signing in."""
    smtp_user: str | None = None
    """User name to sign in to the SMTP server (unset: no sign-in)."""
    smtp_password: str | None = None
    """Its password."""
    smtp_from: str = "cunrong@localhost"
    """The From: address of the e-mails."""
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    """How long one SMTP conversation may take."""
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    """How long one webhook POST may take."""
    # --- vector tiles and the issue map (docs/tiles.md)
    tile_points_zoom: int = Field(default=15, ge=0, le=24)
    """From this zoom on, `/tiles/issues/…` tiles carry the issues themselves (id, code, status,
    category); below it, counts per square cell (count, open, overdue)."""
    tile_max_points: int = Field(default=5_000, ge=0)
    """A tile at or past `tile_points_zoom` holding more issues than this still carries cells
    (a dense place at a high zoom)."""
    tile_cell_px: Literal[16, 32, 64, 128] = 32
    """Edge of an aggregated cell in screen pixels (a 256-pixel tile holds (256/this)² cells)."""
    tile_max_age_s: int = Field(default=60, ge=0)
    """How long a browser may reuse a tile without asking again (Cache-Control max-age), and
    how long the service keeps an aggregated tile it made (so a tile may be this old)."""
    tile_cache_tiles: int = Field(default=4096, ge=0)
    """Aggregated issue tiles kept in memory by each service process (0: none)."""
    tile_summary: bool = True
    """Sum low-zoom cells tiles from `issue_tile_summary` (issues per z17 cell and filter
    dimension) when the filter allows it, once it has been refreshed a first time
    (`cunrong tiles refresh`); false: always read the points."""
    tile_summary_max_age_s: int = Field(default=60, ge=1)
    """A cells tile request finding the summary older than this starts a refresh in the
    background; a summary older than twice this (or of an earlier day) is not used."""
    map_tiles_over: int = Field(default=50_000, ge=0)
    """The issue map (/maps/issues) draws the issues from vector tiles when the selection has
    more than this many; up to it, the issues are embedded in the page as before."""
    offline_keep_bytes: int = Field(default=50_000_000, ge=100_000, le=2_000_000_000)
    """The most the service worker keeps of the pages a signed-in person opened, for reading
    them without a connection (bytes, on the phone or PC; written into /sw.js). A leader's
    maps inline every village outline and can weigh megabytes each: keeping one more page
    drops the oldest kept ones until the total fits, and a page larger than this is not kept."""

    # Limits on what one request may make the server read, unpack, decode or store. Each
    # refusal is a 413 naming the setting (CUNRONG_<NAME>), and nothing is stored.
    max_upload_mib: float = 100.0
    """Largest file accepted by an admin import (POST /import/…), in MiB."""
    max_sheet_mib: float = 5.0
    """Largest score / third-party / honor sheet (CSV or XLSX) upload, in MiB."""
    max_photo_mib: float = 15.0
    """Largest photo upload, in MiB."""
    max_unzipped_mib: float = 256.0
    """Total uncompressed size of the members of an uploaded .zip, in MiB."""
    max_zip_member_mib: float = 256.0
    """Uncompressed size of any one member of an uploaded .zip, in MiB."""
    max_zip_members: int = 50
    """Number of files in an uploaded .zip (a Shapefile is 3–7)."""
    max_polygon_vertices: int = 100_000
    """Vertices of one imported geometry (a village boundary traced by hand has a few thousand)."""
    max_file_vertices: int = 2_000_000
    """Vertices of all the geometries of one imported file."""
    max_image_pixels: int = 40_000_000
    """Pixels (width × height) of a photo, checked from its header before it is decoded."""
    max_upload_rows: int = 1_000_000
    """Rows (or features) of one uploaded file: imports and score / honor sheets."""
    import_bulk_rows: int = Field(default=100_000, ge=1)
    """An issue import of at least this many rows, when it is at least as large as the
    table (and not a third-party batch), takes the direct bulk path: every column computed
    client-side, COPY straight into the issue tables, whose indexes and keys are dropped
    and rebuilt after the load."""

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> ServiceSettings:
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("set CUNRONG_SECRET_KEY: the default secret is for development only")
        if self.anonymous_read is None:
            self.anonymous_read = self.environment == "development"
        if self.default_page_size > self.max_page_size:
            raise ValueError("CUNRONG_DEFAULT_PAGE_SIZE must not exceed CUNRONG_MAX_PAGE_SIZE")
        return self

    @property
    def photo_dir(self) -> Path:
        """Where photos are stored by content hash (outside any web root)."""
        return self.data_dir / "photos"

    @property
    def pgdata(self) -> Path:
        """The local PostGIS cluster's data directory (also holds its socket)."""
        return self.data_dir / "pgdata"

    def engine_url(self) -> str:
        """The SQLAlchemy URL of the database in use: DATABASE_URL, else the local cluster."""
        from geo.db import database_url as resolve_database_url

        return resolve_database_url(self.database_url, pgdata=self.pgdata)

    def placement(self) -> dict[str, Any]:
        """Keyword arguments of the one placement rule (`geo.assign.locate` and friends)."""
        return {"tolerance_m": self.gps_tolerance_m, "metric_srid": self.metric_srid}

    def first_town(self) -> dict[str, Any]:
        """The town the migration to towns creates and moves existing rows into."""
        return {
            "code": self.town_code,
            "name": self.town_name,
            "district_code": self.town_code[:6],
            "district_name": self.district_name,
            "metric_srid": self.metric_srid,
        }

    def detection(self) -> Detection:
        """The numbers `geo.loop.create_issue` / `check_new_issue` use beyond the point."""
        from geo.loop import Detection

        return Detection(
            tolerance_m=self.gps_tolerance_m,
            metric_srid=self.metric_srid,
            rebound_radius_m=self.rebound_radius_m,
            rebound_days=self.rebound_days,
            duplicate_radius_m=self.duplicate_radius_m,
        )
