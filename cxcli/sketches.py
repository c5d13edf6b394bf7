"""Apache DataSketches objects (HyperLogLog, KLL, frequent items) made picklable, so that
partial states can travel to process-pool and Dask workers and back: datasketches 5.2 cannot
pickle them. Each pickles as its own serialisation, read back by a module-level function.
State files (`--emit-state`) do not use pickle at all (states.py)."""

from __future__ import annotations

import copyreg
from typing import Any


def hll(lg_k: int) -> Any:
    """An empty HyperLogLog sketch of 2^lg_k registers."""
    from datasketches import hll_sketch

    _register()
    return hll_sketch(lg_k)


def kll(k: int) -> Any:
    """An empty KLL quantile sketch of accuracy parameter k."""
    from datasketches import kll_doubles_sketch

    _register()
    return kll_doubles_sketch(k)


def frequent(lg_max_k: int) -> Any:
    """An empty frequent-items sketch of strings with 2^lg_max_k counters."""
    from datasketches import frequent_strings_sketch

    _register()
    return frequent_strings_sketch(lg_max_k)


def load_frequent(data: bytes) -> Any:
    from datasketches import frequent_strings_sketch

    _register()
    return frequent_strings_sketch.deserialize(data)


def load_hll(data: bytes) -> Any:
    from datasketches import hll_sketch

    _register()  # it may be pickled again (a Dask merge task sends its result on)
    return hll_sketch.deserialize(data)


def load_kll(data: bytes) -> Any:
    from datasketches import kll_doubles_sketch

    _register()
    return kll_doubles_sketch.deserialize(data)


_REGISTERED: list[bool] = []


def _register() -> None:
    if _REGISTERED:
        return
    from datasketches import frequent_strings_sketch, hll_sketch, kll_doubles_sketch

    _REGISTERED.append(True)
    copyreg.pickle(frequent_strings_sketch, lambda s: (load_frequent, (s.serialize(),)))
    copyreg.pickle(hll_sketch, lambda s: (load_hll, (s.serialize_compact(),)))
    copyreg.pickle(kll_doubles_sketch, lambda s: (load_kll, (s.serialize(),)))
