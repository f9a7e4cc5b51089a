"""The deployment record: which approved version is live, and the history of every change.

Promotion and rollback only rewrite this record (docs/architecture.md, decision 4); serving reads it.
A release under way is a state of the record (``release_state``), written by the same one
transition (``transition``) through the same read-decide-write loop (``retry``).
"""
