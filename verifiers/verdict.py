"""The verdict every verifier returns, and the errors a task's checker raises."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Status = Literal["ok", "unparsable", "wrong", "verifier_error"]


class Verdict(BaseModel):
    correct: bool
    status: Status
    reason: str = ""
    parsed: str | None = None

    @classmethod
    def accept(cls, parsed: str | None = None, reason: str = "") -> "Verdict":
        return cls(correct=True, status="ok", reason=reason, parsed=parsed)

    @classmethod
    def reject(cls, reason: str, parsed: str | None = None) -> "Verdict":
        return cls(correct=False, status="wrong", reason=reason, parsed=parsed)

    @classmethod
    def unparsable(cls, reason: str, parsed: str | None = None) -> "Verdict":
        return cls(correct=False, status="unparsable", reason=reason, parsed=parsed)


class Unparsable(ValueError):
    """Raised by a checker when the answer text is not in the task's answer format."""
