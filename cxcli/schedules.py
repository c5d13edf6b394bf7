"""Where fragments run: in this process (the default), on a local process pool (`--jobs N`),
or on Dask workers (`--engine dask`, an optional extra). Each schedule runs the same
`fragments.scan` on the same fragments and merges the accumulators in fragment order, so
the numbers cannot differ; only the time and the memory do."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .fragments import Fragment, RangeFailed, Scanned, scan

if TYPE_CHECKING:
    from .formats import Reader
    from .planning import Query
    from .source import Input

Progress = Callable[["Input", int], None] | None


class Local:
    """Fragments one after another in this process (a large CSV file on several threads)."""

    remote = False  # fragments run here: stdin and opened readers can be used
    split = 0  # no Parquet file is cut into row groups
    split_text = False  # nor a CSV file into byte ranges (threads parse those here)

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
    split_text = True  # a large CSV file in byte ranges, one a worker

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
        before: dict[int, int] = {}  # rows of each file merged so far (byte ranges' offsets)
        with ProcessPoolExecutor(self.jobs, mp_context=context) as pool:
            done = pool.map(
                _scan_alone, fragments, range(len(fragments)), [threads] * len(fragments)
            )
            for index, fragment in enumerate(fragments):
                try:
                    part = next(done)
                except RangeFailed:  # read the file in one stream: the error names its row
                    whole = replace(fragment, byte_range=None)
                    scan(whole, index, threads=1)
                    raise AssertionError("a range failed but its file reads") from None
                rows = sum(read[1] for read in part.reads)
                offset = before.get(id(fragment.item), 0) if fragment.byte_range else 0
                before[id(fragment.item)] = offset + rows
                out = part if out is None else out.merge(part, offset)
                if progress is not None:
                    progress(fragment.item, before[id(fragment.item)])
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
