"""The deployment record in DynamoDB.

One item (``pk="live"``, ``sk="current"``) names the live version; every change also
writes a history item (``pk="history"``, ``sk=<zero-padded revision>``) in the same
transaction. During a release the item also holds the release (candidate, mode, weight)
as JSON. ``at`` is always :func:`record_time`'s one format (ISO 8601, UTC, milliseconds,
``Z``) whoever writes (deploy, rollback, release); ``details`` is a DynamoDB map (items
written before it was one hold a JSON string, and still read). Writers go through :func:`lightship.deployment.transition.transition`, which
checks the change is allowed and calls :meth:`DeploymentRecord.write`. Each write is conditional on the revision it read, so two writers racing
(two alarms, a person and an alarm) cannot both win: the loser gets
:class:`RecordConflict` and re-reads. Used by deploy, rollback, status and serving.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from lightship.errors import LightshipError

LIVE_KEY = {"pk": {"S": "live"}, "sk": {"S": "current"}}


class RecordConflict(LightshipError):
    """Someone else changed the record between our read and our write."""


def record_time(moment: datetime | str | None = None) -> str:
    """The record's one time format: ``2026-12-03T19:53:07.123Z`` (ISO 8601, UTC, milliseconds).

    Milliseconds because a rollback compares the record's time with the alarm's; a string is
    read as ISO 8601 (``Z``, ``+00:00`` or ``+0000``; no zone means UTC) and rewritten.
    """
    if moment is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(moment, str):
        text = moment.strip()
        if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0000 -> +00:00
            text = f"{text[:-2]}:{text[-2:]}"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def details_to_map(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` as a DynamoDB ``M`` attribute (numbers through their JSON text, so 0.25 stays 0.25)."""
    plain = json.loads(json.dumps(details, sort_keys=True, default=str), parse_float=Decimal)
    return {"M": {k: _serializer.serialize(v) for k, v in plain.items()}}


def details_from_cell(cell: dict[str, Any] | None) -> dict[str, Any]:
    """A stored ``details``: a map, or the JSON string older items hold."""
    if cell is None:
        return {}
    if "S" in cell:
        return dict(json.loads(cell["S"] or "{}"))
    return dict(_plain(_deserializer.deserialize(cell)))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        text = str(value)  # written from JSON text: "3" was an int, "3.0" or "3E+16" a float
        return int(value) if text.lstrip("-").isdigit() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, frozenset)):
        return [_plain(v) for v in value]
    return value


_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


@dataclass(frozen=True)
class Deployment:
    version: int
    package_arn: str
    model_data_url: str
    revision: int
    action: str  # deploy | rollback
    reason: str
    by: str
    at: str
    previous_version: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # e.g. the alarm that caused a rollback
    # JSON of a :class:`lightship.deployment.release_state.Release` while a release is under way, else None.
    release: str | None = None

    def to_item(self, pk: str, sk: str) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
        for key, value in asdict(self).items():
            if value is None:
                continue
            if key == "details":
                item[key] = details_to_map(value)
                continue
            item[key] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Deployment:
        def get(name: str) -> Any:
            cell = item.get(name)
            if cell is None:
                return None
            return int(cell["N"]) if "N" in cell else cell["S"]

        return cls(
            version=get("version"),
            package_arn=get("package_arn"),
            model_data_url=get("model_data_url"),
            revision=get("revision"),
            action=get("action"),
            reason=get("reason") or "",
            by=get("by") or "",
            at=get("at") or "",
            previous_version=get("previous_version"),
            details=details_from_cell(item.get("details")),
            release=get("release"),
        )

    @property
    def details_dict(self) -> dict[str, Any]:
        return dict(self.details)

    @property
    def in_release(self) -> bool:
        return bool(self.release)


class DeploymentRecord:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def live(self, consistent: bool = True) -> Deployment | None:
        item = self.dynamodb.get_item(TableName=self.table, Key=LIVE_KEY, ConsistentRead=consistent).get("Item")
        return Deployment.from_item(item) if item else None

    def history(self, limit: int = 50) -> list[Deployment]:
        """Changes, newest first."""
        response = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :h",
            ExpressionAttributeValues={":h": {"S": "history"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Deployment.from_item(i) for i in response.get("Items", [])]

    def write(self, new: Deployment, expected_revision: int | None) -> Deployment:
        """Make ``new`` live if the record is still at ``expected_revision`` (None: no record yet)."""
        live_item = new.to_item("live", "current")
        history_item = new.to_item("history", f"{new.revision:010d}")
        if expected_revision is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_revision)}},
            }
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": live_item, **condition}},
                    {"Put": {"TableName": self.table, "Item": history_item, "ConditionExpression": "attribute_not_exists(pk)"}},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
                raise RecordConflict(
                    f"the deployment record changed while writing revision {new.revision}; read it again"
                ) from exc
            raise
        return new
