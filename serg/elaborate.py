"""An async client for any OpenAI-compatible chat endpoint (vLLM's `vllm serve`, hosted APIs).

Bounded concurrency (a semaphore), a deadline per request (the whole response, not each read),
a cap on the response's size, and retries with jittered exponential backoff on 429, 5xx,
timeouts, dropped connections and malformed bodies, honouring `Retry-After` (RFC 9110: seconds or
an HTTP date; anything else means the default backoff; never longer than `backoff_max_s`). Other
4xx (bad request, auth, unknown model) are not retried. Every completion carries its token
counts, latency and attempt count; a request that fails comes back with `error` set (the API key
scrubbed from it) instead of raising, whatever went wrong, so one bad instance never sinks a
batch and answers already paid for are kept.

Which endpoints may receive which key is the operator's call, not the caller's: `api_key_env` must
be one of HELIX_ALLOWED_KEY_ENVS (default OPENAI_API_KEY, HELIX_API_KEY) and, when
HELIX_ALLOWED_ENDPOINTS is set (comma-separated URL prefixes), `base_url` must start with one of
them. Flow parameters (anyone who can start a run sets them) cannot widen either list.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import os
import random
import re
import time
from datetime import timezone
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from common.hashing import canonical_json, stable_hash


class Endpoint(BaseModel):
    """Where and how to call the model. The key is never stored: it comes from the environment
    variable `api_key_env` or a Prefect Secret block named `api_key_block`."""

    model_config = ConfigDict(extra="forbid")
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1 for `vllm serve`")
    model: str = Field(description="the served model name")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    api_key_block: str | None = Field(None, description="Prefect Secret block holding the key")
    multimodal: bool = Field(False, description="send pictures as data URLs (else the text variant)")
    max_in_flight: int = Field(32, ge=1, le=4096, description="requests in flight, all workers together")
    timeout_s: float = Field(600.0, gt=0, description="deadline of one request, the whole response")
    max_response_chars: int = Field(2_000_000, ge=1, description="longer responses are refused, "
                                    "not stored (a reply of 32K tokens is ~130K characters)")
    max_retries: int = Field(6, ge=0, le=100)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    retry_budget_s: float = Field(900.0, gt=0, description="give up retrying one request after this")
    price_in_per_mtok: float | None = Field(None, description="USD per million prompt tokens")
    price_out_per_mtok: float | None = Field(None, description="USD per million completion tokens")

    @model_validator(mode="after")
    def _allowed(self) -> "Endpoint":
        keys = allowed_key_envs()
        if self.api_key_env not in keys:
            raise ValueError(f"api_key_env {self.api_key_env!r} is not an allowed key variable "
                             f"({', '.join(sorted(keys))}; the operator sets HELIX_ALLOWED_KEY_ENVS)")
        prefixes = allowed_endpoints()
        if prefixes and not any(self.base_url.startswith(p) for p in prefixes):
            raise ValueError(f"base_url {self.base_url!r} is not an allowed endpoint (the operator "
                             "sets HELIX_ALLOWED_ENDPOINTS)")
        return self


def allowed_key_envs() -> set[str]:
    raw = os.environ.get("HELIX_ALLOWED_KEY_ENVS", "OPENAI_API_KEY,HELIX_API_KEY")
    return {v.strip() for v in raw.split(",") if v.strip()}


def allowed_endpoints() -> list[str]:
    return [v.strip() for v in os.environ.get("HELIX_ALLOWED_ENDPOINTS", "").split(",") if v.strip()]


def share_in_flight(max_in_flight: int, workers: int, chunks: int) -> tuple[int, int]:
    """(chunks at once, requests in flight per chunk) whose product never exceeds
    `max_in_flight`: the limit is the endpoint's, all workers together."""
    slots = max(1, min(workers, chunks, max_in_flight))
    return slots, max(1, max_in_flight // slots)


class Sampling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(8192, ge=1)
    seed: int | None = None

    def key(self) -> str:
        return stable_hash("sampling", self.model_dump(), digest_size=6)

    def as_json(self) -> str:
        return canonical_json(self.model_dump())


class Completion(BaseModel):
    text: str | None
    finish_reason: str = ""
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_s: float = 0.0
    attempts: int = 0
    error: str = ""


RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
             openai.APIConnectionError, openai.APIResponseValidationError)


