"""SageMaker script-mode entry point: ``python train.py --model logistic --target y -C 0.5 ...``.

Reads SageMaker's contract and nothing else: the ``train`` channel from
``SM_CHANNEL_TRAIN``, hyperparameters from the command line exactly as the container's
training toolkit passes them (``--name value``, ``-C value`` for one-letter names) with
``SM_HPS``'s exact values over them (``lightship.training.script_args``), and writes the
bundle to ``SM_MODEL_DIR`` and a copy of the evaluation to ``SM_OUTPUT_DATA_DIR``. On failure it writes the
reason to ``/opt/ml/output/failure`` (``SM_OUTPUT_DIR/failure``), which SageMaker
reports as the job's ``FailureReason``, and exits non-zero: every failure, a command line
it cannot read included (the toolkit then keeps that file rather than writing its own).

It runs unchanged on SageMaker and in the local emulator's training compute.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from pathlib import Path

# The launcher ships the ``lightship`` package beside this file in sourcedir.tar.gz.
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str]) -> int:
    output_dir = Path(os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output"))
    try:
        from lightship.training.data import load_training_data
        from lightship.training.models import RESERVED_HYPERPARAMETERS
        from lightship.training.run import train, write
        from lightship.training.segments import parse_segments
        from lightship.training.script_args import read_hyperparameters

        hps = read_hyperparameters(argv, os.environ)
        if "target" not in hps:
            raise ValueError("hyperparameter 'target' is required")
        channel = Path(os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
        model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
        data_out = Path(os.environ.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"))
        task = hps.get("task") if hps.get("task") in {"classification", "regression"} else None

        data = load_training_data(channel, str(hps["target"]), task)
        params = {k: v for k, v in hps.items() if k not in RESERVED_HYPERPARAMETERS}
        result = train(
            data,
            model=str(hps.get("model", "hist_gradient_boosting")),
            params=params,
            seed=int(hps.get("seed", 42)),
            holdout_fraction=float(hps.get("holdout_fraction", 0.2)),
            profile_bins=int(hps.get("profile_bins", 20)),
            segments=parse_segments(hps.get("segments")),
            segment_confidence=float(hps.get("segment_confidence", 0.95)),
        )
        result.evaluation["training_job_name"] = os.environ.get("TRAINING_JOB_NAME", "")
        write(result, model_dir)
        data_out.mkdir(parents=True, exist_ok=True)
        shutil.copy(model_dir / "evaluation.json", data_out / "evaluation.json")
        print(json.dumps({"metrics": result.evaluation["metrics"]}))
        return 0
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - every failure, argument errors included, must reach the failure file
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        traceback.print_exc()
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "failure").write_text(f"{type(exc).__name__}: {reason}"[:1024])
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
