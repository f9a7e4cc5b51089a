"""What is live, what was live before, and every change: read from the deployment record.

``lightship status`` renders it; the demo and the rollback engineer's checks read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightship.deployment.record import Deployment, DeploymentRecord


@dataclass(frozen=True)
class DeploymentStatus:
    live: Deployment | None
    history: list[Deployment]  # newest first

    @property
    def previous(self) -> Deployment | None:
        """The newest earlier change that put a *different* version live (what a rollback returns to)."""
        if self.live is None:
            return None
        for entry in self.history:
            if entry.revision < self.live.revision and entry.version != self.live.version:
                return entry
        return None


def deployment_status(record: DeploymentRecord, limit: int = 50) -> DeploymentStatus:
    return DeploymentStatus(live=record.live(), history=record.history(limit=limit))
