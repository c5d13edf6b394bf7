"""`--engine dask`: fragments as tasks on Dask workers (an optional extra: `pip install
'cxcli[dask]'`; nothing else in cx imports dask). Each task runs `fragments.scan`; the
accumulators are merged in a tree on the workers, neighbours with neighbours so that the
order of the files is kept, and only the last one comes back to be finalised here.

Exact distinct counts (MAU's id sets) are split by a hash of the id into one shard per
worker before they merge: each shard's tree runs on its own worker, and the shards, which
share no id, come back to be joined end to end (`Kpi.join_shards`) instead of being merged
again on one machine.

`--scheduler tcp://host:8786` sends the tasks to a running cluster, whose workers need cx
installed and the stores' credentials in their environment (inputs travel as URIs, never
as filesystem objects holding keys); with none, a LocalCluster of `--jobs` workers (default:
one per CPU, one thread each) lives for the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .fragments import Fragment, Scanned, scan

if TYPE_CHECKING:
    from .formats import Reader


class DaskSchedule:
    remote = True  # fragments run elsewhere: stdin is saved to a file first
    split_text = False  # byte ranges' rows are known only in order: files and row groups

    def __init__(self, address: str | None, workers: int | None) -> None:
        self.address, self.workers = address, workers

    @property
    def split(self) -> int:
        """Fragments wanted at least: a Parquet file is cut into row groups below that."""
        return 2 * (self.workers or os.cpu_count() or 1)

    def run(self, fragments: Sequence[Fragment], readers: dict[int, Reader], progress) -> Scanned:
        with _client(self.address, self.workers) as client:
            parts = client.map(scan, fragments, range(len(fragments)), pure=False)
            shards = len(client.scheduler_info().get("workers", {})) or 1
            if shards > 1 and any(_shardable(f) for f in fragments):
                return _sharded(client, parts, shards)
            return _tree(client, parts).result()


def _shardable(fragment: Fragment) -> bool:
    return any(r.kpi.shardable for r in fragment.readings)


def _tree(client: Any, parts: list) -> Any:
    """Neighbours merged with neighbours until one future is left."""
    while len(parts) > 1:
        pairs = [parts[i : i + 2] for i in range(0, len(parts), 2)]
        parts = [
            client.submit(_merge, *pair, pure=False) if len(pair) == 2 else pair[0]
            for pair in pairs
        ]
    return parts[0]


def _merge(first: Scanned, later: Scanned) -> Scanned:
    return first.merge(later)


def _sharded(client: Any, parts: list, shards: int) -> Scanned:
    """Each fragment's accumulators cut into `shards` by id, a merge tree per shard, and the
    shards joined here end to end."""
    cut = [client.submit(_cut, part, shards, pure=False) for part in parts]
    trees = []
    for shard in range(shards):
        pieces = [client.submit(_piece, c, shard, pure=False) for c in cut]
        trees.append(client.submit(_prepare, _tree(client, pieces), pure=False))
    return _join(client.gather(trees))


def _cut(scanned: Scanned, shards: int) -> list[Scanned]:
    """One Scanned per shard; what was read of the fragments goes with the first."""
    out = [Scanned({}, scanned.reads if s == 0 else []) for s in range(shards)]
    for job, acc in scanned.accumulators.items():
        for shard, part in enumerate(acc.shards(shards)):
            out[shard].accumulators[job] = part
    return out


def _piece(cut: list[Scanned], shard: int) -> Scanned:
    return cut[shard]


def _prepare(scanned: Scanned) -> Scanned:
    for acc in scanned.accumulators.values():
        acc.prepare()
    return scanned


def _join(shards: list[Scanned]) -> Scanned:
    first = shards[0]
    accs = {}
    for job, acc in first.accumulators.items():
        accs[job] = acc.join([s.accumulators[job] for s in shards])
    return Scanned(accs, first.reads)


@contextlib.contextmanager
def _client(address: str | None, workers: int | None) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask, an optional extra",
            hint="pip install 'cxcli[dask]'",
        ) from None
    if address:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise UsageError(f"--scheduler {address}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # the scheduler's health endpoint on a free loopback port, not on 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
