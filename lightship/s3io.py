"""Small S3 helpers for the batch steps and ``lightship drift``: list a prefix, JSON in and out,
and a seekable read-only file over ranged GETs so pyarrow reads one Parquet row group at a time
(bounded memory) through boto3, which honours ``AWS_ENDPOINT_URL`` like every client.
Every function takes the S3 client as its first argument: the batch handlers build it
(``lightship.clients.cached_client("s3")``) and pass it down, the CLI passes its own; tests pass theirs.

Input objects are read *pinned* (:class:`Pin`): the plan records each object's version id
(or its ETag where the bucket keeps no versions) and every later read asks for exactly
that version (``VersionId``, else ``IfMatch``). A read whose version is gone raises
:class:`lightship.errors.InputChanged`, so a run never mixes two versions of a file.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from lightship.errors import InputChanged
from lightship.s3uri import S3Uri


@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    size: int


def list_objects(s3: Any, prefix_uri: str) -> list[ObjectInfo]:
    """Every object under ``prefix_uri`` (keys ending in ``/`` skipped), in key order."""
    where = S3Uri.parse(prefix_uri)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=where.key):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/"):
                out.append(ObjectInfo(uri=f"s3://{where.bucket}/{item['Key']}", size=int(item["Size"])))
    return sorted(out, key=lambda o: o.uri)


@dataclass(frozen=True)
class Pin:
    """One version of one object: its version id where the bucket is versioned, and its ETag."""

    uri: str
    size: int
    version_id: str | None
    etag: str | None

    def args(self) -> dict[str, str]:
        """GetObject / HeadObject arguments that select exactly this version."""
        if self.version_id and self.version_id != "null":  # "null": written while versioning was off
            return {"VersionId": self.version_id}
        return {"IfMatch": self.etag} if self.etag else {}

    def describe(self) -> str:
        return f"version {self.version_id}" if self.version_id and self.version_id != "null" else f"ETag {self.etag}"


def pin(s3: Any, uri: str) -> Pin:
    """The current version of ``uri`` (one HEAD)."""
    where = S3Uri.parse(uri)
    head = s3.head_object(Bucket=where.bucket, Key=where.key)
    return Pin(uri=uri, size=int(head["ContentLength"]), version_id=head.get("VersionId"), etag=str(head["ETag"]))


def current(s3: Any, uri: str) -> Pin | None:
    """The current version of ``uri``, or None when it no longer exists (deleted)."""
    try:
        return pin(s3, uri)
    except ClientError as exc:
        if _status(exc) == 404:
            return None
        raise


def get_pinned(s3: Any, version: Pin, byte_range: tuple[int, int] | None = None) -> Any:
    """The body of exactly ``version`` (bytes ``[start, stop)`` when given), as a stream."""
    where = S3Uri.parse(version.uri)
    extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1] - 1}"} if byte_range else {}
    try:
        return s3.get_object(Bucket=where.bucket, Key=where.key, **version.args(), **extra)["Body"]
    except ClientError as exc:
        if _status(exc) in (404, 412) or _code(exc) in ("NoSuchKey", "NoSuchVersion", "PreconditionFailed"):
            raise InputChanged(
                f"{version.uri} changed during the run: the plan pinned {version.describe()}, which is gone "
                f"({_code(exc)}); rerun the date to score the file as it is now"
            ) from exc
        raise


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def put_json(s3: Any, uri: str, data: Any) -> None:
    put_bytes(s3, uri, json.dumps(data, indent=1, sort_keys=True, default=str).encode(), "application/json")


def get_json(s3: Any, uri: str) -> Any:
    return json.loads(get_bytes(s3, uri))


def put_bytes(s3: Any, uri: str, body: bytes, content_type: str = "application/octet-stream") -> None:
    where = S3Uri.parse(uri)
    s3.put_object(Bucket=where.bucket, Key=where.key, Body=body, ContentType=content_type)


def get_bytes(s3: Any, uri: str) -> bytes:
    where = S3Uri.parse(uri)
    body: bytes = s3.get_object(Bucket=where.bucket, Key=where.key)["Body"].read()
    return body


def copy(s3: Any, source: Pin, target_uri: str) -> None:
    """Copy exactly the pinned version of ``source`` to ``target_uri``."""
    src, dst = S3Uri.parse(source.uri), S3Uri.parse(target_uri)
    copy_source = {"Bucket": src.bucket, "Key": src.key}
    condition = {}
    if "VersionId" in source.args():
        copy_source["VersionId"] = str(source.version_id)
    else:
        condition = {"CopySourceIfMatch": source.etag}
    try:
        s3.copy_object(Bucket=dst.bucket, Key=dst.key, CopySource=copy_source, **condition)
    except ClientError as exc:
        if _status(exc) in (404, 412):
            raise InputChanged(f"{source.uri} changed while it was being quarantined ({_code(exc)})") from exc
        raise


def delete(s3: Any, uris: list[str]) -> None:
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        where = S3Uri.parse(uri)
        by_bucket.setdefault(where.bucket, []).append(where.key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


class S3File(io.RawIOBase):
    """A read-only, seekable view of one pinned object version; each read is a ranged GET.

    The last 64 KiB are fetched once, so a Parquet footer costs one request.
    """

    TAIL = 64 * 1024

    def __init__(self, s3: Any, version: Pin) -> None:
        self.s3 = s3
        self.version = version
        self.size = version.size
        self.position = 0
        self._tail_start = max(0, self.size - self.TAIL)
        self._tail: bytes | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self._read(self.position, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self.position
        return self._read(self.position, size)

    def _read(self, start: int, size: int) -> bytes:
        end = min(self.size, start + size)
        if end <= start:
            return b""
        if start >= self._tail_start:
            if self._tail is None:
                self._tail = self._range(self._tail_start, self.size)
            data = self._tail[start - self._tail_start : end - self._tail_start]
        else:
            data = self._range(start, end)
        self.position = start + len(data)
        return data

    def _range(self, start: int, end: int) -> bytes:
        body: bytes = get_pinned(self.s3, self.version, (start, end)).read()
        return body
