"""The packaged English word list (verifiers/puzzles/words.txt, read by the word tasks' generators
and by the word ladder verifier alike; source and license in verifiers/puzzles/WORDS_NOTICE.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parents[2] / "verifiers" / "puzzles" / "words.txt"


@lru_cache(maxsize=1)
def all_words() -> tuple[str, ...]:
    """Every word, lowercase, in file order (sorted)."""
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


@lru_cache(maxsize=16)
def words_of_length(length: int) -> tuple[str, ...]:
    return tuple(w for w in all_words() if len(w) == length)
