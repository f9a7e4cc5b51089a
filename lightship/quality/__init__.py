"""Model quality: ground truth joined to predictions, realized metrics per version, and an estimate
before labels arrive (CBPE).

The data's way: labels land under ``labels/date=D/`` (:mod:`.labels`, ``lightship labels put``);
the quality job (:mod:`.job`, the quality state machine's one function) reads predictions from
inference capture and batch scores (:mod:`.predictions`), joins them by prediction id
(:mod:`.join`), computes realized metrics with confidence intervals (:mod:`.metrics`) and the CBPE
estimate from the bundle's calibrator (:mod:`.calibration`, :mod:`.cbpe`), writes a JSON + HTML
report (:mod:`.report`) and puts metrics to CloudWatch by version and role. docs/quality.md.
"""
