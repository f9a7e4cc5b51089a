"""The live model: which version the deployment record names, loaded once, swapped atomically.

:class:`ModelHolder` reads the record through a TTL cache (``serving.record_ttl_seconds``):
a warm request within the TTL does no I/O at all; the first one after it does one
DynamoDB read, and loads a bundle from S3 only when the record names another one.
The new :class:`LiveModel` replaces the old by one reference assignment, so a request
sees either the old model or the new one, never a mix. When a load fails (object
missing, corrupt, another scikit-learn version) the holder keeps serving what it has,
logs why and counts a ``ModelLoadFailures`` metric; it tries again after the next TTL.
During a release the record also names a candidate: the holder loads it beside the live
model (:attr:`ModelHolder.candidate`, both warm) and routing (:mod:`lightship.serving.routing`)
sends it its share; a candidate that fails to load gets none and is counted ``Role=candidate``.
Built by :mod:`lightship.serving.runtime`; read by the routes in :mod:`lightship.serving.app`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from lightship import observability as names
from lightship.bundle.fetch import fetch_bundle
from lightship.bundle.model_bundle import ModelBundle
from lightship.bundle.row_contract import RowPolicy
from lightship.deployment.record import Deployment
from lightship.deployment.release_state import Release, release_of
from lightship.serving.validation import RowEncoder


class RecordReader(Protocol):
    def live(self, consistent: bool = True) -> Deployment | None: ...


class BundleLoader(Protocol):
    def __call__(self, model_data_url: str) -> ModelBundle: ...


class S3BundleLoader:
    """Reads ``model.tar.gz`` from S3 and loads it (the version check included)."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def __call__(self, model_data_url: str) -> ModelBundle:
        return fetch_bundle(self.s3, model_data_url)


@dataclass(frozen=True)
class LiveModel:
    """One loaded version and what serving needs from it, built once per load."""

    deployment: Deployment
    bundle: ModelBundle
    encoder: RowEncoder
    classes: list[Any] | None
    loaded_at: float
    load_seconds: float

    @property
    def version(self) -> int:
        return self.deployment.version


@dataclass(frozen=True)
class Candidate:
    """A release's candidate, loaded beside the live model, and the release as the record says it."""

    model: LiveModel
    release: Release

    @property
    def version(self) -> int:
        return self.model.version


@dataclass
class LoadFailure:
    version: int
    model_data_url: str
    error: str
    at: float
    role: str = names.ROLE_LIVE


@dataclass
class HolderState:
    """What ``/v1/health`` reports besides the model itself."""

    last_check: float | None = None
    last_failure: LoadFailure | None = None
    record_error: str | None = None
    loads: int = 0
    failures: list[LoadFailure] = field(default_factory=list)


