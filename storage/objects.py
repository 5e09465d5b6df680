"""Object-store data roots (`s3://bucket/prefix`): a path type over `pyarrow.fs`, and the
conditional writes the ledger and the writer lock need.

`ObjectPath` offers the part of pathlib's API the store uses (`/`, `exists`, `read_bytes`,
`write_bytes`, `glob`, `unlink`, `stat`, `open`), so code written against a folder reads and
writes an object store unchanged. What an object store cannot do, it refuses loudly rather than
imitating: it has no `__fspath__` (a builtin `open()` or `os.replace` on it is a TypeError, never a
local file named `s3:`), and `mkdir` is a no-op because prefixes need no creation.

Data moves through `pyarrow.fs` (one PUT per object: an object is visible whole or not at all).
Object stores have no rename and no flock, so the ledger commits by *creating* the next snapshot
object with `If-None-Match: *` and the writer lock is an object created the same way and renewed
with `If-Match` (S3 conditional writes as AWS documents them; tested here against moto's server,
and every writing command refuses an endpoint that ignores them: storage/shards.ensure_writable).
pyarrow cannot send those headers, so these few requests go through boto3.

Credentials and endpoint come from the usual AWS environment (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL` for an S3-compatible server),
read by both pyarrow and boto3; nothing of them is stored or logged by helix.
"""

from __future__ import annotations

import fnmatch
import io
import os
import threading
from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import Any, Iterator

from storage.errors import StoreError

SCHEMES = ("s3://",)


class ObjectStoreError(StoreError, OSError):
    """The object store cannot be used (unknown bucket, refused credentials, unreachable
    endpoint): one line naming the URI and the cause."""


class ObjectKeyError(ObjectStoreError, ValueError):
    """An s3:// URI helix cannot use as it is (no bucket, a '..' segment)."""


_FS: dict[str, Any] = {}
_CLIENT: dict[str, Any] = {}
_LOCK = threading.Lock()


def _endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""


def filesystem(bucket: str):
    """pyarrow's S3 file system for `bucket`, configured from the AWS environment (cached per
    endpoint: workers of a Ray cluster build their own from their own environment)."""
    import pyarrow.fs as pafs

    key = f"{_endpoint()}|{bucket}"
    with _LOCK:
        if key not in _FS:
            try:
                _FS[key] = pafs.FileSystem.from_uri(f"s3://{bucket}")[0]
            except (OSError, ValueError) as error:
                raise ObjectStoreError(f"s3://{bucket}: cannot open the object store "
                                       f"({_first_line(error)})") from None
        return _FS[key]


