"""TEST DOUBLE: a real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions API.

It answers each request by asking a `policy(user_text, attempt)` callable what to do: return a
text, or inject a fault (429 with Retry-After, 500, a slow answer past the client's timeout,
malformed JSON, a reset connection). It counts requests and the most requests in flight at once.
Only tests use it; it stands at the network boundary, where the real endpoint (vLLM) would be.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    kind: str = "ok"  # ok | status | slow | malformed | reset | trickle | echo_auth
    text: str = ""
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


Policy = Callable[[str, int], Reply]


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default listen backlog of 5 drops connections at 32+ in flight
    daemon_threads = True


class OpenAIDouble:
    def __init__(self, policy: Policy, models: tuple[str, ...] = ("double-7b",)):
        self.policy = policy
        self.models = models
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.attempts: dict[str, int] = {}
        self.seen_bodies: list[dict] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "OpenAIDouble":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    payload = json.dumps({"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "test-double"}
                        for m in double.models]}).encode()
                    self._send(200, payload, {})
                else:
                    self._send(404, b'{"error": {"message": "not found"}}', {})

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                user = body["messages"][-1]["content"]
                if isinstance(user, list):
                    user = "\n".join(part.get("text", "") for part in user if part.get("type") == "text")
                with double._lock:
                    double.requests += 1
                    double.in_flight += 1
                    double.max_in_flight = max(double.max_in_flight, double.in_flight)
                    attempt = double.attempts.get(user, 0)
                    double.attempts[user] = attempt + 1
                    double.seen_bodies.append(body)
                try:
                    self._answer(body, double.policy(user, attempt))
                finally:
                    with double._lock:
                        double.in_flight -= 1

            def _answer(self, body: dict, reply: Reply):
                if reply.delay and reply.kind != "trickle":
                    time.sleep(reply.delay)
                if reply.kind == "reset":
                    # SO_LINGER 0: close sends a TCP RST instead of a response
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if reply.kind == "status":
                    payload = json.dumps({"error": {"message": f"injected {reply.status}",
                                                    "type": "test_double"}}).encode()
                    self._send(reply.status, payload, reply.headers)
                    return
                if reply.kind == "echo_auth":  # a careless gateway repeating the request's headers
                    payload = json.dumps({"error": {"message": "denied for Authorization: "
                                                    + self.headers.get("authorization", "")}}).encode()
                    self._send(reply.status if reply.status != 200 else 500, payload, reply.headers)
                    return
                if reply.kind == "trickle":  # a complete answer, one byte every `delay` seconds
                    payload = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                                          "choices": [{"index": 0, "finish_reason": "stop",
                                                       "message": {"role": "assistant", "content": reply.text}}]}).encode()
                    try:
                        self.send_response(200)
                        self.send_header("content-type", "application/json")
                        self.send_header("content-length", str(len(payload)))
                        self.end_headers()
                        for k in range(len(payload)):
                            self.wfile.write(payload[k:k + 1])
                            self.wfile.flush()
                            time.sleep(reply.delay or 1.0)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                if reply.kind == "malformed":
                    self._send(200, b'{"id": "x", "choices": [ {"message": ', {})
                    return
                prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4
                payload = json.dumps({
                    "id": "chatcmpl-double", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "double"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.text}}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(reply.text) // 4,
                              "total_tokens": prompt_tokens + len(reply.text) // 4},
                }).encode()
                self._send(200, payload, {})

            def _send(self, status: int, payload: bytes, headers: dict):
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

        return Handler
