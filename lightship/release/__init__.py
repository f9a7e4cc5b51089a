"""Gradual release of a new version: canary and shadow, on the deployment record.

What the record says about a release lives with the record
(:mod:`lightship.deployment.release_state`); here :mod:`.controller` holds the
operations (start, set a step's weight, promote, abort) that every caller uses (the CLI,
the release state machine's function, the alarm path), :mod:`.checks` what a step must
show before it passes, :mod:`.report` the shadow evidence. What a candidate alarm does is
the alarm path's (:mod:`lightship.rollback.candidate`). Serving's side lives in :mod:`lightship.serving.routing` and
:mod:`lightship.serving.shadow`.
"""