class ModelHolder:
    def __init__(
        self,
        record: RecordReader,
        loader: BundleLoader,
        *,
        ttl_seconds: float,
        max_instances: int,
        policy: RowPolicy | None = None,
        on_load_failure: Callable[[LoadFailure], None] | None = None,
        on_loaded: Callable[[LiveModel, LiveModel | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.record = record
        self.loader = loader
        self.ttl_seconds = ttl_seconds
        self.max_instances = max_instances
        self.policy = policy or RowPolicy()
        self.on_load_failure = on_load_failure
        self.on_loaded = on_loaded
        self.clock = clock
        self.state = HolderState()
        self._live: LiveModel | None = None
        self._candidate: Candidate | None = None
        self._next_check = float("-inf")
        self._lock = threading.Lock()

    @property
    def live(self) -> LiveModel | None:
        """The model as of now, without looking at the record (no I/O)."""
        return self._live

    @property
    def candidate(self) -> Candidate | None:
        """A release's candidate as of the last record read (None: no release, or its bundle failed to load)."""
        return self._candidate

    def due(self) -> bool:
        """Whether the next :meth:`current` re-reads the record (the TTL has run out)."""
        return self.clock() >= self._next_check

    def current(self) -> LiveModel | None:
        """The model to serve this request with: re-reads the record once the TTL has passed."""
        if self.clock() < self._next_check:
            return self._live
        # One thread refreshes; the others serve the model they have rather than queue behind S3.
        if not self._lock.acquire(blocking=self._live is None):
            return self._live
        try:
            if self.clock() >= self._next_check:
                self._refresh()
        finally:
            self._lock.release()
        return self._live

    def expire(self) -> None:
        """Make the next request re-read the record (after a SnapStart restore the clock may have moved anywhere)."""
        self._next_check = float("-inf")

    def refresh(self) -> LiveModel | None:
        """Read the record now, whatever the TTL (cold start, tests)."""
        with self._lock:
            self._refresh()
        return self._live

    def _refresh(self) -> None:
        now = self.clock()
        self.state.last_check = now
        self._next_check = now + self.ttl_seconds
        try:
            # Eventually consistent: half the cost, and a TTL-old answer is the contract anyway.
            deployment = self.record.live(consistent=False)
        except Exception as exc:  # noqa: BLE001 - keep serving what we have when DynamoDB hiccups
            self.state.record_error = f"{type(exc).__name__}: {exc}"
            return
        self.state.record_error = None
        if deployment is None:
            return
        self._refresh_live(deployment)
        # Both bundles stay warm while a release is under way (memory: serving.memory_mb holds two models).
        self._refresh_candidate(deployment)

    def _refresh_live(self, deployment: Deployment) -> None:
        current = self._live
        if current is not None and (current.version, current.deployment.model_data_url) == (
            deployment.version,
            deployment.model_data_url,
        ):
            if current.deployment.revision != deployment.revision:
                # Same model, newer record (e.g. a rollback to the version already loaded): keep it, note the revision.
                self._live = LiveModel(
                    deployment, current.bundle, current.encoder, current.classes, current.loaded_at, current.load_seconds
                )
            return
        model = self._load(deployment, names.ROLE_LIVE)
        if model is None:  # any load failure leaves the old model serving
            return
        self._live = model  # the atomic switch: one reference assignment
        self.state.loads += 1
        self.state.last_failure = None
        if self.on_loaded is not None:
            self.on_loaded(model, current)

    def _refresh_candidate(self, deployment: Deployment) -> None:
        release = release_of(deployment.release)
        if release is None:
            self._candidate = None
            return
        current = self._candidate
        if current is not None and (current.version, current.model.deployment.model_data_url) == (
            release.candidate_version, release.candidate_model_data_url
        ):
            if current.release != release:  # a new step: same model, new weight
                self._candidate = Candidate(current.model, release)
            return
        as_deployed = replace(deployment, version=release.candidate_version, package_arn=release.candidate_package_arn,
                              model_data_url=release.candidate_model_data_url, release=None)
        model = self._load(as_deployed, names.ROLE_CANDIDATE)
        # A candidate that cannot load gets no traffic (everything stays on live) and is counted, so its
        # alarm and the release's checks abort the release.
        self._candidate = Candidate(model, release) if model is not None else None

    def _load(self, deployment: Deployment, role: str) -> LiveModel | None:
        started = time.perf_counter()
        try:
            bundle = self.loader(deployment.model_data_url)
            return LiveModel(
                deployment=deployment,
                bundle=bundle,
                encoder=RowEncoder(bundle.schema, self.max_instances, self.policy),
                classes=_classes(bundle),
                loaded_at=time.time(),
                load_seconds=time.perf_counter() - started,
            )
        except Exception as exc:  # noqa: BLE001 - a bad bundle must never take serving down
            failure = LoadFailure(deployment.version, deployment.model_data_url, f"{type(exc).__name__}: {exc}", time.time(), role)
            self.state.last_failure = failure
            self.state.failures = [*self.state.failures[-9:], failure]
            if self.on_load_failure is not None:
                self.on_load_failure(failure)
            return None


def _classes(bundle: ModelBundle) -> list[Any] | None:
    if bundle.task != "classification":
        return None
    classes = bundle.classes
    return [] if classes is None else [c.item() if hasattr(c, "item") else c for c in classes]