def client():
    """A boto3 S3 client (for conditional requests only), from the AWS environment."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ObjectStoreError("s3:// data roots need boto3 for their commits and locks: "
                               "pip install 'helix[s3]'") from None
    key = _endpoint()
    with _LOCK:
        if key not in _CLIENT:
            _CLIENT[key] = boto3.client("s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
        return _CLIENT[key]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class ObjectPath:
    """`s3://bucket/key`: an object, or a prefix standing for a folder."""

    __slots__ = ("bucket", "key")

    def __init__(self, uri: str, key: str | None = None):
        if key is None:
            if not uri.startswith(SCHEMES):
                raise ValueError(f"{uri!r} is not an s3:// URI")
            rest = uri[len("s3://"):]
            bucket, _, key = rest.partition("/")
        else:
            bucket = uri
        if not bucket:
            raise ObjectKeyError(f"{uri!r}: an object-store data root needs a bucket (s3://bucket/prefix)")
        parts = [p for p in key.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise ObjectKeyError(f"s3://{bucket}/{key}: '..' has no meaning in an object key")
        self.bucket, self.key = bucket, "/".join(parts)

    # -------------------------------------------------------------- pure path
    def __truediv__(self, other: Any) -> "ObjectPath":
        other = str(other)
        return ObjectPath(self.bucket, f"{self.key}/{other}" if self.key else other)

    joinpath = __truediv__

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def as_uri(self) -> str:
        return str(self)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ObjectPath) and (self.bucket, self.key) == (other.bucket, other.key)

    def __lt__(self, other: "ObjectPath") -> bool:
        return (self.bucket, self.key) < (other.bucket, other.key)

    def __hash__(self) -> int:
        return hash((self.bucket, self.key))

    def __reduce__(self):  # pickles as its URI: a Ray worker builds its own file system
        return (ObjectPath, (str(self),))

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def parent(self) -> "ObjectPath":
        return ObjectPath(self.bucket, self.key.rsplit("/", 1)[0] if "/" in self.key else "")

    def with_name(self, name: str) -> "ObjectPath":
        return self.parent / name

    def relative_to(self, other: "ObjectPath") -> PurePosixPath:
        if not isinstance(other, ObjectPath) or other.bucket != self.bucket or not (
                other.key == "" or self.key == other.key or self.key.startswith(other.key + "/")):
            raise ValueError(f"{self} is not under {other}")
        return PurePosixPath(self.key[len(other.key):].lstrip("/") or ".")

    def is_relative_to(self, other: "ObjectPath") -> bool:
        try:
            self.relative_to(other)
            return True
        except ValueError:
            return False

    def expanduser(self) -> "ObjectPath":
        return self

    def resolve(self) -> "ObjectPath":
        return self

    # -------------------------------------------------------------- I/O (pyarrow.fs)
    @property
    def fs(self):
        return filesystem(self.bucket)

    @property
    def fs_path(self) -> str:
        """The path pyarrow's file system uses (`bucket/key`)."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    def _info(self):
        try:
            return self.fs.get_file_info(self.fs_path)
        except OSError as error:
            raise _store_error(self, error) from None

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.Directory

    def stat(self) -> SimpleNamespace:
        import pyarrow.fs as pafs

        info = self._info()
        if info.type == pafs.FileType.NotFound:
            raise FileNotFoundError(str(self))
        mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
        return SimpleNamespace(st_size=info.size or 0, st_mtime=mtime, st_nlink=1)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Prefixes exist by holding objects: nothing to create."""

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            return handle.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> int:
        """One object, written whole: readers see the old object or the new one, never a part."""
        try:
            with self.fs.open_output_stream(self.fs_path) as handle:
                handle.write(data)
        except OSError as error:
            raise _store_error(self, error) from None
        return len(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        return self.write_bytes(text.encode(encoding))

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.delete_file(self.fs_path)
        except FileNotFoundError:
            if not missing_ok:
                raise FileNotFoundError(str(self)) from None
        except OSError as error:
            if missing_ok and "not found" in str(error).lower():
                return
            raise _store_error(self, error) from None

    def open(self, mode: str = "rb", encoding: str | None = None, **_: Any):
        """'rb': a stream (read in pieces: hashing a big shard does not hold it in memory);
        'r': the text, decoded; 'wb': an upload that becomes the object when closed."""
        try:
            if mode == "rb":
                return self.fs.open_input_stream(self.fs_path)
            if mode == "r":
                return io.StringIO(self.read_text(encoding or "utf-8"))
            if mode == "wb":
                return self.fs.open_output_stream(self.fs_path)
        except OSError as error:  # FileNotFoundError, or an S3 error naming a missing key
            text = str(error).lower()
            if isinstance(error, FileNotFoundError) or "not found" in text or "nosuchkey" in text:
                raise FileNotFoundError(str(self)) from None
            raise _store_error(self, error) from None
        raise ValueError(f"{self}: mode {mode!r} is not available on an object store")

    def _walk(self) -> list[Any]:
        import pyarrow.fs as pafs

        try:
            return self.fs.get_file_info(pafs.FileSelector(self.fs_path, recursive=True,
                                                           allow_not_found=True))
        except OSError as error:
            raise _store_error(self, error) from None

    def glob(self, pattern: str) -> Iterator["ObjectPath"]:
        """pathlib's glob for patterns of plain segments (`*`, `?`, `[...]`; no `**`)."""
        import pyarrow.fs as pafs

        wanted = pattern.split("/")
        if "**" in wanted:
            raise ValueError("ObjectPath.glob does not take '**'")
        base = self.fs_path.rstrip("/") + "/"
        out = []
        for info in self._walk():
            relative = info.path[len(base):] if info.path.startswith(base) else None
            if relative is None:
                continue
            parts = relative.split("/")
            # folders are implied by the keys below them; a pattern may name one (`*/`)
            if info.type == pafs.FileType.Directory and len(parts) != len(wanted):
                continue
            if len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted)):
                out.append(ObjectPath(self.bucket, info.path.split("/", 1)[1]))
        return iter(sorted(set(out)))

    def iterdir(self) -> Iterator["ObjectPath"]:
        import pyarrow.fs as pafs

        try:
            infos = self.fs.get_file_info(pafs.FileSelector(self.fs_path, recursive=False,
                                                            allow_not_found=True))
        except OSError as error:
            raise _store_error(self, error) from None
        return iter(sorted(ObjectPath(self.bucket, i.path.split("/", 1)[1]) for i in infos))

    def rglob_files(self) -> list["ObjectPath"]:
        """Every object under this prefix."""
        import pyarrow.fs as pafs

        return sorted(ObjectPath(self.bucket, i.path.split("/", 1)[1]) for i in self._walk()
                      if i.type == pafs.FileType.File)

    def copy_to(self, target: "ObjectPath") -> None:
        """Server-side copy (no bytes through this machine)."""
        try:
            self.fs.copy_file(self.fs_path, target.fs_path)
        except OSError as error:
            raise _store_error(self, error) from None

    # -------------------------------------------------------------- conditional requests (boto3)
    def create(self, data: bytes) -> str | None:
        """Write the object only if none exists (If-None-Match: *): its ETag, or None when
        another writer created it first."""
        try:
            return client().put_object(Bucket=self.bucket, Key=self.key, Body=data, IfNoneMatch="*")["ETag"]
        except Exception as error:  # noqa: BLE001 (botocore's ClientError, imported lazily)
            if _precondition_failed(error):
                return None
            raise _store_error(self, error) from None

    def replace(self, data: bytes, etag: str) -> str | None:
        """Overwrite the object only if it is still the one with `etag` (If-Match)."""
        try:
            return client().put_object(Bucket=self.bucket, Key=self.key, Body=data, IfMatch=etag)["ETag"]
        except Exception as error:  # noqa: BLE001
            if _precondition_failed(error) or _code(error) in ("NoSuchKey", "404"):
                return None
            raise _store_error(self, error) from None

    def delete_if(self, etag: str) -> bool:
        """Delete the object only if it is still the one with `etag`."""
        try:
            client().delete_object(Bucket=self.bucket, Key=self.key, IfMatch=etag)
            return True
        except Exception as error:  # noqa: BLE001
            if _precondition_failed(error) or _code(error) in ("NoSuchKey", "404"):
                return False
            raise _store_error(self, error) from None

    def get(self) -> tuple[bytes, str] | None:
        """(body, ETag), or None when there is no such object."""
        try:
            answer = client().get_object(Bucket=self.bucket, Key=self.key)
            return answer["Body"].read(), answer["ETag"]
        except Exception as error:  # noqa: BLE001
            if _code(error) in ("NoSuchKey", "404"):
                return None
            raise _store_error(self, error) from None


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _precondition_failed(error: BaseException) -> bool:
    # 409 ConditionalRequestConflict: a concurrent conditional write to the same key is in flight
    return _code(error) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


