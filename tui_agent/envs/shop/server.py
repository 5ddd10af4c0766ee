"""The shop as HTML pages on localhost, so a person can browse what the agent sees.

``serve(host, port, ...)`` blocks and serves (``tui-agent serve-shop`` calls it);
``make_server(...)`` returns a bound :class:`ShopServer` without serving (tests,
embedding). A Flask app (as WebShop's own ``web_agent_site/app.py``) with a
Jinja template (``templates/shop.html``, autoescaped: nothing from the user or
the catalog is emitted raw), served by waitress — a fixed pool of worker
threads behind an asynchronous socket layer, with an idle timeout, a
connection limit and header/body size limits, so malformed or half-open
requests cost neither a thread nor a traceback. A request must arrive whole
(headers and body) within ``REQUEST_TIMEOUT_S`` of its first byte, or its
connection is closed with a warning in the log: the idle timeout alone let a
client that sends a header line every few seconds hold a connection forever,
and 100 such clients filled the connection limit (issue 24 row 10). Every page is the same
:class:`~tui_agent.envs.shop.pages.ShopSession` the env uses, with the
agent's text observation and available actions underneath.

Routes::

    GET  /                       new session (query: split=test|train|eval, goal=<index>)
    GET  /s/<session>            the session's current page
    POST /s/<session>            form field action=<"click[...]" | "search[...]"> or
                                 keywords=<text>; then 303 back to the page
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import OrderedDict
import logging
import time
from typing import Any

from .catalog import SPLITS, Catalog, load_catalog
from .pages import ShopSession, price_tag
from .search import engine_for

MAX_SESSIONS = 500
MAX_BODY = 16_384  # bytes of a POST body
MAX_HEADER = 16_384  # bytes of a request's headers
IDLE_TIMEOUT_S = 30  # seconds before an idle (or half-open) connection is closed
REQUEST_TIMEOUT_S = 10.0  # seconds from a request's first byte to its last (headers and body)
MAX_CONNECTIONS = 100  # open connections; more wait in the listen backlog
WORKER_THREADS = 4
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

__all__ = ["ShopServer", "create_app", "make_server", "serve"]

log = logging.getLogger(__name__)


class ShopState:
    """Catalog, search engine and the open shopping sessions (oldest dropped past ``MAX_SESSIONS``)."""

    def __init__(self, catalog: Catalog, split: str, goal_index: int | None, seed: int | None):
        self.catalog, self.engine = catalog, engine_for(catalog)
        self.split, self.goal_index = split, goal_index
        self.rng = random.Random(seed)
        self.sessions: OrderedDict[str, tuple[ShopSession, dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()

    def new_session(self, split: str | None, goal_index: int | None) -> str:
        split = split if split in SPLITS else self.split
        with self.lock:
            if goal_index is None:
                goal_index = self.goal_index
            if goal_index is None or not 0 <= goal_index < self.catalog.split_size(split):
                goal_index = self.rng.randrange(self.catalog.split_size(split))
            sid = secrets.token_urlsafe(9)
            session = ShopSession(self.catalog, self.engine, self.catalog.goal(split, goal_index))
            self.sessions[sid] = (session, {"split": split, "goal_index": goal_index,
                                            "steps": 0, "last_valid": True})
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        return sid


def _options_text(options: dict[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in options.items()) or "none"


def create_app(state: ShopState):
    """The Flask app over ``state`` (a WSGI callable)."""
    from flask import Flask, abort, redirect, render_template, request, url_for

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, MAX_FORM_MEMORY_SIZE=MAX_BODY)
    app.jinja_env.globals.update(price_tag=price_tag, options_text=_options_text)

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.errorhandler(404)
    def not_found(_error):
        return ("<!DOCTYPE html><title>Not found</title><p>No such page or session. "
                "<a href='/'>Start shopping</a>.</p>", 404)

    @app.get("/")
    def new_session():
        goal = request.args.get("goal", type=int)  # None for "", "²", 5,000 digits, ...
        sid = state.new_session(request.args.get("split"), goal)
        return redirect(url_for("page", sid=sid), code=303)

    @app.get("/s/<sid>")
    def page(sid: str):
        entry = state.sessions.get(sid) or abort(404)
        session, meta = entry
        with state.lock:
            return render_template("shop.html", sid=sid, s=session, meta=meta)

    @app.post("/s/<sid>")
    def act(sid: str):
        entry = state.sessions.get(sid) or abort(404)
        form = request.form
        action = f"search[{form['keywords']}]" if "keywords" in form else form.get("action", "")
        session, meta = entry
        with state.lock:
            if session.page != "done":
                meta["steps"] += 1
                meta["last_valid"] = session.act(action)
        return redirect(url_for("page", sid=sid), code=303)

    return app


def _deadline_channel(request_timeout: float):
    """A waitress ``HTTPChannel`` that closes its connection when a request has not arrived whole within
    ``request_timeout`` seconds of its first byte. Checked each time the event loop polls the socket
    (at least once a second), so a client that sends nothing more is caught too."""
    from waitress.channel import HTTPChannel

    class DeadlineChannel(HTTPChannel):
        _started: float | None = None  # when the request being received began
        _receiving: object = None  # that request's parser
        will_close: bool  # waitress's own flag (untyped there): close once the output is written

        def received(self, data: bytes) -> bool:
            result = super().received(data)
            if self.request is None:
                self._started = self._receiving = None
            elif self.request is not self._receiving:
                self._started, self._receiving = time.monotonic(), self.request
            return result

        def readable(self) -> bool:
            if (self._started is not None and not self.will_close
                    and time.monotonic() - self._started > request_timeout):
                log.warning("serve-shop: closed the connection from %s: its request did not arrive whole within "
                            "%.0f s (a slow or stalled client)", self.addr[0] if self.addr else "?", request_timeout)
                self._started = self._receiving = None
                self.will_close = True  # writable() is then true and handle_write() closes it
            return super().readable()

    return DeadlineChannel


class ShopServer:
    """A bound waitress server for the shop: ``url``, ``serve_forever()``, ``shutdown()``.

    ``request_timeout``: seconds a request may take to arrive whole (headers and body) from its first byte.
    """

    def __init__(self, host: str, port: int, state: ShopState, quiet: bool = True,
                 request_timeout: float = REQUEST_TIMEOUT_S):
        from waitress.server import BaseWSGIServer, create_server

        self.state = state
        sockets: dict[int, Any] = {}
        self._server = create_server(
            create_app(state), map=sockets, host=host, port=port, threads=WORKER_THREADS,
            channel_timeout=IDLE_TIMEOUT_S, cleanup_interval=max(1, IDLE_TIMEOUT_S // 3),
            connection_limit=MAX_CONNECTIONS,
            max_request_body_size=MAX_BODY, max_request_header_size=MAX_HEADER,
            expose_tracebacks=False, ident="tui-agent-shop")
        channel = _deadline_channel(request_timeout)
        for listener in list(sockets.values()):  # one per address listened on
            if isinstance(listener, BaseWSGIServer):
                listener.channel_class = channel
        if quiet:
            logging.getLogger("waitress").setLevel(logging.ERROR)

    @property
    def sessions(self) -> OrderedDict[str, tuple[ShopSession, dict[str, Any]]]:
        return self.state.sessions

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}/"

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (from another thread) or KeyboardInterrupt."""
        self._server.run()

    def shutdown(self) -> None:
        """Stop accepting, close connections and stop the worker threads."""
        self._server.close()
        self._server.task_dispatcher.shutdown()

    server_close = shutdown