def resolve_api_key(endpoint: Endpoint) -> SecretStr:
    """The key from a Prefect Secret block or the environment; 'EMPTY' for keyless local servers."""
    if endpoint.api_key_block:
        from prefect.blocks.system import Secret

        return SecretStr(Secret.load(endpoint.api_key_block).get())
    return SecretStr(os.environ.get(endpoint.api_key_env) or "EMPTY")


_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")  # RFC 9110's delay-seconds (decimals tolerated)


def retry_after(error: Exception) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, or `Retry-After` as delay-seconds or
    an HTTP date (RFC 9110 10.2.3). Anything else (`soon`, `nan`, `-5`, `1e9`) is no answer: the
    default backoff applies. Never raises."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms)
            if math.isfinite(value) and value >= 0:
                return value / 1000
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when.timestamp() - time.time(), 0.0)


class ResponseTooLarge(Exception):
    pass


class ElaborationClient:
    """Use as `async with ElaborationClient(endpoint, in_flight=8) as client: await client.complete(...)`."""

    def __init__(self, endpoint: Endpoint, *, in_flight: int | None = None,
                 api_key: SecretStr | None = None, rng: random.Random | None = None):
        self.endpoint = endpoint
        self.in_flight = in_flight or endpoint.max_in_flight
        self._key = api_key or resolve_api_key(endpoint)
        self._rng = rng or random.Random(0)
        self._client: openai.AsyncOpenAI | None = None
        self._semaphore: asyncio.Semaphore | None = None

    async def __aenter__(self) -> "ElaborationClient":
        limit = 4 * self.endpoint.max_response_chars + 65536  # bytes: JSON escapes, the envelope

        async def refuse_large(response) -> None:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                await response.aclose()
                raise ResponseTooLarge(f"response of {int(length):,} bytes refused "
                                       f"(max_response_chars {self.endpoint.max_response_chars:,})")

        # retries are ours (to honour Retry-After and count attempts), not the library's
        self._client = openai.AsyncOpenAI(
            base_url=self.endpoint.base_url, api_key=self._key.get_secret_value(),
            timeout=self.endpoint.timeout_s, max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(timeout=self.endpoint.timeout_s,
                                                       event_hooks={"response": [refuse_large]}))
        self._semaphore = asyncio.Semaphore(self.in_flight)
        return self

    def scrub(self, text: str) -> str:
        """An error text without the key (an endpoint may echo the Authorization header)."""
        key = self._key.get_secret_value()
        if key and key != "EMPTY" and len(key) >= 4:
            text = text.replace(key, "[redacted]")
        return re.sub(r"(?i)(bearer\s+)[^\s\"',}]+", r"\1[redacted]", text)

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.close()

    def _backoff(self, attempt: int, error: Exception) -> float:
        asked = retry_after(error)
        if asked is not None:
            return min(asked, self.endpoint.backoff_max_s)
        ceiling = min(self.endpoint.backoff_max_s, self.endpoint.backoff_base_s * 2 ** attempt)
        return self._rng.uniform(0, ceiling)  # full jitter

    async def complete(self, messages: list[dict[str, Any]], sampling: Sampling) -> Completion:
        """One chat completion with retries. Never raises: whatever goes wrong comes back as a
        Completion with `error` set."""
        try:
            return await self._complete(messages, sampling)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 (a failure of one request must not sink its batch)
            return Completion(text=None, error=self.scrub(f"client error: {_describe(error)}"))

    async def _complete(self, messages: list[dict[str, Any]], sampling: Sampling) -> Completion:
        assert self._client is not None and self._semaphore is not None, "use `async with`"
        started = time.perf_counter()
        last_error = ""
        deadline = self.endpoint.timeout_s
        for attempt in range(self.endpoint.max_retries + 1):
            async with self._semaphore:
                t0 = time.perf_counter()
                try:
                    # the deadline covers the whole response: a server trickling a byte a second
                    # passes every per-read timeout
                    response = await asyncio.wait_for(self._client.chat.completions.create(
                        model=self.endpoint.model, messages=messages,
                        temperature=sampling.temperature, top_p=sampling.top_p,
                        max_tokens=sampling.max_tokens,
                        **({"seed": sampling.seed} if sampling.seed is not None else {})), deadline)
                    choice = response.choices[0]
                    usage = response.usage
                    text = choice.message.content or ""
                    if len(text) > self.endpoint.max_response_chars:
                        raise ResponseTooLarge(f"response of {len(text):,} characters refused "
                                               f"(max_response_chars {self.endpoint.max_response_chars:,})")
                    return Completion(
                        text=text, finish_reason=choice.finish_reason or "",
                        tokens_in=getattr(usage, "prompt_tokens", None),
                        tokens_out=getattr(usage, "completion_tokens", None),
                        latency_s=time.perf_counter() - t0, attempts=attempt + 1)
                except ResponseTooLarge as error:  # the same request would get the same answer
                    return Completion(text=None, attempts=attempt + 1, error=str(error),
                                      latency_s=time.perf_counter() - started)
                except asyncio.TimeoutError as error:
                    last_error = f"no complete response within {deadline:g} s"
                    wait = self._backoff(attempt, error)
                except RETRYABLE as error:
                    last_error = self.scrub(_describe(error))
                    wait = self._backoff(attempt, error)
                except openai.APIStatusError as error:
                    if error.status_code in (408, 409):  # request timeout, lock conflict: transient
                        last_error = self.scrub(_describe(error))
                        wait = self._backoff(attempt, error)
                    else:  # 400, 401, 404, ...: retrying cannot help
                        return Completion(text=None, attempts=attempt + 1, error=self.scrub(_describe(error)),
                                          latency_s=time.perf_counter() - started)
                except (ValueError, KeyError, IndexError, AttributeError, TypeError) as error:
                    # a 200 whose body is not a chat completion (malformed JSON, no choices)
                    last_error = self.scrub(f"malformed response: {type(error).__name__}: {str(error)[:200]}")
                    wait = self._backoff(attempt, error)
            if attempt == self.endpoint.max_retries:
                break
            if time.perf_counter() - started + wait > self.endpoint.retry_budget_s:
                last_error += " (retry budget spent)"
                break
            await asyncio.sleep(wait)  # outside the semaphore: a waiting request holds no slot
        return Completion(text=None, attempts=attempt + 1, error=last_error,
                          latency_s=time.perf_counter() - started)


