"""Pieces shared by the command groups: one-line usage errors, the parser class, argument types,
data roots."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import ValidationError


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(message)


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where.replace('_', '-')}: {message}" if where else message


def level(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"level must be an integer 1..5, got {text!r}") from None


def default_root() -> str:
    """The data root when --data-root is not given ($HELIX_DATA_ROOT or ./data)."""
    from storage.shards import resolve_root

    return str(resolve_root(None))


def existing_root(data_root: str | None) -> Path:
    """The data root of a reading command: a typo must not read as an empty store."""
    from storage.shards import resolve_root

    root = resolve_root(data_root)
    if not root.is_dir():
        raise UsageError(f"data root {root} does not exist (--data-root or $HELIX_DATA_ROOT)")
    return root


def writable_root(data_root: str | None) -> Path:
    """The data root of a writing command: one it cannot write to is bad usage, before any work."""
    from storage.shards import DataRootError, ensure_writable, resolve_root

    root = resolve_root(data_root)
    try:
        ensure_writable(root)
    except DataRootError as error:
        raise UsageError(str(error)) from None
    return root
