"""The stub source server: stdlib ``ThreadingHTTPServer`` serving a world, with fault injection."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .faults import FAULT_KINDS, Fault, FaultInjector, FaultKnobs, fingerprint
from .sources import JSON_TYPE, ROUTES, BadRequest, Reply
from .world import REMOVABLE, World

log = logging.getLogger("fingertip_dev.stub")
access_log = logging.getLogger("fingertip_dev.stub.access")

MAX_BODY = 10 * 1024 * 1024

HTML_GATEWAY_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>502 Bad Gateway - 网关错误</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<center><p>网关错误：上游服务暂时无法访问，请稍后重试。</p></center>
<hr><center>nginx</center>
</body>
</html>
"""
HTML_BUSY_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>系统繁忙</title></head>
<body>
<div class="error">
<h2>系统繁忙，请稍后再试</h2>
<p>错误代码：502（网关超时）。如问题持续存在，请联系系统管理员。</p>
</div>
</body>
</html>
"""


class Counters:
    """Thread-safe request, status and fault counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter({kind: 0 for kind in FAULT_KINDS})
            self._since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def record(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._requests[endpoint] += 1
            self._statuses[str(status)] += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._requests.values()),
                "requests": dict(sorted(self._requests.items())),
                "status": dict(sorted(self._statuses.items())),
                "faults": dict(self._faults),
                "faults_total": sum(self._faults.values()),
                "since": self._since,
            }


