"""Gradual release of a new version: canary and shadow, on the deployment record.

:mod:`.state` holds what the record says about a release, :mod:`.controller` the
operations (start, set a step's weight, promote, abort) that every caller uses (the CLI,
the release state machine's function, the alarm path), :mod:`.checks` what a step must
show before it passes, :mod:`.alarm` what a candidate alarm does, :mod:`.report` the
shadow evidence. Serving's side lives in :mod:`lightship.serving.routing` and
:mod:`lightship.serving.shadow`.
"""