def _store_error(path: ObjectPath, error: BaseException) -> ObjectStoreError:
    text = _first_line(error)
    lowered = text.lower()
    if "nosuchbucket" in lowered or "bucket does not exist" in lowered or "no such bucket" in lowered:
        cause = f"bucket {path.bucket!r} does not exist"
    elif any(s in lowered for s in ("accessdenied", "access denied", "invalidaccesskeyid",
                                    "signaturedoesnotmatch", "forbidden", "credentials")):
        cause = f"access refused ({text}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
    elif any(s in lowered for s in ("connect", "resolve", "timed out", "timeout", "unreachable",
                                    "refused", "curl")):
        cause = f"endpoint {_endpoint() or 'of AWS'} unreachable ({text})"
    else:
        cause = text
    return ObjectStoreError(f"{path}: {cause}")


def arrow_dataset(files: list, schema: Any = None, sizes: dict[str, int] | None = None):
    """Shard files (local or object-store, not mixed) as one Arrow dataset; with `schema`, in
    that schema (shards written before a column existed read it as NULL). `sizes` (object key ->
    bytes, from the ledger) spares an object store one HEAD request per shard."""
    import pyarrow.dataset as ds

    if files and isinstance(files[0], ObjectPath):
        fs = files[0].fs
        if schema is None:
            return ds.dataset([f.fs_path for f in files], format="parquet", filesystem=fs)
        fmt = ds.ParquetFileFormat(default_fragment_scan_options=_scan_options())
        fragments = [fmt.make_fragment(f.fs_path, fs, file_size=(sizes or {}).get(f.fs_path))
                     for f in files]
        return _remote_dataset()(fragments, schema=schema, format=fmt, filesystem=fs)
    return ds.dataset([str(f) for f in files], format="parquet", schema=schema)


READAHEAD = int(os.environ.get("HELIX_S3_READAHEAD", "32"))


# byte ranges of one shard closer than this are fetched in one request: a round trip costs about
# what 256 KiB takes to transfer, and Arrow's default (8 KiB) makes a query that reads a few
# columns ask for each separately (bench/RESULTS_scale.md: 1.44 s -> 1.02 s, 100K instances)
COALESCE_BYTES = int(os.environ.get("HELIX_S3_COALESCE_BYTES", str(256 << 10)))


def _scan_options():
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.ParquetFragmentScanOptions(pre_buffer=True, cache_options=pa.CacheOptions(
        hole_size_limit=COALESCE_BYTES, range_size_limit=max(32 << 20, COALESCE_BYTES)))
