"""One CDK stack per deployable concern; :mod:`infra.app_builder` composes them."""

from infra.stacks.registry import RegistryStack
from infra.stacks.storage import StorageStack

__all__ = ["RegistryStack", "StorageStack"]
