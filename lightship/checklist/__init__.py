"""The go-live checklist for one model version, answered from the system itself (docs/checklist.md).

:mod:`~lightship.checklist.evidence` gathers the facts (registry, deployment record, S3, CloudWatch)
into an :class:`~lightship.checklist.answers.Evidence`; :mod:`~lightship.checklist.answers` turns them
into yes / no / unknown answers with the address of their evidence; :mod:`~lightship.checklist.card`
writes the HTML model card; :mod:`~lightship.checklist.reproducibility` re-runs a version's training
(``lightship train --verify N``) and records whether it matched. ``lightship checklist`` calls them.
"""
