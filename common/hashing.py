"""Content hashing shared by every stage: generation seeds, instance ids, config and run hashes.

Neutral ground: generators, storage, serg, training and flows all hash, and none of them should
have to import another stage's contract to do it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: one text per value, whatever the dict order."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stable_hash(*parts: Any, digest_size: int = 8) -> str:
    """Hex blake2b over the canonical JSON of `parts` (independent of PYTHONHASHSEED)."""
    data = canonical_json(list(parts)).encode()
    return hashlib.blake2b(data, digest_size=digest_size).hexdigest()
