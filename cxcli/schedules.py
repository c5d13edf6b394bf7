"""Where fragments run: in this process (the default), on a local process pool (`--jobs N`),
or on Dask workers (`--engine dask`, an optional extra). Each schedule runs the same
`fragments.scan` on the same fragments and merges the accumulators in fragment order, so
the numbers cannot differ; only the time and the memory do."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .fragments import Fragment, Scanned, scan

if TYPE_CHECKING:
    from .formats import Reader
    from .planning import Query
    from .source import Input

Progress = Callable[["Input", int], None] | None


class Local:
    """Fragments one after another in this process (a large CSV file on several threads)."""

    remote = False  # fragments run here: stdin and opened readers can be used
    split = 0  # no Parquet file is cut into row groups

    def run(self, fragments: Sequence[Fragment], readers: dict[int, Reader], progress: Progress):
        out: Scanned | None = None
        for index, fragment in enumerate(fragments):
            reader = readers.pop(id(fragment.item), None) if fragment.row_groups is None else None
            part = scan(fragment, index, reader, progress)
            out = part if out is None else out.merge(part)
        assert out is not None
        return out


@dataclass(frozen=True)
class Pool:
    """`--jobs N`: fragments on N worker processes (forked from a server that has cx loaded);
    results merged here in fragment order as they come back."""

    jobs: int
    remote = True

    @property
    def split(self) -> int:
        return self.jobs

    def run(self, fragments: Sequence[Fragment], readers: dict[int, Reader], progress: Progress):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["cxcli.fragments"])
        threads = max(1, (os.cpu_count() or 1) // self.jobs)
        out: Scanned | None = None
        with ProcessPoolExecutor(self.jobs, mp_context=context) as pool:
            done = pool.map(
                _scan_alone, fragments, range(len(fragments)), [threads] * len(fragments)
            )
            for fragment, part in zip(fragments, done, strict=True):
                out = part if out is None else out.merge(part)
                if progress is not None:
                    progress(fragment.item, sum(read[1] for read in part.reads))
        assert out is not None
        return out


def _scan_alone(fragment: Fragment, index: int, threads: int) -> Scanned:
    return scan(fragment, index, threads=threads)


def schedule_of(query: Query) -> Any:
    """The schedule a query asks for."""
    if query.engine == "dask":
        from .dask_engine import DaskSchedule

        return DaskSchedule(query.scheduler, query.jobs)
    if query.scheduler:
        raise UsageError("--scheduler needs --engine dask")
    if query.jobs and query.jobs > 1:
        return Pool(query.jobs)
    return Local()