class StubHTTPServer(ThreadingHTTPServer):
    """One thread per connection; threads never block shutdown."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], world: World, injector: FaultInjector,
                 counters: Counters) -> None:
        self.world = world
        self.injector = injector
        self.counters = counters
        self.started_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        super().__init__(address, StubHandler)

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - socketserver signature
        log.debug("connection error from %s", client_address, exc_info=True)


class StubHandler(BaseHTTPRequestHandler):
    """Routes requests to the sources and to the admin API."""

    server: StubHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "FingertipStub/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this many seconds
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body of a kept-alive
    # connection waits for the client's delayed ACK (≈ 40 ms a request on Linux loopback).
    disable_nagle_algorithm = True

    # --- plumbing -----------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        access_log.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str | None,
              headers: Mapping[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, _dumps(payload), JSON_TYPE, headers)

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            raise BadRequest(f"invalid or too large Content-Length: {self.headers.get('Content-Length')}")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"request body is not JSON: {exc}") from None

    # --- methods ------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        url = urlsplit(self.path)
        if url.path.startswith("/_admin/"):
            self._admin("GET", url.path)
        else:
            self._source(url.path, url.query)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path.startswith("/_admin/"):
            self._admin("POST", url.path)
        else:
            self._read_json_quietly()
            self._send_json(405, {"error": "method_not_allowed", "message": "sources are read with GET"},
                            {"Allow": "GET"})

    def _read_json_quietly(self) -> None:
        try:
            self._read_json()
        except BadRequest:
            pass

    # --- sources ------------------------------------------------------------------------------

    def _source(self, path: str, query: str) -> None:
        route = ROUTES.get(path.rstrip("/") or "/")
        endpoint = route[0] if route else "not_found"
        knobs, fault = self.server.injector.next_fault(fingerprint("GET", path, query))
        if fault:
            self.server.counters.record_fault(fault.kind)  # at once: a timeout is visible while it sleeps
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        if fault and fault.kind == "timeout":
            time.sleep(knobs.timeout_s)
        status, body, ctype, headers = self._answer(route, query, knobs, fault)
        # counted before sending, so a client that has its answer also sees it counted
        self.server.counters.record(endpoint, status)
        if fault and fault.kind == "reset_mid_body":
            self._send_and_reset(status, body, ctype, headers)
        else:
            self._send(status, body, ctype, headers)

    def _send_and_reset(self, status: int, body: bytes, content_type: str | None,
                        headers: Mapping[str, str]) -> None:
        """The real status and headers (full ``Content-Length``), half the body, then a TCP reset."""
        self.close_connection = True
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN (a reset, not a clean end)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _answer(self, route: Any, query: str, knobs: FaultKnobs,
                fault: Fault | None) -> tuple[int, bytes, str | None, Mapping[str, str]]:
        """Status, body, content type and headers of the answer (fault or real)."""
        kind = fault.kind if fault else None
        if kind == "error_5xx":
            status = 503 if fault.variant & 1 else 500
            if fault.variant & 2:
                return status, b"", None, {}
            error = HTTPStatus(status).phrase.lower().replace(" ", "_")
            return status, _dumps({"error": error, "message": "上游服务暂时不可用，请稍后重试"}), JSON_TYPE, {}
        if kind == "rate_429":
            return (429, _dumps({"error": "too_many_requests", "message": "请求过于频繁，请稍后重试"}), JSON_TYPE,
                    {"Retry-After": str(knobs.retry_after_s)})
        if kind == "html_error":
            status, page = (200, HTML_BUSY_PAGE) if fault.variant & 1 else (502, HTML_GATEWAY_PAGE)
            return status, page.encode("utf-8"), "text/html; charset=utf-8", {}

        if route is None:
            status, body, ctype, headers = 404, _dumps({"error": "not_found", "message": "no such endpoint",
                                                        "endpoints": sorted(ROUTES)}), JSON_TYPE, {}
        else:
            rng = random.Random(fault.rng_seed) if kind == "wrong_types" else None
            try:
                reply: Reply = route[1](self.server.world, parse_qs(query, keep_blank_values=True), rng)
                status, ctype, headers = reply.status, reply.content_type, reply.headers
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else _dumps(reply.body)
                if ctype.startswith("text/javascript"):
                    body = b"\n\n\n" + body  # itunes.apple.com opens its JSON with blank lines
            except BadRequest as exc:
                status, body, ctype, headers = 400, _dumps(exc.payload), JSON_TYPE, {}
            except Exception:  # a bug in a handler answers 500 (logged) instead of killing the stub's thread
                log.exception("stub: error answering %s", self.path)
                status, body, ctype, headers = 500, _dumps({"error": "internal_error"}), JSON_TYPE, {}
        if kind == "truncated":
            body = body[: len(body) // 2]
        return status, body, ctype, headers

    # --- admin --------------------------------------------------------------------------------

    def _admin(self, method: str, path: str) -> None:
        server = self.server
        try:
            if method == "GET" and path == "/_admin/health":
                removed = {ns: len(ids) for ns, ids in server.world.removed().items()}
                self._send_json(200, {"status": "ok", "world": str(server.world.path),
                                      "started_at": server.started_at,
                                      "faults": server.injector.knobs.as_dict(), "removed": removed})
            elif method == "GET" and path == "/_admin/counters":
                self._send_json(200, server.counters.snapshot())
            elif method == "GET" and path == "/_admin/faults":
                self._send_json(200, server.injector.knobs.as_dict())
            elif method == "GET" and path == "/_admin/removed":
                self._send_json(200, server.world.removed())
            elif method == "POST" and path == "/_admin/faults":
                body = self._read_json()
                if not isinstance(body, dict):
                    raise BadRequest("expected a JSON object of fault knobs")
                try:
                    knobs = server.injector.set_knobs(body)
                except ValueError as exc:
                    raise BadRequest(str(exc)) from None
                self._send_json(200, knobs.as_dict())
            elif method == "POST" and path == "/_admin/reset":
                body = self._read_json()
                if not isinstance(body, dict):
                    raise BadRequest("expected a JSON object")
                reset(server, faults=bool(body.get("faults")), removals=bool(body.get("removals")))
                self._send_json(200, {"status": "reset"})
            elif method == "POST" and path in ("/_admin/remove", "/_admin/restore"):
                body = self._read_json()
                store, ids = _removal_request(body)
                try:
                    if path.endswith("remove"):
                        count = server.world.remove(store, ids)
                        self._send_json(200, {"store": store, "removed": count})
                    else:
                        count = server.world.restore(store, ids)
                        self._send_json(200, {"store": store, "restored": count})
                except ValueError as exc:
                    raise BadRequest(str(exc)) from None
            elif path in _ADMIN_PATHS:
                self._send_json(405, {"error": "method_not_allowed"}, {"Allow": _ADMIN_PATHS[path]})
            else:
                self._send_json(404, {"error": "not_found", "message": f"no admin endpoint {path}"})
        except BadRequest as exc:
            self._send_json(400, exc.payload)


_ADMIN_PATHS = {
    "/_admin/health": "GET", "/_admin/counters": "GET", "/_admin/removed": "GET",
    "/_admin/faults": "GET, POST", "/_admin/reset": "POST", "/_admin/remove": "POST",
    "/_admin/restore": "POST",
}


def _removal_request(body: Any) -> tuple[str, list[str] | None]:
    if not isinstance(body, dict) or not isinstance(body.get("store"), str):
        raise BadRequest(f'expected {{"store": one of {", ".join(REMOVABLE)}, "ids": [...]}}')
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, (str, int)) for i in ids)):
        raise BadRequest('"ids" must be a list of strings')
    return body["store"], None if ids is None else [str(i) for i in ids]


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reset(server: StubHTTPServer, *, faults: bool = False, removals: bool = False) -> None:
    """Clear counters and attempt history; optionally turn faults off and restore removals."""
    server.counters.reset()
    server.injector.reset_attempts()
    if faults:
        server.injector.set_knobs(None)
    if removals:
        server.world.restore_all()


class StubServer:
    """The stub in a background thread of this process (tests, demo, benchmarks).

    >>> with StubServer("world.db") as stub:          # doctest: +SKIP
    ...     requests.get(stub.base_url + "/lookup", params={"id": "1234567890", "country": "cn"})
    """

    def __init__(self, world_path: str | Path, host: str = "127.0.0.1", port: int = 0,
                 faults: Mapping[str, Any] | None = None) -> None:
        self.world_path = Path(world_path)
        self.host = host
        self.port = port
        self._injector = FaultInjector(faults)
        self._counters = Counters()
        self._world: World | None = None
        self._httpd: StubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> str:
        """Open the world, bind and serve in a daemon thread; returns the base URL."""
        if self._httpd is not None:
            return self.base_url
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("stub: listening on %s; its admin API has no authentication", self.host)
        self._world = World(self.world_path)
        self._httpd = StubHTTPServer((self.host, self.port), self._world, self._injector, self._counters)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fingertip-stub-{self.port}", daemon=True)
        self._thread.start()
        log.info("stub: serving %s on %s", self.world_path, self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._world is not None:
            self._world.close()
        self._httpd = self._thread = None

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # control (same effect as the admin endpoints)
    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        """Replace every fault knob (absent ones back to default); returns the knobs in force."""
        return self._injector.set_knobs(knobs).as_dict()

    @property
    def faults(self) -> dict[str, Any]:
        return self._injector.knobs.as_dict()

    def counters(self) -> dict[str, Any]:
        return self._counters.snapshot()

    def reset_counters(self) -> None:
        """Clear counters and the attempt history that fault decisions depend on."""
        self._counters.reset()
        self._injector.reset_attempts()

    def remove(self, store: str, ids: Iterable[Any]) -> int:
        return self._require_world().remove(store, ids)

    def restore(self, store: str, ids: Iterable[Any] | None = None) -> int:
        return self._require_world().restore(store, ids)

    def _require_world(self) -> World:
        if self._world is None:
            raise RuntimeError("StubServer is not started")
        return self._world
