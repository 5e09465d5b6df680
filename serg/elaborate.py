"""An async client for any OpenAI-compatible chat endpoint (vLLM's `vllm serve`, hosted APIs).

Bounded concurrency (a semaphore), a per-request timeout, and retries with jittered exponential
backoff on 429, 5xx, timeouts, dropped connections and malformed bodies, honouring `Retry-After`.
Other 4xx (bad request, auth, unknown model) are not retried. Every completion carries its token
counts, latency and attempt count; a request that fails after its retries comes back with
`error` set instead of raising, so one bad instance never sinks a batch.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from generators.base import canonical_json, stable_hash


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
    timeout_s: float = Field(600.0, gt=0, description="per-request timeout")
    max_retries: int = Field(6, ge=0, le=100)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    retry_budget_s: float = Field(900.0, gt=0, description="give up retrying one request after this")
    price_in_per_mtok: float | None = Field(None, description="USD per million prompt tokens")
    price_out_per_mtok: float | None = Field(None, description="USD per million completion tokens")


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


def retry_after(error: Exception) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or HTTP date, or retry-after-ms)."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed else None


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
        # retries are ours (to honour Retry-After and count attempts), not the library's
        self._client = openai.AsyncOpenAI(base_url=self.endpoint.base_url,
                                          api_key=self._key.get_secret_value(),
                                          timeout=self.endpoint.timeout_s, max_retries=0)
        self._semaphore = asyncio.Semaphore(self.in_flight)
        return self

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
        assert self._client is not None and self._semaphore is not None, "use `async with`"
        started = time.perf_counter()
        last_error = ""
        for attempt in range(self.endpoint.max_retries + 1):
            async with self._semaphore:
                t0 = time.perf_counter()
                try:
                    response = await self._client.chat.completions.create(
                        model=self.endpoint.model, messages=messages,
                        temperature=sampling.temperature, top_p=sampling.top_p,
                        max_tokens=sampling.max_tokens,
                        **({"seed": sampling.seed} if sampling.seed is not None else {}))
                    choice = response.choices[0]
                    usage = response.usage
                    return Completion(
                        text=choice.message.content or "", finish_reason=choice.finish_reason or "",
                        tokens_in=getattr(usage, "prompt_tokens", None),
                        tokens_out=getattr(usage, "completion_tokens", None),
                        latency_s=time.perf_counter() - t0, attempts=attempt + 1)
                except RETRYABLE as error:
                    last_error = _describe(error)
                    wait = self._backoff(attempt, error)
                except openai.APIStatusError as error:
                    if error.status_code in (408, 409):  # request timeout, lock conflict: transient
                        last_error = _describe(error)
                        wait = self._backoff(attempt, error)
                    else:  # 400, 401, 404, ...: retrying cannot help
                        return Completion(text=None, attempts=attempt + 1, error=_describe(error),
                                          latency_s=time.perf_counter() - started)
                except (ValueError, KeyError, IndexError, AttributeError, TypeError) as error:
                    # a 200 whose body is not a chat completion (malformed JSON, no choices)
                    last_error = f"malformed response: {type(error).__name__}: {str(error)[:200]}"
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
