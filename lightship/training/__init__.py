"""Training: read the data, fit the pipeline, evaluate on a seeded holdout, write the bundle.

``training_jobs/train.py`` (the SageMaker entry point) calls :func:`lightship.training.run.train`;
the CLI calls :mod:`lightship.training.data` first to fail fast on a bad file, and
:mod:`lightship.training.launcher` to start the job.
"""
