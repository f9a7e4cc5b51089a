"""Lambda entry points, one folder per function: thin handlers over the plain modules in ``lightship`` and ``batch``."""
