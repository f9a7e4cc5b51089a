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
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from lightship.settings import cached_settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)


def region() -> str:
    """The settings' region (one source: ``lightship.settings`` reads ``AWS_REGION`` when the context names none)."""
    return cached_settings().region


def client(service: str, **kwargs: Any) -> Any:
    """A new boto3 client for ``service`` in the configured region.

    Each client gets its own session (credentials and endpoint are read when it is made), but all
    share one loader of botocore's service models: parsing their JSON again for every client was
    three quarters of the cost of making one (~0.25 s).
    """
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    session = boto3.session.Session(botocore_session=core)
    return session.client(service, region_name=kwargs.pop("region_name", region()), config=_CONFIG, **kwargs)


class _SearchPaths(list[str]):
    """boto3 appends its data folder to the loader's paths for every session: once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@lru_cache(maxsize=1)
def _shared_loader() -> Loader:
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
    return Loader(extra_search_paths=_SearchPaths(extra))


@lru_cache(maxsize=32)
def cached_client(service: str) -> Any:
    """A client kept for the life of the process (Lambda warm starts)."""
    return client(service)


def account_id() -> str:
    """The account the credentials belong to (moto answers 123456789012); ``settings.account`` pins another
    (:func:`lightship.resources.current_resources`)."""
    return str(client("sts").get_caller_identity()["Account"])
