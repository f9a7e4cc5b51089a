"""A state machine of the batch stack's shape, for the estimate's unit tests (the real one is synthesized in tests/infra)."""

from __future__ import annotations

import json

# A machine of the batch stack's shape (the real one is counted in tests/infra/test_estimate_matches_stacks.py).
MACHINE = json.dumps({
    "StartAt": "Resolve",
    "States": {
        "Resolve": {"Type": "Task", "Resource": "arn", "Next": "Plan"},
        "Plan": {"Type": "Task", "Resource": "arn", "Next": "Mode"},
        "Mode": {"Type": "Choice", "Choices": [{"Variable": "$.m", "StringEquals": "d", "Next": "Distributed"}], "Default": "Inline"},
        "Inline": {"Type": "Map", "Next": "Merge", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Score",
                                                                     "States": {"Score": {"Type": "Task", "Resource": "arn", "End": True}}}},
        "Distributed": {"Type": "Map", "Next": "Merge", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Prepare",
            "States": {"Prepare": {"Type": "Pass", "Next": "Score"}, "Score": {"Type": "Task", "Resource": "arn", "End": True}}}},
        "Merge": {"Type": "Task", "Resource": "arn", "Next": "Alert?"},
        "Alert?": {"Type": "Choice", "Choices": [{"Variable": "$.a", "BooleanEquals": True, "Next": "Publish"}], "Default": "Done"},
        "Publish": {"Type": "Task", "Resource": "arn", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
})
