"""Where report files are written and how they are recorded in ``documents``.

Reports land under ``fingertip.config.output_path("reports", <period>)`` (or ``("audits", <run>)``).
For a ``file://`` outputs URL the files are written in place; for any other scheme (``s3://`` on a
cluster, ``memory://`` in tests) they are written in a local work folder, copied up by
:meth:`ReportFolder.publish` / :meth:`ReportFolder.publish_file` and the work folder is removed
(:meth:`ReportFolder.cleanup`). Whatever leaves the producing task names a file by its URL
(:meth:`ReportFolder.url_of`), never by a local path: the mail task may run in another process or on
another worker (:func:`require_url` refuses anything else).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Written:
    """Same fields as the documents helper's ``WrittenDocument``."""

    kind: str
    doc_format: str
    path: str
    sha256: str
    size_bytes: int


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def written_document(kind: str, fmt: str, path: Path) -> Written:
    path = Path(path)
    return Written(kind, fmt, str(path), sha256_file(path), path.stat().st_size)


class ReportFolder:
    """A local folder for one report's files, mirrored to the outputs location."""

    def __init__(self, *parts: str):
        from fingertip.config import output_path

        self.target = output_path(*parts)
        self.remote = self.target.protocol not in ("file", "local", "")
        if self.remote:
            self.local = Path(tempfile.mkdtemp(prefix="fingertip-report-"))
        else:
            self.local = Path(self.target.path)
            self.local.mkdir(parents=True, exist_ok=True)

    def url_of(self, local_path: str | Path) -> str:
        """The URL under the outputs location of a file written in :attr:`local`: the configured URL and
        the file's place under it (never this machine's resolved path: a shared mount may be a symbolic
        link to a folder whose name differs on another worker)."""
        rel = Path(local_path).relative_to(self.local).as_posix()
        return str(self.target / rel)

    def publish_file(self, local_path: str | Path) -> str:
        """Copy one file of :attr:`local` to the outputs location (remote only); returns its URL."""
        if self.remote:
            dest = self.target / Path(local_path).relative_to(self.local).as_posix()
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(local_path, "rb") as src, dest.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        return self.url_of(local_path)

    def cleanup(self) -> None:
        """Remove the local work folder of a remote outputs location (nothing for ``file://``)."""
        if self.remote:
            shutil.rmtree(self.local, ignore_errors=True)

    def publish(self, written: list[Written]) -> list[Written]:
        """Copy the files to the outputs location (remote only); their paths become URLs."""
        return [dataclasses.replace(w, path=self.publish_file(w.path)) for w in written]


def require_url(value: str, *, what: str) -> str:
    """``value`` when it is a URL (``scheme://…``); a local path handed between tasks is refused."""
    if not isinstance(value, str) or "://" not in value:
        raise ValueError(f"{what} must be a URL under the outputs location (file://…, s3://…), got {value!r}: "
                         "tasks hand files over only through the outputs location, never a local path")
    return value


def record_documents(engine, written: list, *, audit_run_id: int | None) -> int:
    """Record each written file in ``documents`` (upsert on its path)."""
    from fingertip.documents.registry import record_document

    with engine.begin() as conn:
        for w in written:
            record_document(conn, w, audit_run_id=audit_run_id)
    return len(written)


