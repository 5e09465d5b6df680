"""The packaged English word list (verifiers/puzzles/words.txt; source and license in
verifiers/puzzles/WORDS_NOTICE.md). The word tasks read the same file when they make puzzles."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parent / "words.txt"


@lru_cache(maxsize=1)
def word_set() -> frozenset[str]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))
