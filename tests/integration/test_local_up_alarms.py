"""``lightship local up`` in its own process delivers alarm state changes as AWS does: a set-alarm-state
call from another process (what ``aws cloudwatch set-alarm-state`` sends) reaches the real rollback
handler through the alarm's SNS action, and the record in the emulator shows the rollback."""

from __future__ import annotations

import pandas as pd
import pytest

from lightship.clients import client
from lightship.resources import resources_for
from lightship.settings import load_settings
from tests.integration.rollback_support import ago, put_live, record, registry, wait_for
from tests.support.local_up import local_up_process
from tests.support.models import register_trained


def test_set_alarm_state_from_another_process_rolls_back_inside_local_up(monkeypatch: pytest.MonkeyPatch, customers_frame: pd.DataFrame) -> None:
    with local_up_process() as exports:
        for key, value in exports.items():
            monkeypatch.setenv(key, value)
        settings = load_settings()
        resources = resources_for(settings, "123456789012")
        v1 = register_trained(settings, resources, customers_frame, "churned", params={"C": 0.01}, name="job-1", approve=True)
        v2 = register_trained(settings, resources, customers_frame, "churned", params={"C": 1.0}, name="job-2", approve=True)
        put_live(resources, v1, ago(30))
        put_live(resources, v2, ago(10))

        client("cloudwatch").set_alarm_state(
            AlarmName=f"{settings.project}-serving-model-failures", StateValue="ALARM", StateReason="Threshold Crossed: 12 prediction failures"
        )

        live = wait_for(lambda: (lambda d: d if d and d.version == v1.version else None)(record(resources).live()), what="the rollback")
        assert live.action == "rollback" and "12 prediction failures" in live.reason
        assert registry(settings, resources).version(v2.version).status == "Rejected"
