"""Downloads from the outputs location only (``[fingertip] output_url``), never from anywhere else.

A requested path is relative to the outputs root: absolute paths, ``..``, empty parts, backslashes
and control characters are refused before any file system access; a local (``file://``) path must
also still lie under the root once symbolic links are resolved. A document's stored URL must start
with the root's URL. Everything is served as an attachment, except Data Docs pages, which are shown
inline inside a ``sandbox`` Content-Security-Policy (their scripts run in an opaque origin that
cannot reach the console's session).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fingertip import config
from fingertip.text import find_forbidden

CHUNK = 1 << 16
DATA_DOCS = ("quality", "data_docs")


class RefusedPath(ValueError):
    """A path outside the outputs location (or not a plain relative path)."""


def clean_parts(rel: str) -> list[str]:
    """The parts of a relative path under the outputs root; :class:`RefusedPath` for anything else."""
    if not rel or "\\" in rel or find_forbidden(rel) or rel.startswith("/") or ":" in rel.split("/", 1)[0]:
        raise RefusedPath(rel)
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise RefusedPath(rel)
    return parts


def root_url() -> str:
    return config.output_url().rstrip("/")


def relative_to_root(url: str) -> str:
    """The path of a stored document URL (or local path) relative to the outputs root."""
    root = root_url()
    text = url if "://" in url else Path(url).absolute().as_uri()
    if not text.startswith(root + "/"):
        raise RefusedPath(url)
    rel = unquote(text[len(root) + 1:])
    clean_parts(rel)
    return rel


def _local_root() -> Path | None:
    parts = urlsplit(root_url())
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def open_output(rel: str) -> tuple[Any, int | None]:
    """(binary file object, size) of ``<outputs>/<rel>``; FileNotFoundError when absent."""
    parts = clean_parts(rel)
    local = _local_root()
    if local is not None:
        root = local.resolve()
        target = root.joinpath(*parts).resolve()
        if target != root and root not in target.parents:
            raise RefusedPath(rel)
        if not target.is_file():
            raise FileNotFoundError(rel)
        return target.open("rb"), target.stat().st_size
    path = config.output_path(*parts)
    if not path.is_file():
        raise FileNotFoundError(rel)
    return path.open("rb"), None


def list_folder(rel: str) -> list[dict[str, Any]]:
    """Files under ``<outputs>/<rel>`` (recursive, relative names), for the archive pages."""
    parts = clean_parts(rel)
    local = _local_root()
    out: list[dict[str, Any]] = []
    if local is not None:
        root = local.resolve()
        folder = root.joinpath(*parts).resolve()
        if root not in folder.parents or not folder.is_dir():
            return []
        for dirpath, _dirs, files in os.walk(folder):
            for name in sorted(files):
                p = Path(dirpath) / name
                out.append({"path": str(PurePosixPath(*p.relative_to(root).parts)),
                            "name": str(PurePosixPath(*p.relative_to(folder).parts)), "size": p.stat().st_size})
        return sorted(out, key=lambda e: e["name"])
    folder_path = config.output_path(*parts)
    if not folder_path.is_dir():
        return []
    for remote in folder_path.rglob("*"):
        if remote.is_file():
            name = str(remote)[len(str(folder_path).rstrip("/")) + 1:]
            out.append({"path": f"{rel}/{name}", "name": name, "size": remote.stat().st_size})
    return sorted(out, key=lambda e: e["name"])


def iter_file(fh: Any) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def headers_for(rel: str) -> tuple[str, dict[str, str]]:
    """Media type and headers: Data Docs inline in a sandbox, everything else as an attachment."""
    name = rel.rsplit("/", 1)[-1]
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if tuple(rel.split("/")[:2]) == DATA_DOCS:
        headers["Content-Security-Policy"] = "sandbox allow-scripts; default-src 'self' 'unsafe-inline' data:"
        return media, headers
    headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    headers["Content-Security-Policy"] = "sandbox"
    return media, headers
