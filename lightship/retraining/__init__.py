"""Closing the loop (docs/retraining.md): triggers, the run ledger, the assembled dataset and the
retraining state machine's tasks. The machine is ``infra/stacks/retraining.py``; its function
``lambdas/retraining/handler.py``; ``lightship retrain`` starts a run by hand."""
