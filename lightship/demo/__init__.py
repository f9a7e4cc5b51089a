"""``lightship demo``: the whole story in one process on the embedded emulator, no AWS account.

:mod:`.story` holds the shared state and runs the chapters in order; each capability adds a
chapter module (training and registry today; serving, batch and rollback build on it).
"""
