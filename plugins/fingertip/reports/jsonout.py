"""Machine submission JSON: the report's figures under a documented, versioned schema.

Schema: ``resources/reports/report.schema.json`` (JSON Schema 2020-12, ``schema_version`` "1.0").
Every file is validated against it before it is written; text is kept as data (JSON escaping
only), UTF-8, ``ensure_ascii=False`` — but invisible characters (C1 controls, bidi controls, lone
surrogates) are written as ``\\uXXXX`` escapes (:func:`fingertip.text.escape_invisible`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from fingertip import config
from fingertip.reports.model import AnyFigures, Submission, SubmissionReport
from fingertip.text import escape_invisible

SCHEMA_VERSION = "1.0"


def schema_path() -> Path:
    return config.resources_dir() / "reports" / "report.schema.json"


@functools.lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def build_submission(report: SubmissionReport, figures: AnyFigures) -> Submission:
    return {"schema_version": SCHEMA_VERSION, "report": report, "figures": figures}


def validate_submission(doc: Submission | dict) -> None:
    """Raise ``jsonschema.ValidationError`` when ``doc`` does not follow the schema."""
    import jsonschema

    jsonschema.Draft202012Validator(load_schema(),
                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)


def write_submission(dest: Path, report: SubmissionReport, figures: AnyFigures) -> Path:
    doc = build_submission(report, figures)
    validate_submission(doc)
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = escape_invisible(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    dest.write_text(text, encoding="utf-8")
    return dest


def read_submission(location: str | Path) -> Submission:
    """A submission file written by :func:`write_submission`: a local path, or the URL under the outputs
    location (``file://…``, ``s3://…``) through which the figures reach the mail task."""
    from fingertip.notifications.message import read_location

    doc: Submission = json.loads(read_location(str(location)).decode("utf-8"))
    return doc
