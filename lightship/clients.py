"""boto3 clients for every AWS call Lightship makes.

botocore reads ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) itself, so
the same code talks to a real account or to the local emulator: nothing here, or
anywhere else, branches on "local". Retries are kept short so an unimplemented
call fails fast instead of retrying for a minute.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def client(service: str, **kwargs: Any) -> Any:
    """A new boto3 client for ``service`` in the configured region."""
    return boto3.session.Session().client(service, region_name=kwargs.pop("region_name", region()), config=_CONFIG, **kwargs)


@lru_cache(maxsize=32)
def cached_client(service: str) -> Any:
    """A client kept for the life of the process (Lambda warm starts)."""
    return client(service)


def account_id() -> str:
    """The account the credentials belong to (moto answers 123456789012)."""
    explicit = os.environ.get("LIGHTSHIP_ACCOUNT")
    if explicit:
        return explicit
    return str(client("sts").get_caller_identity()["Account"])