_REMOTE_DATASET: list = []


def _remote_dataset():
    """A FileSystemDataset whose scans read many shards at once. Each shard costs a few
    round trips (footer, column chunks); Arrow's default of 4 shards in flight leaves a query over
    hundreds of shards waiting on latency. DuckDB builds its scan through `scanner(columns=...,
    filter=...)`, so the setting applies to every query of the catalog."""
    if not _REMOTE_DATASET:
        import pyarrow.dataset as ds

        class RemoteDataset(ds.FileSystemDataset):
            def scanner(self, *args: Any, **kwargs: Any):
                kwargs.setdefault("fragment_readahead", READAHEAD)
                return super().scanner(*args, **kwargs)

        _REMOTE_DATASET.append(RemoteDataset)
    return _REMOTE_DATASET[0]


def parquet_source(path: Any):
    """What pyarrow.parquet reads `path` from: a random-access file for an object (footer first,
    then only the column chunks asked for), the path itself for a local file."""
    if isinstance(path, ObjectPath):
        try:
            return path.fs.open_input_file(path.fs_path)
        except FileNotFoundError:
            raise FileNotFoundError(str(path)) from None
    return path


def move(source: Any, target: Any) -> None:
    """Rename within a folder; on an object store, a server-side copy and a delete."""
    if isinstance(source, ObjectPath):
        source.copy_to(target)
        source.unlink(missing_ok=True)
        return
    os.replace(source, target)


def as_path(root: Any):
    """A data root as the store uses it: an ObjectPath for `s3://...`, else a local Path."""
    from pathlib import Path

    if isinstance(root, ObjectPath):
        return root
    if isinstance(root, str) and root.startswith(SCHEMES):
        return ObjectPath(root)
    return Path(root)


class LockLost(ObjectStoreError):
    pass


def _lock_body(holder: str, ttl_s: float) -> bytes:
    import json
    import time

    return json.dumps({"holder": holder, "expires_at": time.time() + ttl_s}).encode()


def object_lock(path: ObjectPath, holder: str, *, timeout_s: float, poll_s: float, announce,
                ttl_s: float | None = None):
    """An exclusive lock that is an object: created only if absent, renewed with If-Match every
    third of its lifetime by a thread, deleted when released. A holder that dies stops renewing;
    once its lifetime (`ttl_s`, default HELIX_OBJECT_LOCK_TTL_S, 60 s) has passed, a waiter
    deletes it (If-Match: only that stale copy) and takes the lock."""
    import json
    import time
    from contextlib import contextmanager

    ttl = float(os.environ.get("HELIX_OBJECT_LOCK_TTL_S", "60")) if ttl_s is None else ttl_s

    @contextmanager
    def held():
        started = time.monotonic()
        next_note = started
        while True:
            etag = path.create(_lock_body(holder, ttl))
            if etag is not None:
                break
            current = path.get()
            if current is None:
                continue  # released meanwhile
            body, tag = current
            try:
                info = json.loads(body)
                expires, other = float(info["expires_at"]), str(info["holder"])
            except (ValueError, KeyError, TypeError):
                expires, other = 0.0, "an unreadable lock object"
            if expires < time.time():
                path.delete_if(tag)  # its holder stopped renewing it: gone
                continue
            waited = time.monotonic() - started
            if waited > timeout_s:
                raise LockLost(f"{other} has held the writer lock {path} for longer than this "
                               f"command waits ({timeout_s:.0f} s); try again when it is done")
            if time.monotonic() >= next_note:
                announce(f"helix: waiting for the writer lock of {path.parent}: held by {other} "
                         f"(waited {waited:.0f} s of at most {timeout_s:.0f} s)")
                next_note += 60.0
            time.sleep(poll_s)
        state = {"etag": etag, "lost": False}
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(ttl / 3):
                tag = path.replace(_lock_body(holder, ttl), state["etag"])
                if tag is None:
                    state["lost"] = True
                    return
                state["etag"] = tag

        thread = threading.Thread(target=renew, name="helix-lock-renew", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            if not state["lost"]:
                path.delete_if(state["etag"])
        if state["lost"]:
            raise LockLost(f"the writer lock {path} was taken over while held (renewals failed "
                           f"for over {ttl:.0f} s); check the store with `helix check`")

    return held()


def save_figure(fig: Any, path: Any, **options: Any) -> None:
    """`fig.savefig` to a local path, or into one object (matplotlib writes to a buffer first)."""
    if isinstance(path, ObjectPath):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=path.suffix.lstrip(".") or "png", **options)
        path.write_bytes(buffer.getvalue())
        return
    fig.savefig(path, **options)
