"""The deployment record in DynamoDB.

One item (``pk="live"``, ``sk="current"``) names the live version; every change also
writes a history item (``pk="history"``, ``sk=<zero-padded revision>``) in the same
transaction. During a release the item also holds the release (candidate, mode, weight)
as JSON. Writers go through :func:`lightship.deployment.transition.transition`, which
checks the change is allowed and calls :meth:`DeploymentRecord.write`. Each write is conditional on the revision it read, so two writers racing
(two alarms, a person and an alarm) cannot both win: the loser gets
:class:`RecordConflict` and re-reads. Used by deploy, rollback, status and serving.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from lightship.errors import LightshipError

LIVE_KEY = {"pk": {"S": "live"}, "sk": {"S": "current"}}


class RecordConflict(LightshipError):
    """Someone else changed the record between our read and our write."""


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
    details: str = "{}"  # JSON: e.g. the alarm that caused a rollback
    # JSON of a :class:`lightship.release.state.Release` while a release is under way, else None.
    release: str | None = None

    def to_item(self, pk: str, sk: str) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
        for key, value in asdict(self).items():
            if value is None:
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
            details=get("details") or "{}",
            release=get("release"),
        )

    @property
    def details_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.details or "{}"))


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
