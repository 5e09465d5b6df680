"""Versioned prompt templates (serg/prompts/<mode>-<version>.{system,user}.txt) -> chat messages.

The template version is stored with every trace and is part of the cache key, so a changed
prompt never reuses an old response. Images go as base64 PNG data URLs for multimodal models;
text-only models get the text-only question variant instead.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal

PROMPTS = Path(__file__).resolve().parent / "prompts"
Mode = Literal["elaborate", "direct"]
DEFAULT_VERSION = {"elaborate": "elaborate-v1", "direct": "direct-v1"}


@lru_cache(maxsize=32)
def template(version: str) -> tuple[str, str]:
    system, user = PROMPTS / f"{version}.system.txt", PROMPTS / f"{version}.user.txt"
    if not system.exists() or not user.exists():
        known = sorted({p.name.split(".")[0] for p in PROMPTS.glob("*.txt")})
        raise ValueError(f"unknown prompt version {version!r}; known: {', '.join(known)}")
    return system.read_text().strip(), user.read_text().strip()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def build_messages(version: str, *, question: str, question_text: str, answer_format: str,
                   skeleton: str | None, images: list[bytes], multimodal: bool) -> list[dict]:
    system, user = template(version)
    needs_skeleton = "{skeleton}" in user
    if needs_skeleton and skeleton is None:
        raise ValueError(f"prompt {version} needs a skeleton")
    text = user.format(question=question if multimodal else question_text,
                       skeleton=skeleton or "", answer_format=answer_format)
    if multimodal and images:
        content: list[dict] | str = [{"type": "image_url", "image_url": {"url": data_url(png)}}
                                     for png in images]
        content.append({"type": "text", "text": text})
    else:
        content = text
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]
