"""``serve-shop`` against hostile requests: every one gets an HTTP answer or a clean close, never a traceback,
a hung worker or a thread per connection (waitress: fixed worker pool, idle timeout, size limits)."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from tui_agent.envs.shop import server as shop_server


@pytest.fixture
def srv(monkeypatch, capfd):
    monkeypatch.setattr(shop_server, "IDLE_TIMEOUT_S", 2, raising=False)
    s = shop_server.make_server("127.0.0.1", 0, split="test", goal_index=0)
    thread = threading.Thread(target=s.serve_forever, daemon=True)
    thread.start()
    yield s
    s.shutdown()
    thread.join(5)
    assert "Traceback" not in capfd.readouterr().err


def raw(srv, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection; return all bytes until the server closes or answers."""
    port = int(srv.url.rsplit(":", 1)[1].rstrip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        chunks = []
        try:
            sock.sendall(data)
        except ConnectionError:  # the server answered and closed before reading it all
            pass
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b"Connection: close" not in data:
                    break
        except (TimeoutError, ConnectionError):
            pass
        return b"".join(chunks)


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


def new_session_path(srv) -> str:
    response = raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status(response) == 303
    location = next(line for line in response.split(b"\r\n") if line.lower().startswith(b"location:"))
    return urlsplit(location.split(b":", 1)[1].strip().decode()).path


@pytest.mark.parametrize("query", ["goal=%C2%B2", "goal=" + "9" * 5000, "goal=-1", "goal=1e9", "split=%00"])
def test_odd_goal_parameters_start_a_session(srv, query):
    response = raw(srv, f"GET /?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status(response) in (303, 414, 431), response[:200]


@pytest.mark.parametrize("length", ["abc", "-5", "99999999999999999999", "1e3"])
def test_bad_content_length_is_refused(srv, length):
    path = new_session_path(srv)
    response = raw(srv, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                        f"Connection: close\r\n\r\naction=click".encode())
    assert status(response) in (400, 413), response[:200]


def test_short_body_does_not_hang_a_worker(srv):
    path = new_session_path(srv)
    started = time.monotonic()
    # says 100 bytes, sends 5, then waits: the idle timeout closes it
    raw(srv, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nactio".encode(), timeout=10)
    assert time.monotonic() - started < 9
    # and the server still answers others
    assert status(raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 303


def test_oversized_body_is_refused(srv):
    path = new_session_path(srv)
    body = b"keywords=" + b"a" * 100_000
    response = raw(srv, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                        f"Connection: close\r\n\r\n".encode() + body)
    assert status(response) == 413


def test_many_half_open_connections_cost_no_threads(srv):
    before = threading.active_count()
    port = int(srv.url.rsplit(":", 1)[1].rstrip("/"))
    socks = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        socks.append(s)
    try:
        time.sleep(0.5)
        assert threading.active_count() <= before + 1
    finally:
        for s in socks:
            s.close()
    assert status(raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 303


def test_unknown_session_and_garbage_request_line(srv):
    assert status(raw(srv, b"GET /s/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 404
    assert status(raw(srv, b"\x00\x01garbage\r\n\r\n")) in (0, 400)


# --- issue 24 row 10: a request must arrive whole in bounded time ------------------------------------------


def test_a_client_sending_headers_slowly_is_cut_off_and_logged(caplog):
    """Slowloris: a header line every 0.2 s never lets the idle timeout fire; the request deadline does."""
    import logging
    import select

    s = shop_server.make_server("127.0.0.1", 0, split="test", goal_index=0, request_timeout=1.0)
    thread = threading.Thread(target=s.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.WARNING, logger=shop_server.__name__)
    try:
        port = int(s.url.rsplit(":", 1)[1].rstrip("/"))
        sent, closed = 0, False
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for sent in range(1, 101):  # at most 20 s of trickling; the deadline is 1 s
                try:
                    sock.sendall(f"X-Slow-{sent}: y\r\n".encode())
                    if select.select([sock], [], [], 0.2)[0] and sock.recv(4096) == b"":
                        closed = True
                except ConnectionError:
                    closed = True
                if closed:
                    break
        assert closed and sent < 100
        assert any("did not arrive whole" in r.getMessage() for r in caplog.records)
        ok = raw(s, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # others are still served
        assert status(ok) == 303
    finally:
        s.shutdown()
        thread.join(5)
