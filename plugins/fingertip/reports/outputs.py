"""Where report files are written and how they are recorded in ``documents``.

Reports land under ``fingertip.config.output_path("reports", <period>)`` (or ``("audits", <run>)``).
For a ``file://`` outputs URL the files are written in place; for any other scheme (``s3://`` on a
cluster) they are written in a local work folder and copied up by :meth:`ReportFolder.publish`.
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
        rel = Path(local_path).relative_to(self.local).as_posix()
        return str(self.target / rel) if self.remote else Path(local_path).resolve().as_uri()

    def publish(self, written: list[Written]) -> list[Written]:
        """Copy the files to the outputs location (remote only); paths become its URLs."""
        if not self.remote:
            return written
        out = []
        for w in written:
            dest = self.target / Path(w.path).relative_to(self.local).as_posix()
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(w.path, "rb") as src, dest.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            out.append(dataclasses.replace(w, path=str(dest)))
        return out


def record_documents(engine, written: list, *, audit_run_id: int | None) -> int:
    """Record each written file in ``documents`` (upsert on its path)."""
    from fingertip.documents.registry import record_document

    with engine.begin() as conn:
        for w in written:
            record_document(conn, w, audit_run_id=audit_run_id)
    return len(written)


