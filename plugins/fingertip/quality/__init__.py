"""Data quality of the inventory and of ingested sources (issue 4).

* :mod:`~fingertip.quality.expectations` — custom GX expectations (credit codes, division codes, filing
  numbers, dates, duplicates, references);
* :mod:`~fingertip.quality.suites` — suite files in ``fingertip/resources/expectations/``, the GX runner, Data Docs;
* :mod:`~fingertip.quality.normalise` — staged text → normalised DataFrame;
* :mod:`~fingertip.quality.validate` — ``validate_batch``: quarantine, quality gate, promotion;
* :mod:`~fingertip.quality.promote` — upsert by natural key with ``inventory_history``;
* :mod:`~fingertip.quality.report` — the rejection report (XLSX) for the submitting unit;
* :mod:`~fingertip.quality.drift` / :mod:`~fingertip.quality.ingested` — checks on ingested sources;
* :mod:`~fingertip_dev.bench.quality` — ``python -m fingertip_dev.bench.quality --rows 200000 --json``.

Every module that needs GX or pandas imports them itself; import them inside tasks only.
"""
