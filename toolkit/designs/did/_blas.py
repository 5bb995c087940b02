"""Run a block of linear algebra on one BLAS thread.

On a machine with few cores shared by several processes, OpenBLAS's worker
threads spin while they wait for a core: measured on the 2-core development
machine under load, a 294 x 294 symmetric eigenproblem took 6.8 s on two
threads and 0.09 s on one, and a 6,500 x 294 cross-product 1.6 s against
0.26 s.  The Callaway & Sant'Anna fit therefore runs its linear algebra on one
thread.  Uses ``threadpoolctl`` when it is installed, else numpy's bundled
OpenBLAS through ``ctypes``; does nothing when neither is found.  Matrix
products split their output, not their sums, over threads, so results do not
depend on it.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Iterator

__all__ = ["single_thread_blas"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_cache: dict = {}


def _openblas():
    """(get, set) thread functions of the OpenBLAS numpy loaded, or None."""
    if "lib" in _cache:
        return _cache["lib"]
    found = None
    try:
        with open("/proc/self/maps") as fh:
            paths = {ln.split()[-1] for ln in fh if "openblas" in ln and ln.split()[-1].startswith("/")}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            for name in _SETTERS:
                getter = name.replace("set_", "get_")
                if hasattr(lib, name) and hasattr(lib, getter):
                    found = (getattr(lib, getter), getattr(lib, name))
                    break
            if found:
                break
    except OSError:
        found = None
    _cache["lib"] = found
    return found


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Limit BLAS to one thread inside the block (restored afterwards)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
        return
    lib = _openblas()
    if lib is None:
        yield
        return
    get, set_ = lib
    before = int(get())
    set_(1)
    try:
        yield
    finally:
        set_(before)
