"""``s3://bucket/key`` addresses: parsing and joining."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        if not uri.startswith("s3://"):
            raise ValueError(f"{uri}: not an s3:// address")
        bucket, _, key = uri[5:].partition("/")
        if not bucket:
            raise ValueError(f"{uri}: no bucket")
        return cls(bucket=bucket, key=key)

    def join(self, *parts: str) -> S3Uri:
        key = "/".join(p.strip("/") for p in (self.key, *parts) if p.strip("/"))
        return S3Uri(self.bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def is_s3(value: str) -> bool:
    return value.startswith("s3://")
