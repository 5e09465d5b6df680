"""The Ray session a flow runs its chunks in: a cluster's, or a local one this process starts.

Every flow that fans out over Ray enters `ray_session(...)` around its fan-out instead of pairing
`ray.init` with its own `try/finally: ray.shutdown()`.

On a cluster the workers write shards themselves, so an object-store data root must be reachable
from every node: the driver passes on where the store is (endpoint and region, `FORWARDED`) in
the job's runtime environment, never credentials; nodes take those from their own environment
(an instance role, a Kubernetes secret), as Ray's cluster launcher and KubeRay provide them.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from storage.processes import reap_ray_session


FORWARDED = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_REGION",
             "HELIX_OBJECT_GRACE_S", "HELIX_OBJECT_LOCK_TTL_S")


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
        forwarded = {k: os.environ[k] for k in FORWARDED if os.environ.get(k)}
        ray.init(address=address, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": forwarded} if forwarded else None)
    else:
        context = ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                           configure_logging=False)
        reap_ray_session(context.address_info.get("session_dir"))  # gone when helix is, killed or not
    try:
        yield True
    finally:
        ray.shutdown()
