"""Lineage: which code, data and settings produced a model version.

The launcher collects it (git commit, data objects with their S3 version ids or ETags,
hyperparameters, training job, image); the training job adds the content hash of
the data it actually read. Registration stores it in the evaluation report in S3,
which every command reads, and its short fields in CustomerMetadataProperties too (every
update of the version carries them along: moto resets what an update leaves out, AWS merges).
"""

from __future__ import annotations

import getpass
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lightship.s3uri import S3Uri


def git_state(repo: Path) -> dict[str, Any]:
    """The commit the code came from, and whether the work tree had uncommitted changes."""

    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = run("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None, "repository": str(repo)}
    try:
        dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    except subprocess.CalledProcessError:
        dirty = None
    try:
        remote = run("config", "--get", "remote.origin.url")
    except subprocess.CalledProcessError:
        remote = ""
    return {"commit": commit, "dirty": dirty, "repository": remote or str(repo)}


def s3_objects(s3: Any, uri: S3Uri) -> list[dict[str, Any]]:
    """Every object under ``uri`` (a key or a prefix) with its ETag, version id and size."""
    objects: list[dict[str, Any]] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=uri.bucket, Prefix=uri.key):
        for item in page.get("Contents", []):
            head = s3.head_object(Bucket=uri.bucket, Key=item["Key"])
            objects.append(
                {
                    "key": item["Key"],
                    "etag": head["ETag"].strip('"'),
                    "version_id": head.get("VersionId"),
                    "size": head["ContentLength"],
                }
            )
    return objects


def who_am_i(sts: Any) -> str:
    try:
        return str(sts.get_caller_identity()["Arn"])
    except Exception:  # noqa: BLE001 - lineage falls back to the local user name
        return getpass.getuser()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
