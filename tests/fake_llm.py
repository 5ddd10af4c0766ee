"""Test helpers without torch: a hash embedder and a local OpenAI-compatible server with chosen faults.

``FakeLLMServer(mode)`` answers ``POST /v1/chat/completions`` (streamed or not) on 127.0.0.1:

* ``ok``: streams ``answer`` in pieces, then ``finish_reason: "stop"`` and ``[DONE]``;
* ``cut``: streams half of ``answer`` and closes the connection (no finish_reason, no [DONE]);
* ``no_finish``: streams all of ``answer`` and ``[DONE]`` but never a ``finish_reason``;
* ``length``: streams ``answer`` and ends with ``finish_reason: "length"``;
* ``garbage``: a 200 with a body that is not an event stream;
* ``blackhole``: reads the request and never answers (until the server stops);
* ``401`` / ``404`` / ``429`` / ``500``: that status with an OpenAI-style error body.

``server.requests`` counts the requests received; ``server.auth`` the Authorization headers seen;
``server.bodies`` the JSON bodies received (the messages the model was sent).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

DIM = 384


class FakeEmbedder:
    """Deterministic unit vectors from a hash of the text (no model, no torch)."""

    def load(self) -> None:
        pass

    def encode(self, texts) -> np.ndarray:
        return np.stack([self.encode_one(t) for t in texts]) if len(texts) else np.zeros((0, DIM), np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
        return v / np.linalg.norm(v)


def _chunk(content: str | None, finish: str | None) -> bytes:
    delta = {"content": content} if content is not None else {}
    body = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class FakeLLMServer:
    def __init__(self, mode: str = "ok", answer: str = "The capital of France is Paris.", pieces: int = 6) -> None:
        self.mode, self.answer, self.pieces = mode, answer, pieces
        self.requests = 0
        self.auth: list[str | None] = []
        self.bodies: list[dict] = []
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                outer.requests += 1
                outer.auth.append(self.headers.get("Authorization"))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                outer.bodies.append(body)
                outer.handle(self, body)

            do_GET = do_POST  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        mode = self.mode
        if mode == "blackhole":
            self._stop.wait(120)
            return
        if mode in ("401", "404", "429", "500"):
            payload = json.dumps({"error": {"message": f"fake error {mode}", "type": "fake", "code": mode}}).encode()
            h.send_response(int(mode))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        if mode == "garbage":
            payload = b"\x00\xff this is not json {{{{\n\n" * 10
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        if not body.get("stream"):
            payload = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                                  "choices": [{"index": 0, "message": {"role": "assistant", "content": self.answer},
                                               "finish_reason": "stop"}]}).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        text = self.answer
        size = max(1, len(text) // self.pieces)
        parts = [text[i:i + size] for i in range(0, len(text), size)]
        if mode == "cut":
            parts = parts[: max(1, len(parts) // 2)]
        for part in parts:
            h.wfile.write(_chunk(part, None))
            h.wfile.flush()
            time.sleep(0.005)
        if mode == "cut":
            h.close_connection = True
            return
        if mode != "no_finish":
            h.wfile.write(_chunk(None, "length" if mode == "length" else "stop"))
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
        h.close_connection = True
