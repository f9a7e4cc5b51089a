"""boto3 clients: each one reads the endpoint and credentials in force when it is made (the emulator
and a real account are the same code path), while botocore's service models are parsed once."""

from __future__ import annotations

import pytest

from lightship import clients


def test_each_client_follows_the_endpoint_and_credentials_in_force_when_it_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4001")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    first = clients.client("s3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4002")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "second")
    second = clients.client("s3")

    assert first.meta.endpoint_url == "http://127.0.0.1:4001"
    assert second.meta.endpoint_url == "http://127.0.0.1:4002"
    assert second._request_signer._credentials.access_key == "second"
    assert first._request_signer._credentials.access_key == "first"


def test_clients_share_one_model_loader_whose_search_paths_do_not_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients.client("dynamodb")
    paths = list(clients._shared_loader().search_paths)
    for service in ("dynamodb", "s3", "sns", "dynamodb"):
        clients.client(service)
    assert clients._shared_loader().search_paths == paths
    assert len(set(paths)) == len(paths)
    assert any(path.endswith("boto3/data") or path.endswith("boto3\\data") for path in paths)
