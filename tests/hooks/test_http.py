"""The source HTTP hook's rate limiter and retry policy (real HTTP against a tiny loopback server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fingertip.hooks.http import RateLimiter, SourceFetchError, SourceHttpHook


def test_rate_limiter_spaces_requests_evenly():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(20, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert slept == pytest.approx([3.0, 3.0, 3.0])  # 20/minute → one every 3 s
    assert limiter.waited == pytest.approx(9.0)


def test_rate_limiter_off():
    limiter = RateLimiter(0, sleep=lambda s: pytest.fail("must not sleep"))
    for _ in range(10):
        limiter.acquire()


class _Script(BaseHTTPRequestHandler):
    script: list = []
    seen: list = []

    def do_GET(self):  # noqa: N802
        _Script.seen.append(self.path)
        status, headers, body = _Script.script.pop(0) if _Script.script else (200, {}, '{"ok": true}')
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Script)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Script.script, _Script.seen = [], []
    monkeypatch.setenv("AIRFLOW_CONN_TEST_SOURCE", json.dumps({
        "conn_type": "http", "host": "127.0.0.1", "port": httpd.server_address[1], "schema": "http",
        "extra": {"backoff_factor": 0.01, "max_attempts": 4, "read_timeout": 2}}))
    yield httpd
    httpd.shutdown()


def test_retries_5xx_429_html_and_truncated_json_then_succeeds(server):
    _Script.script = [
        (503, {}, "busy"),
        (429, {"Retry-After": "0"}, ""),
        (200, {"Content-Type": "text/html"}, "<html><body>网关错误</body></html>"),
    ]
    hook = SourceHttpHook("test_source")
    got = hook.get_json("/x", {"b": 2, "a": 1})
    assert got.payload == {"ok": True} and got.attempts == 4
    assert hook.stats["status_503"] == 1 and hook.stats["status_429"] == 1 and hook.stats["bad_bodies"] == 1
    assert len(_Script.seen) == 4


def test_gives_up_with_a_clear_error(server):
    _Script.script = [(200, {}, '{"results": [1, 2')] * 4
    hook = SourceHttpHook("test_source")
    with pytest.raises(SourceFetchError) as err:
        hook.get_json("/x")
    assert err.value.attempts == 4 and "invalid JSON" in err.value.reason


def test_client_errors_are_not_retried(server):
    _Script.script = [(404, {}, "no such thing")]
    with pytest.raises(SourceFetchError, match="HTTP 404"):
        SourceHttpHook("test_source").get_json("/missing")
    assert len(_Script.seen) == 1


def test_retry_after_is_honoured(server, monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", lambda s: slept.append(s))
    _Script.script = [(429, {"Retry-After": "7"}, "")]
    SourceHttpHook("test_source").get_json("/x")
    assert 7 in [round(s) for s in slept]


def test_fingerprint_is_stable_and_order_independent(server):
    hook = SourceHttpHook("test_source")
    a = hook.get_json("/x", {"a": 1, "b": 2}).fingerprint
    b = hook.get_json("/x", {"b": 2, "a": 1}).fingerprint
    assert a == b and len(a) == 64


def test_connection_refused_is_retried_then_reported(monkeypatch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setenv("AIRFLOW_CONN_DEAD_SOURCE", json.dumps({
        "conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http",
        "extra": {"backoff_factor": 0.01, "max_attempts": 3, "connect_timeout": 1}}))
    hook = SourceHttpHook("dead_source")
    with pytest.raises(SourceFetchError) as err:
        hook.get_json("/x")
    assert err.value.attempts == 3 and hook.stats["connection_errors"] == 3


# -- issue 14 item 19: the scheme of every form of connection is honoured ---------------------------

@pytest.mark.parametrize(("conn", "expected"), [
    # URI form: Airflow stores the scheme as the connection type
    ("https://itunes.apple.com", "https://itunes.apple.com"),
    ("https://itunes.apple.com:8443/base", "https://itunes.apple.com:8443/base"),
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    # host with scheme (and a port given apart)
    ({"conn_type": "fingertip_apple", "host": "https://itunes.apple.com"}, "https://itunes.apple.com"),
    ({"conn_type": "http", "host": "https://feed.example.cn", "port": 8443}, "https://feed.example.cn:8443"),
    # schema field
    ({"conn_type": "fingertip_apple", "host": "itunes.apple.com", "schema": "https"}, "https://itunes.apple.com"),
    ({"conn_type": "http", "host": "feed.example.cn", "schema": "HTTPS", "port": 443}, "https://feed.example.cn:443"),
    # extra
    ({"conn_type": "fingertip_listing_feed", "host": "feed.example.cn", "extra": {"scheme": "https"}},
     "https://feed.example.cn"),
    # connection type https without a scheme elsewhere
    ({"conn_type": "https", "host": "feed.example.cn"}, "https://feed.example.cn"),
    # nothing says https: plain http
    ({"conn_type": "fingertip_apple", "host": "127.0.0.1", "port": 8765}, "http://127.0.0.1:8765"),
])
def test_https_is_never_downgraded(monkeypatch, conn, expected):
    monkeypatch.setenv("AIRFLOW_CONN_SCHEME_TEST", conn if isinstance(conn, str) else json.dumps(conn))
    assert SourceHttpHook("scheme_test").base_url == expected


def test_an_unknown_scheme_fails_loudly(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SCHEME_TEST", json.dumps(
        {"conn_type": "fingertip_apple", "host": "itunes.apple.com", "schema": "ftp"}))
    with pytest.raises(ValueError, match="ftp"):
        _ = SourceHttpHook("scheme_test").base_url


# -- issue 14 item 18: a connection reset mid-body is a failed attempt, retried ---------------------

class _ResetOnce(BaseHTTPRequestHandler):
    """First request of each path: full Content-Length, half the body, then a TCP reset."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_GET(self):  # noqa: N802
        import socket
        import struct

        first = self.path not in _ResetOnce.seen
        _ResetOnce.seen.append(self.path)
        body = json.dumps({"results": list(range(500))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if first:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except OSError:
            pass


def test_connection_reset_mid_body_is_retried(monkeypatch):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ResetOnce)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _ResetOnce.seen = []
    monkeypatch.setenv("AIRFLOW_CONN_RESET_SOURCE", json.dumps({
        "conn_type": "http", "host": "127.0.0.1", "port": httpd.server_address[1],
        "extra": {"backoff_factor": 0.01, "max_attempts": 3, "read_timeout": 2}}))
    try:
        hook = SourceHttpHook("reset_source")
        got = hook.get_json("/x")
        assert got.attempts == 2 and got.payload["results"][-1] == 499
        assert hook.stats["broken_bodies"] == 1 and hook.stats["retries"] == 1
    finally:
        httpd.shutdown()
