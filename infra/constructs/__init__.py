"""Reusable constructs the stacks in :mod:`infra.stacks` are built from."""

from infra.constructs.secure_bucket import SecureBucket

__all__ = ["SecureBucket"]
