"""Drift statistics, one code path for the batch job, ``lightship drift`` and the demo.

* :mod:`lightship.drift.sketch`      per-feature bin counts of a frame on the baseline's bins, mergeable;
* :mod:`lightship.drift.drift`       PSI, KS and chi-squared from a reference and a current sketch;
* :mod:`lightship.drift.report`      the statistics of every feature with verdicts, JSON-ready;
* :mod:`lightship.drift.report_html` that report as one self-contained HTML page;
* :mod:`lightship.drift.compare`     the report for any two data sets (files or folders, local or s3://);
* :mod:`lightship.drift.limits`      the thresholds and bins, from the settings.

The batch job (``batch/``) imports these; nothing here imports ``batch``.
"""
