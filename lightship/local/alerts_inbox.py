"""An SQS queue subscribed to an SNS topic: what a person subscribed to the alerts would receive.

The demo shows its alerts this way, and the rollback tests read them this way.
"""

from __future__ import annotations

import json
from typing import Any

from lightship.clients import client


class AlertsInbox:
    def __init__(self, topic_arn: str, queue_name: str) -> None:
        self.sqs = client("sqs")
        self.queue_url = str(self.sqs.create_queue(QueueName=queue_name)["QueueUrl"])
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def messages(self) -> list[dict[str, Any]]:
        """SNS envelopes received since the last call (Subject, Message ...); each is read once."""
        out: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
            for message in batch:
                out.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return out
