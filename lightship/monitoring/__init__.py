"""What the project watches: alarm definitions shared by the monitoring stack and the local emulator
(``alarms``), and the alarm state changes they deliver, parsed (``alarm_events``: the rollback
handler's input, and the release checks' time format)."""
