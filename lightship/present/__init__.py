"""How Lightship shows what it knows, as rich renderables: used by the CLI and the demo alike.

One module per thing shown (:mod:`.versions` the registry's versions, :mod:`.history` the
deployment record, :mod:`.batch_run` a batch run's manifest). Below both the CLI and the demo,
so the demo's chapters print what the commands print without importing the CLI.
"""
