"""Automatic and manual rollback of the live model (docs/architecture.md, decision 5).

:mod:`lightship.monitoring.alarm_events` parses what an alarm delivers (SNS-wrapped CloudWatch
alarm notifications, EventBridge "CloudWatch Alarm State Change" events); ``decision`` decides, without
AWS, whether an alarm should roll back and to which version; ``candidate`` whether a candidate
alarm aborts the release under way; ``rollback`` carries it
out against the deployment record, the registry and the alerts topic (clients
injected). The rollback Lambda (``lambdas/rollback/handler.py``) and
``lightship rollback`` both call ``rollback``.
"""
