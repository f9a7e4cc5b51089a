"""Starting the batch job from outside it: the request that starts a run, the Step Functions
execution that is the run (what the run wrote is read with :mod:`lightship.s3io`).

The CLI, the demo and the quality run reach the batch job through this package only; the
job's own code (the top-level ``batch`` package, run by the batch functions) imports it, never
the other way round.
"""
