"""SageMaker training entry points (script mode)."""
