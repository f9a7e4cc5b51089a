"""Lightship: a scikit-learn model from training to production on serverless AWS.

The data's way through the code follows docs/architecture.md: ``training`` -> ``bundle`` ->
``registry`` -> ``deployment`` -> ``serving`` / ``batch`` -> ``alarms`` -> ``rollback``.
"""

__version__ = "0.1.0"
