"""A local mail catcher: an SMTP server that saves every message it receives as an ``.eml`` file.

For ``make demo`` and manual testing; tests use it too. Every message is written, exactly as
received, to ``<dir>/<UTC timestamp>_<sanitized Message-ID>.eml`` and described by one JSON line
in ``<dir>/index.jsonl``: ``received_at``, ``mail_from`` and ``rcpt_tos`` (the envelope), ``from``,
``to``, ``cc``, ``subject`` (decoded), ``message_id``, ``file`` (name inside the folder), ``size``.

The folder defaults to ``out/mail/`` (``fingertip.config.output_path("mail")``); it must be local.

Run it::

    python -m fingertip_dev mailcatcher [--dir DIR] [--host 127.0.0.1] [--port 8025]

or from Python: ``with MailCatcher(dir, port=0) as catcher: …`` (``port=0`` picks a free port,
see ``catcher.port``), or as a child process with :func:`start_subprocess` /
:func:`stop_subprocess`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email import policy as email_policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025
INDEX_NAME = "index.jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_dir() -> Path:
    """``out/mail`` under the outputs location (must be a local ``file://`` location)."""
    from fingertip import config

    return local_dir(config.output_path("mail"))


def local_dir(location: Any) -> Path:
    """A local folder from a path, a ``file://`` URL or a local ``ObjectStoragePath``."""
    if isinstance(location, Path):
        return location
    text = str(location)
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(text).path))
    if "://" in text:
        raise ValueError(f"the mail catcher needs a local folder, not {text!r}")
    return Path(text)


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _sanitize(message_id: str) -> str:
    text = _UNSAFE.sub("_", message_id.strip().strip("<>"))
    return text.strip("._")[:80] or "no-message-id"


class _SaveHandler:
    """aiosmtpd handler: write the message and a line of the index."""

    def __init__(self, folder: Path, stall_file: Path | None = None) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0
        self.stall_file = stall_file

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 (aiosmtpd)
        """Accept the recipient — unless the stall file exists: then the session is held at RCPT (the
        sender is mid-send: recipient claimed, nothing transferred) until the file is removed, and ends
        with 421 without reaching DATA. ``<stall file>.reached`` gets one JSON line per held session."""
        if self.stall_file is not None and self.stall_file.exists():
            import asyncio

            held = {"held_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "mail_from": envelope.mail_from, "rcpt": address}
            with self.lock, open(str(self.stall_file) + ".reached", "a", encoding="utf-8") as out:
                out.write(json.dumps(held, ensure_ascii=False) + "\n")
            log.warning("mailcatcher: holding the session of %s at RCPT (stall file %s)", address, self.stall_file)
            deadline = time.monotonic() + 600
            while self.stall_file.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            return "421 4.3.0 session ended by the stall (nothing was delivered)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        try:
            self.save(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        except Exception as exc:  # any failure to save is a temporary SMTP error: the client keeps the message
            log.exception("mailcatcher: could not save a message")
            return f"451 4.3.0 could not save the message: {exc.__class__.__name__}"
        return "250 2.0.0 OK: saved"

    def save(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> dict[str, Any]:
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        msg = BytesParser(policy=email_policy.compat32).parsebytes(content, headersonly=True)

        def header(name: str) -> str | None:
            """The header unfolded, encoded-words decoded; raw when it does not decode."""
            raw = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), None)
            if raw is None:
                return None
            raw = " ".join(str(raw).split())
            if not raw.isascii():  # 8-bit (SMTPUTF8) header: the parser kept the bytes as surrogates
                raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                return raw
            try:
                return str(make_header(decode_header(raw)))
            except Exception:  # noqa: BLE001 - malformed encoded-words are kept raw
                return raw

        now = dt.datetime.now(dt.UTC)
        message_id = header("Message-ID") or ""
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}_{_sanitize(message_id)}"
            path = self.folder / f"{stem}.eml"
            n = 1
            while path.exists():
                n += 1
                path = self.folder / f"{stem}-{n}.eml"
            tmp = path.with_suffix(".eml.tmp")
            tmp.write_bytes(content)
            os.replace(tmp, path)
            entry = {
                "received_at": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "mail_from": mail_from, "rcpt_tos": rcpt_tos,
                "from": header("From"), "to": header("To"), "cc": header("Cc"),
                "subject": header("Subject"), "message_id": message_id or None,
                "file": path.name, "size": len(content),
            }
            with open(self.folder / INDEX_NAME, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.count += 1
        log.info("mailcatcher: %s → %s: %s (%s)", mail_from, ", ".join(rcpt_tos), entry["subject"], path.name)
        return entry


class MailCatcher:
    """The catcher as an in-process SMTP server (aiosmtpd ``Controller`` on its own thread)."""

    def __init__(self, dir: str | os.PathLike | None = None, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, *, quiet: bool = True, stall_file: str | os.PathLike | None = None) -> None:
        self.dir = local_dir(dir) if dir is not None else default_dir()
        self.host = host
        self.port = port or free_port(host)
        self.handler = _SaveHandler(self.dir, Path(stall_file) if stall_file else None)
        self._controller = None
        if quiet:  # aiosmtpd logs every SMTP command at INFO
            logging.getLogger("mail.log").setLevel(logging.WARNING)

    def start(self) -> MailCatcher:
        from aiosmtpd.controller import Controller

        self.dir.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      data_size_limit=64 * 1024 * 1024, enable_SMTPUTF8=True,
                                      decode_data=False)
        self._controller.start()
        log.info("mailcatcher: listening on %s:%d, saving to %s", self.host, self.port, self.dir)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def index_path(self) -> Path:
        return self.dir / INDEX_NAME

    def messages(self) -> list[dict[str, Any]]:
        return read_index(self.dir)


