"""The HTML drift report is one self-contained page with a plot per feature and the verdicts."""

from __future__ import annotations

import re

from lightship.bundle.model_bundle import ModelBundle
from lightship.datasets import customers
from lightship.drift.report import drift_report
from lightship.drift.report_html import render_html
from lightship.drift.sketch import sketch_frame


def test_report_page_has_an_inline_svg_per_feature_and_no_external_resources(bundle: ModelBundle) -> None:
    current = sketch_frame(bundle.profile, customers(rows=3000, seed=9, shift=1.0), None)
    report = drift_report("Drift <test>", bundle.profile, current, lambda n: (0.2, 0.1), context={"date": "2026-11-20"})
    page = render_html(report)
    assert page.count("<svg") == len(bundle.profile.features)
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "Drift &lt;test&gt;" in page  # text is escaped
    assert "Drift over threshold" in page
    for name in report.drifted:
        assert f'id="f-{name}"' in page
