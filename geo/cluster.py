"""The project's own local PostGIS cluster under data/pgdata, used when DATABASE_URL is unset.

The server listens only on a unix socket inside the data directory. When run as root,
initdb and the server run as the `postgres` system user, as PostgreSQL requires.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SOCKET_PATH_MAX = 100
"""A unix socket's path must fit in sun_path (108 bytes on Linux, 104 on macOS)."""
DB_NAME = "cunrong"
PORT = 5432
INSTALL_HINT = (
    "install PostgreSQL and PostGIS (Debian/Ubuntu: "
    "`apt-get install postgresql postgresql-postgis`; macOS: `brew install postgis`), "
    "or set DATABASE_URL to an existing PostGIS database, or run `docker compose up`"
)


class ClusterError(RuntimeError):
    """The local cluster cannot be set up or reached."""


def find_bindir() -> Path:
    """The directory of the newest installed PostgreSQL server binaries."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(f"PostgreSQL server binaries (pg_ctl, initdb) not found: {INSTALL_HINT}")


def postgis_available(bindir: Path) -> bool:
    """Whether the PostGIS extension is installed for this server."""
    sharedir = subprocess.run(
        [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    share = Path(sharedir) if sharedir else bindir.parent.parent.parent / "share"
    if not sharedir:
        share = Path("/usr/share/postgresql") / bindir.parent.name
    return any((share / "extension").glob("postgis.control"))


@dataclass(frozen=True)
class LocalCluster:
    """A PostgreSQL cluster in a folder, reachable through a socket in the same folder."""

    pgdata: Path

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its unix socket: the data directory, or a short folder in
        /tmp named after it when that path would be too long for a unix socket."""
        if len(str(self.pgdata / f".s.PGSQL.{PORT}")) <= SOCKET_PATH_MAX:
            return self.pgdata
        digest = hashlib.sha1(str(self.pgdata).encode()).hexdigest()[:12]
        return Path("/tmp") / f"cunrong-{digest}"

    def _prepare_socket_dir(self) -> None:
        if self.socket_dir != self.pgdata and not self.socket_dir.exists():
            self.socket_dir.mkdir(mode=0o700)
            _hand_over(self.socket_dir)

    def url(self, dbname: str = DB_NAME) -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.socket_dir}&port={PORT}"

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _server_user()
        cmd = args if user is None else ["runuser", "-u", user, "--", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(args[:2])} failed: {proc.stderr.strip() or proc.stdout}")
        return proc

    def is_initialised(self) -> bool:
        """Whether initdb has run here."""
        return (self.pgdata / "PG_VERSION").exists()

    def is_running(self) -> bool:
        """Whether a server answers on this cluster's socket."""
        bindir = find_bindir()
        proc = subprocess.run(
            [str(bindir / "pg_isready"), "-q", "-h", str(self.socket_dir), "-p", str(PORT)],
            check=False,
        )
        return proc.returncode == 0

    def init(self) -> None:
        """Create the cluster (idempotent)."""
        bindir = find_bindir()
        if not postgis_available(bindir):
            raise ClusterError(f"the PostGIS extension is not installed: {INSTALL_HINT}")
        if self.is_initialised():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        _hand_over(self.pgdata)
        self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# cunrong: socket-only local cluster\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                f"port = {PORT}\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 256MB\nwork_mem = 64MB\n"
                "maintenance_work_mem = 512MB\n"
            )

    def start(self) -> None:
        """Initialise if needed, start the server, and create the main database."""
        self.init()
        self._prepare_socket_dir()
        if not self.is_running():
            bindir = find_bindir()
            log = self.pgdata / "server.log"
            self._run(
                [str(bindir / "pg_ctl"), "-D", str(self.pgdata), "-l", str(log), "-w", "start"]
            )
        self._wait()
        self.create_database(DB_NAME)

    def stop(self) -> None:
        """Stop the server if it runs."""
        if self.is_initialised() and self.is_running():
            bindir = find_bindir()
            self._run([str(bindir / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_running():
            if time.monotonic() > deadline:
                raise ClusterError(f"the server did not start; see {self.pgdata / 'server.log'}")
            time.sleep(0.2)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create a database with PostGIS unless it exists."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            port=PORT,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                from psycopg import sql

                stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                if template:
                    stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                conn.execute(stmt)
        with psycopg.connect(
            host=str(self.socket_dir), port=PORT, user="postgres", dbname=name, autocommit=True
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _server_user() -> str | None:
    """The user to run server binaries as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            f"running as root needs a `postgres` system user for the server: {INSTALL_HINT}"
        ) from exc
    return "postgres"


def _hand_over(path: Path) -> None:
    """Give the data directory to the server user when we are root."""
    user = _server_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
