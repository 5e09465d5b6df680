"""The Ray session a flow runs its chunks in: a cluster's, or a local one this process starts.

Every flow that fans out over Ray enters `ray_session(...)` around its fan-out instead of pairing
`ray.init` with its own `try/finally: ray.shutdown()`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from storage.processes import reap_ray_session


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[bool]:
    """Connect to the cluster at `address`, or start Ray locally with `workers` CPUs, for the
    block; yields True when this call started the session. Only a session this call started is
    shut down when the block ends: a caller's session (a test's, an enclosing flow's) stays up."""
    import ray

    if ray.is_initialized():
        yield False
        return
    # a local, single-user Ray needs no auth token in the home folder (Ray 2.60 writes one)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        context = ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                           configure_logging=False)
        reap_ray_session(context.address_info.get("session_dir"))  # gone when helix is, killed or not
    try:
        yield True
    finally:
        ray.shutdown()
