"""Small S3 helpers for the batch steps: list a prefix, JSON in and out, and a seekable
read-only file over ranged GETs so pyarrow reads one Parquet row group at a time
(bounded memory) through boto3, which honours ``AWS_ENDPOINT_URL`` like every client."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from lightship.clients import cached_client
from lightship.s3uri import S3Uri


def s3() -> Any:
    return cached_client("s3")


@dataclass(frozen=True)
class ObjectInfo:
    uri: str
    size: int


def list_objects(prefix_uri: str) -> list[ObjectInfo]:
    """Every object under ``prefix_uri`` (keys ending in ``/`` skipped), in key order."""
    where = S3Uri.parse(prefix_uri)
    out = []
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=where.key):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/"):
                out.append(ObjectInfo(uri=f"s3://{where.bucket}/{item['Key']}", size=int(item["Size"])))
    return sorted(out, key=lambda o: o.uri)


def put_json(uri: str, data: Any) -> None:
    put_bytes(uri, json.dumps(data, indent=1, sort_keys=True, default=str).encode(), "application/json")


def get_json(uri: str) -> Any:
    return json.loads(get_bytes(uri))


def put_bytes(uri: str, body: bytes, content_type: str = "application/octet-stream") -> None:
    where = S3Uri.parse(uri)
    s3().put_object(Bucket=where.bucket, Key=where.key, Body=body, ContentType=content_type)


def get_bytes(uri: str) -> bytes:
    where = S3Uri.parse(uri)
    body: bytes = s3().get_object(Bucket=where.bucket, Key=where.key)["Body"].read()
    return body


def copy(source_uri: str, target_uri: str) -> None:
    src, dst = S3Uri.parse(source_uri), S3Uri.parse(target_uri)
    s3().copy_object(Bucket=dst.bucket, Key=dst.key, CopySource={"Bucket": src.bucket, "Key": src.key})


def delete(uris: list[str]) -> None:
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        where = S3Uri.parse(uri)
        by_bucket.setdefault(where.bucket, []).append(where.key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            s3().delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


class S3File(io.RawIOBase):
    """A read-only, seekable view of one object; each read is a ranged GET.

    The last 64 KiB are fetched once, so a Parquet footer costs one request.
    """

    TAIL = 64 * 1024

    def __init__(self, uri: str, size: int | None = None) -> None:
        self.where = S3Uri.parse(uri)
        self.size = size if size is not None else int(
            s3().head_object(Bucket=self.where.bucket, Key=self.where.key)["ContentLength"]
        )
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
        response = s3().get_object(Bucket=self.where.bucket, Key=self.where.key, Range=f"bytes={start}-{end - 1}")
        body: bytes = response["Body"].read()
        return body
