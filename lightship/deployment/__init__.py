"""The deployment record: which approved version is live, and the history of every change.

Promotion and rollback only rewrite this record (docs/architecture.md, decision 4); serving reads it.
"""