def make_server(host: str = "127.0.0.1", port: int = 8765, split: str = "test",
                goal_index: int | None = None, seed: int | None = None,
                catalog: Catalog | None = None, quiet: bool = True,
                request_timeout: float = REQUEST_TIMEOUT_S) -> ShopServer:
    """Create (bind) the shop server; call ``serve_forever()`` / ``shutdown()`` on it.

    ``port=0`` picks a free port (see ``server.url``). New sessions get goal
    ``goal_index`` of ``split`` if given, else a goal drawn with ``seed``.
    A request that has not arrived whole ``request_timeout`` seconds after its
    first byte has its connection closed (logged as a warning).
    Raises ValueError for an unknown split, OSError if the port is taken.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    state = ShopState(catalog or load_catalog(), split, goal_index, seed)
    return ShopServer(host, port, state, quiet=quiet, request_timeout=request_timeout)


def serve(host: str = "127.0.0.1", port: int = 8765, split: str = "test",
          goal_index: int | None = None, seed: int | None = None,
          open_browser: bool = False, quiet: bool = False) -> None:
    """Serve the shop on ``http://host:port/`` until interrupted (Ctrl+C)."""
    server = make_server(host, port, split=split, goal_index=goal_index, seed=seed, quiet=quiet)
    print(f"Shop running on {server.url} (Ctrl+C to stop)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