def read_index(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The entries of a catcher folder's ``index.jsonl`` (empty when nothing was received)."""
    path = Path(folder) / INDEX_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when an SMTP server answers NOOP on host:port."""
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as client:
            return client.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


# -- child process -----------------------------------------------------------------------------

def start_subprocess(dir: str | os.PathLike | None = None, port: int = DEFAULT_PORT,
                     host: str = DEFAULT_HOST, log_path: str | os.PathLike | None = None,
                     timeout: float = 30.0, stall_file: str | os.PathLike | None = None) -> subprocess.Popen:
    """Start ``python -m fingertip_dev mailcatcher`` and wait until the port answers SMTP.

    ``port=0`` picks a free port (then read it from ``proc.catcher_port``). Output goes to
    ``log_path`` (default: a temporary file). Raises RuntimeError with the log's tail when it does
    not come up within ``timeout`` seconds (e.g. the port is taken).
    """
    import fingertip

    port = port or free_port(host)
    plugins_dir = Path(fingertip.__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "fingertip_dev", "mailcatcher", "--host", host, "--port", str(port)]
    if dir is not None:
        cmd += ["--dir", str(local_dir(dir))]
    if stall_file is not None:
        cmd += ["--stall-file", str(stall_file)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(plugins_dir), env.get("PYTHONPATH")) if p)
    log_file = Path(log_path) if log_path else Path(tempfile.mkdtemp(prefix="fingertip-mail-")) / "mailcatcher.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if answers(host, port, timeout=1.0):
        raise RuntimeError(f"something already answers SMTP on {host}:{port}; stop it or choose another port")
    with open(log_file, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if answers(host, port, timeout=1.0):
            proc.catcher_port = port  # type: ignore[attr-defined]
            proc.catcher_log = str(log_file)  # type: ignore[attr-defined]
            return proc
        time.sleep(0.05)
    stop_subprocess(proc)
    try:
        tail = "\n".join(log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
    except OSError:
        tail = "(no log)"
    raise RuntimeError(f"mail catcher did not start ({' '.join(cmd)}):\n{tail}")


def stop_subprocess(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM the catcher, wait, SIGKILL if it lingers; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


# -- command line ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``python -m fingertip_dev mailcatcher [--dir DIR] [--host H] [--port P]`` (foreground)."""
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev mailcatcher",
                                     description="Local SMTP server saving every message as .eml (docs/mail.md).")
    parser.add_argument("--dir", default=None, help="folder for .eml files and index.jsonl (default: out/mail)")
    parser.add_argument("--host", default=os.environ.get("FINGERTIP_SMTP_HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FINGERTIP_SMTP_PORT", DEFAULT_PORT)),
                        help="0 picks a free port")
    parser.add_argument("--stall-file", default=None,
                        help="while this file exists, hold every SMTP session at RCPT (fault tests: a sender "
                             "mid-send); it then ends with 421, nothing delivered")
    args = parser.parse_args(argv)
    try:
        catcher = MailCatcher(args.dir, host=args.host, port=args.port, stall_file=args.stall_file).start()
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"mailcatcher: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def _stop(_signum, _frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"mailcatcher: listening on {catcher.host}:{catcher.port}, saving to {catcher.dir}", flush=True)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        catcher.stop()
        print(f"mailcatcher: stopped after {catcher.handler.count} message(s)", flush=True)
    return 0
