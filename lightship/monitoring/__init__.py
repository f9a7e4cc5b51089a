"""What the project watches: alarm definitions shared by the monitoring stack and the local emulator."""
