"""The Dask client a region analysis runs on: a local cluster of worker processes by
default, or any running cluster given its scheduler address. The scheduler is Dask's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from geo.errors import InvalidInput

if TYPE_CHECKING:
    from dask.distributed import Client


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str | float = "auto",
) -> Iterator[Client]:
    """A `dask.distributed.Client`: on the cluster at `scheduler` (tcp://host:port), else on
    a new `LocalCluster` of `workers` processes, closed (workers stopped) on exit."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise InvalidInput(
                f"expected a scheduler address such as tcp://10.0.0.5:8786, got {scheduler!r}",
                field="scheduler",
            )
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise InvalidInput(
                f"cannot reach the Dask scheduler at {scheduler} ({exc})", field="scheduler"
            ) from None
        with client:
            yield client
        return
    if workers < 1 or threads_per_worker < 1:
        raise InvalidInput(
            f"expected at least one worker and one thread, got {workers} and {threads_per_worker}",
            field="workers",
        )
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",  # its HTTP server on a free port, never a fixed one
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
