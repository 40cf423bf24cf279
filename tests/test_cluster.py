"""The local cluster's socket stays within the length a unix socket path may have."""

from __future__ import annotations

from pathlib import Path

from geo.cluster import SOCKET_PATH_MAX, LocalCluster


def test_socket_lives_in_the_data_directory_when_the_path_is_short():
    cluster = LocalCluster(Path("/srv/cunrong/data/pgdata"))
    assert cluster.socket_dir == cluster.pgdata
    assert "host=/srv/cunrong/data/pgdata" in cluster.url()


def test_socket_moves_to_a_short_folder_when_the_checkout_path_is_long():
    deep = Path("/builds") / ("x" * 90) / "data" / "pgdata"
    cluster = LocalCluster(deep)
    assert cluster.socket_dir != deep
    assert len(str(cluster.socket_dir / ".s.PGSQL.5432")) <= SOCKET_PATH_MAX
    assert cluster.socket_dir == LocalCluster(deep).socket_dir  # stable for the same cluster
    assert cluster.socket_dir != LocalCluster(deep.parent / "other").socket_dir
