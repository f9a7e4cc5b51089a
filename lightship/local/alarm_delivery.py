"""Alarm actions for the emulator: moto records ``set_alarm_state`` but triggers nothing.

:class:`AlarmWatcher` polls ``describe_alarms`` on the emulator and, for each state
change it sees, does what CloudWatch does: publishes CloudWatch's alarm notification
JSON (the message an alarm sends to SNS, with ``AlarmName``, ``NewStateValue``,
``NewStateReason``, ``StateChangeTime``, ``Trigger`` ...) to every SNS topic in the
alarm's ``AlarmActions`` (or ``OKActions`` / ``InsufficientDataActions``). From there
the topic's subscriptions take it: the rollback topic's Lambda subscription runs the
real rollback handler (:mod:`lightship.local.sns_lambda`). So
``aws cloudwatch set-alarm-state`` against the emulator exercises the path AWS takes.

An alarm seen for the first time with a state set after its creation (created and
set between two polls) counts as a transition, so no quick change is lost. The emulator
starts the watcher; tests and the demo may call :meth:`AlarmWatcher.deliver_pending`
to deliver at once instead of waiting for the next poll. Actions other than SNS
topics are logged and skipped.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

ACTION_LISTS = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}
INITIAL_STATE = "INSUFFICIENT_DATA"  # where AWS starts a new alarm
CREATION_REASON = "Unchecked: Initial alarm creation"  # moto's reason for a new alarm (which it starts in OK)
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}


@dataclass(frozen=True)
class Delivery:
    alarm: str
    old_state: str
    new_state: str
    topic_arn: str
    message_id: str
    message: str  # the notification JSON, as published


def cloudwatch_time(moment: datetime) -> str:
    """``2026-11-23T11:52:31.123+0000``, as CloudWatch writes times in alarm notifications."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def notification(alarm: dict[str, Any], old_state: str, account: str, region: str) -> dict[str, Any]:
    """CloudWatch's SNS notification for ``alarm`` (a ``describe_alarms`` MetricAlarm) entering its current state."""
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": cloudwatch_time(alarm.get("AlarmConfigurationUpdatedTimestamp") or alarm["StateUpdatedTimestamp"]),
        "NewStateValue": alarm["StateValue"],
        "NewStateReason": alarm.get("StateReason", ""),
        "StateChangeTime": cloudwatch_time(alarm["StateUpdatedTimestamp"]),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.get("AlarmArn"),
        "OldStateValue": old_state,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": _trigger(alarm),
    }


def _trigger(alarm: dict[str, Any]) -> dict[str, Any]:
    common = {
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm.get("EvaluationPeriods"),
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm"),
        "ComparisonOperator": alarm.get("ComparisonOperator"),
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": alarm.get("TreatMissingData", "missing"),
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
    }
    if alarm.get("Metrics"):
        metrics = []
        for query in alarm["Metrics"]:
            item: dict[str, Any] = {"Id": query["Id"], "ReturnData": query.get("ReturnData", True)}
            if query.get("Expression"):
                item["Expression"] = query["Expression"]
                item["Label"] = query.get("Label")
            stat = query.get("MetricStat")
            if stat:
                metric = stat["Metric"]
                item["MetricStat"] = {
                    "Metric": {
                        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in metric.get("Dimensions", [])],
                        "MetricName": metric["MetricName"],
                        "Namespace": metric["Namespace"],
                    },
                    "Period": stat.get("Period"),
                    "Stat": stat.get("Stat"),
                }
            metrics.append(item)
        return {**common, "Metrics": metrics}
    extended = alarm.get("ExtendedStatistic")
    return {
        **common,
        "MetricName": alarm.get("MetricName"),
        "Namespace": alarm.get("Namespace"),
        "StatisticType": "ExtendedStatistic" if extended else "Statistic",
        "Statistic": extended or str(alarm.get("Statistic", "")).upper(),
        "Unit": alarm.get("Unit"),
        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
    }


class AlarmWatcher:
    """Delivers alarm state changes on the emulator to their actions; one per emulator."""

    def __init__(self, cloudwatch: Any, sns: Any, account: str, region: str, interval_seconds: float = 0.5) -> None:
        self.cloudwatch = cloudwatch
        self.sns = sns
        self.account = account
        self.region = region
        self.interval = interval_seconds
        self.deliveries: list[Delivery] = []
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lightship-alarm-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def forget(self) -> None:
        """Drop what was seen and delivered (the emulator was reset: every alarm starts again)."""
        with self._lock:
            self._seen.clear()
            self.deliveries.clear()

    def deliver_pending(self) -> list[Delivery]:
        """Look now and deliver every state change not delivered yet; returns what was delivered."""
        with self._lock:
            delivered: list[Delivery] = []
            for alarm in self._alarms():
                name = alarm["AlarmName"]
                state = alarm["StateValue"]
                previous = self._seen.get(name)
                self._seen[name] = state
                if previous is None and not str(alarm.get("StateReason", "")).startswith(CREATION_REASON):
                    previous = INITIAL_STATE  # changed between its creation and our first look
                if previous is None or previous == state:
                    continue
                delivered.extend(self._deliver(alarm, previous))
            self.deliveries.extend(delivered)
            return delivered

    def _alarms(self) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        for page in self.cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            alarms.extend(page.get("MetricAlarms", []))
        return alarms

    def _deliver(self, alarm: dict[str, Any], old_state: str) -> list[Delivery]:
        if not alarm.get("ActionsEnabled", True):
            return []
        state = alarm["StateValue"]
        message = json.dumps(notification(alarm, old_state, self.account, self.region))
        subject = f'{state}: "{alarm["AlarmName"]}" in {REGION_NAMES.get(self.region, self.region)}'[:100]
        delivered = []
        for action in alarm.get(ACTION_LISTS[state], []):
            if ":sns:" not in action:
                log.warning("alarm %s: action %s is not an SNS topic; the emulator delivers only to SNS", alarm["AlarmName"], action)
                continue
            try:
                response = self.sns.publish(TopicArn=action, Subject=subject, Message=message)
            except Exception:  # noqa: BLE001 - one bad action must not stop the others
                log.exception("alarm %s: could not publish to %s", alarm["AlarmName"], action)
                continue
            delivered.append(Delivery(alarm["AlarmName"], old_state, state, action, response["MessageId"], message))
        return delivered

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.deliver_pending()
            except Exception:  # noqa: BLE001 - a reset emulator or a slow call: try again next poll
                log.debug("alarm watcher poll failed", exc_info=True)
