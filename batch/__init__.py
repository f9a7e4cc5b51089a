"""Batch scoring and drift checks: the logic behind the batch state machine.

The state machine (``infra/stacks/batch.py``) runs thin handlers (``lambdas/batch_*``)
that call the plain functions here, step by step as in docs/architecture.md:

* :mod:`batch.resolve`  the live model version and the run's addresses;
* :mod:`batch.plan`     list a day's input objects, quarantine unusable files, cut chunks;
* :mod:`batch.score`    one chunk: read by row group, validate (:mod:`batch.validate`),
  score, write Parquet and rejects, return a drift sketch (:mod:`lightship.drift.sketch`);
* :mod:`batch.finalize` merge the sketches, drift statistics (:mod:`lightship.drift.drift`),
  report (:mod:`lightship.drift.report`, :mod:`lightship.drift.report_html`) and manifest, metrics, alert.

``lightship drift`` (:mod:`lightship.drift.compare`) computes the same statistics for any two data sets.
"""