def _describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return (f"HTTP {status}: " if status else f"{type(error).__name__}: ") + text[:300]


class EndpointError(RuntimeError):
    """The endpoint cannot serve this run (unreachable, refuses the key, lacks the model)."""


def preflight(endpoint: Endpoint, timeout_s: float = 10.0) -> None:
    """Fail fast, before any work: is the server there, does it take the key, does it serve the
    model? Servers without a model list (404/405/501) are given the benefit of the doubt."""
    client = openai.OpenAI(base_url=endpoint.base_url, max_retries=1, timeout=timeout_s,
                           api_key=resolve_api_key(endpoint).get_secret_value())
    try:
        served = [m.id for m in client.models.list()]
    except (openai.APIConnectionError, openai.APITimeoutError) as error:
        raise EndpointError(f"endpoint {endpoint.base_url} is unreachable: {_describe(error)}") from None
    except openai.AuthenticationError:
        raise EndpointError(f"endpoint {endpoint.base_url} refused the API key "
                            f"(from ${endpoint.api_key_env} or the Secret block)") from None
    except openai.APIStatusError as error:
        if error.status_code in (404, 405, 501):
            return
        raise EndpointError(f"endpoint {endpoint.base_url}: {_describe(error)}") from None
    finally:
        client.close()
    if served and endpoint.model not in served:
        raise EndpointError(f"endpoint {endpoint.base_url} does not serve model {endpoint.model!r}; "
                            f"it serves: {', '.join(served[:10])}")
