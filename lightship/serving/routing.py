"""Which version answers a request during a canary: a deterministic hash of the routing key.

The routing key is the client's ``X-Lightship-Routing-Key`` header when given (a user or
session id: the same user keeps meeting the same version), else the request id. Its
keyed BLAKE2b hash (the release id is the key, so each release draws afresh) picks one
of 10,000 buckets; buckets below ``weight × 100`` go to the candidate. Raising the weight
from one step to the next only adds buckets, so a key that reached the candidate keeps
reaching it. Called by :mod:`lightship.serving.app` on every predict; costs about a
microsecond (bench/README.md).
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b

from lightship import observability as names
from lightship.deployment.release_state import CANARY
from lightship.serving.model_holder import Candidate, LiveModel

ROUTING_KEY_HEADER = "x-lightship-routing-key"
BUCKETS = 10_000
MAX_KEY_LENGTH = 256


@lru_cache(maxsize=16)
def _salt(release_id: str) -> bytes:
    return release_id.encode()[:64]


def routing_bucket(key: str, release_id: str) -> int:
    """The key's bucket in [0, BUCKETS) for this release: the same key, the same bucket, in every process."""
    digest = blake2b(key.encode()[:MAX_KEY_LENGTH], digest_size=8, key=_salt(release_id)).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def goes_to_candidate(key: str, release_id: str, weight_percent: float) -> bool:
    return routing_bucket(key, release_id) < round(weight_percent * (BUCKETS // 100))


def choose(live: LiveModel | None, candidate: Candidate | None, key: str) -> tuple[LiveModel | None, str]:
    """(the model that answers, its role). Shadow releases and a candidate that did not load leave all to live."""
    if live is None or candidate is None:
        return live, names.ROLE_LIVE
    release = candidate.release
    if release.mode != CANARY or release.weight <= 0.0:
        return live, names.ROLE_LIVE
    if goes_to_candidate(key, release.id, release.weight):
        return candidate.model, names.ROLE_CANDIDATE
    return live, names.ROLE_LIVE
