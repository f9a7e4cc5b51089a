"""The SageMaker Model Registry: versions with lineage and metrics, the quality gate, approval.

The registry is the source of truth for approval (docs/architecture.md, decision 3).
"""
