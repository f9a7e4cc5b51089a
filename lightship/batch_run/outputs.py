"""Reading what a batch run wrote (its manifest, its drift report) from S3, with the caller's client.

The CLI and the demo read a run's outputs through here rather than through the job's own
S3 code (:mod:`batch.s3io`), which lives above ``lightship``.
"""

from __future__ import annotations

import json
from typing import Any

from lightship.s3uri import S3Uri


def read_bytes(s3: Any, uri: str) -> bytes:
    address = S3Uri.parse(uri)
    return bytes(s3.get_object(Bucket=address.bucket, Key=address.key)["Body"].read())


def read_json(s3: Any, uri: str) -> Any:
    return json.loads(read_bytes(s3, uri))
