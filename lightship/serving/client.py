"""A client of the serving API: ``lightship predict``, the demo and the rollback chapter call it.

Against ``http://`` (``lightship serve``, the demo's local server) it sends plain
requests; against a deployed API (``https://...execute-api...``) it signs each request
with SigV4 for ``execute-api`` from the caller's AWS credentials (the API's default
IAM auth), or sends ``Authorization: Bearer <token>`` when given one (JWT auth).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Self

import httpx

from lightship.errors import LightshipError

_EXECUTE_API = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


@dataclass
class ApiResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class PredictClient:
    def __init__(
        self,
        base_url: str,
        *,
        sign: bool | None = None,
        region: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        url = httpx.URL(self.base_url)
        match = _EXECUTE_API.match(url.host or "")
        self.region = region or (match.group(1) if match else None)
        self.token = token
        # Sign by default exactly when talking HTTPS to AWS without a bearer token.
        self.sign = (url.scheme == "https" and token is None) if sign is None else sign
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def predict(self, instances: list[dict[str, Any]]) -> ApiResponse:
        return self.call("POST", "/v1/predict", {"instances": instances})

    def model(self) -> ApiResponse:
        return self.call("GET", "/v1/model")

    def health(self) -> ApiResponse:
        return self.call("GET", "/v1/health")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> ApiResponse:
        url = self.base_url + path
        data = json.dumps(body, allow_nan=False).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        if self.sign:
            headers = signed_headers(method, url, data, headers, self.region)
        try:
            response = self._http.request(method, url, content=data or None, headers=headers)
        except httpx.HTTPError as exc:
            raise LightshipError(f"{method} {url}: {exc}") from exc
        try:
            parsed = response.json()
        except ValueError:
            parsed = {"error": response.text[:500]}
        return ApiResponse(response.status_code, parsed if isinstance(parsed, dict) else {"body": parsed}, dict(response.headers))


def signed_headers(method: str, url: str, data: bytes, headers: dict[str, str], region: str | None) -> dict[str, str]:
    """Headers with a SigV4 signature for API Gateway (service ``execute-api``) from the default credential chain."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise LightshipError("no AWS credentials to sign the request with (the API uses IAM auth); configure them or pass --token")
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region or session.region_name or "us-east-1").add_auth(request)
    return dict(request.headers.items())
