"""A real S3-compatible server for tests: moto's server mode on 127.0.0.1, in its own process.

Tests talk to it over HTTP with the same clients production uses (pyarrow.fs, boto3); nothing
is patched. `python -m tests.s3server` runs one in the foreground (for benchmarks and manual
checks) and prints the environment to use it with.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from typing import Iterator

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "helix-test", "AWS_SECRET_ACCESS_KEY": "helix-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """Start the server; yields the AWS environment that points clients at it."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.05)
        yield {**CREDENTIALS, "AWS_ENDPOINT_URL": url}
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_bucket(env: dict[str, str], name: str | None = None) -> str:
    """Create a bucket on the server (as an operator would, once) and return its name."""
    import boto3

    name = name or f"helix-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                 region_name=env["AWS_DEFAULT_REGION"]).create_bucket(Bucket=name)
    return name


if __name__ == "__main__":
    with moto_server() as env:
        bucket = make_bucket(env, sys.argv[1] if len(sys.argv) > 1 else "helix")
        for key, value in env.items():
            print(f"export {key}={value}")
        print(f"# data root: s3://{bucket}/data   (Ctrl-C stops the server)", flush=True)
        os.environ.update(env)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
