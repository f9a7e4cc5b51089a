"""The serving path runs without pandas, pyarrow, awswrangler, the sagemaker SDK, scikit-learn, scipy or joblib.

scikit-learn imports pandas whenever it is installed, so checking ``sys.modules`` in this
environment would prove nothing. Instead a fresh interpreter makes those packages
unimportable (as in the Lambda package, which leaves them out), imports every serving
module and the Lambda adapter, loads a real bundle (its model.onnx, in ONNX Runtime) and
answers a request through Mangum. Any import of them on the way fails the request, and the test.
A bundle without model.onnx cannot be served there, and says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from lightship.bundle.model_bundle import MANIFEST, ModelBundle
from lightship.serving.validation import RowEncoder

REPO = Path(__file__).resolve().parents[3]
INSTANCE = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": None, "region": "north"}

HEAVY = ("pandas", "pyarrow", "awswrangler", "sagemaker", "sklearn", "scipy", "joblib")

SCRIPT = r"""
import json, sys
HEAVY = set(sys.argv[2].split(","))
attempts = []

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            attempts.append(name)
            raise ImportError(f"{name} is not in the serving package")
        return None

sys.meta_path.insert(0, Refuse())

import importlib
for module in ("lightship.serving.app", "lightship.serving.runtime", "lightship.serving.gateway",
               "lightship.serving.client", "lightship.serving.input_files", "lightship.serving.local_server"):
    importlib.import_module(module)

from lightship.bundle.model_bundle import load_bundle
from lightship.deployment.record import Deployment
from lightship.serving.app import ServingRuntime, create_app
from lightship.serving.gateway import make_handler
from lightship.serving.metrics import ServingMetrics
from lightship.serving.model_holder import ModelHolder
from tests.support.events import Context, http_api_v2

bundle = load_bundle(__import__("pathlib").Path(sys.argv[1]))
assert bundle.runtime == "onnx", bundle.fallback_reason

class Record:
    def live(self, consistent=True):
        return Deployment(1, "arn", "s3://b/k", 1, "deploy", "r", "me", "now")

holder = ModelHolder(Record(), lambda url: bundle, ttl_seconds=60, max_instances=10)
app = create_app(ServingRuntime(holder, ServingMetrics(sinks=[]), None, 100000, 10))
instance = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": None, "region": "north"}
response = make_handler(app)(http_api_v2("POST", "/v1/predict", {"instances": [instance]}), Context())
body = json.loads(response["body"])
print(json.dumps({"status": response["statusCode"], "loaded": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY),
                  "attempts": attempts, "probabilities": body.get("probabilities")}))
"""


def test_serving_imports_and_answers_with_pandas_pyarrow_awswrangler_sagemaker_and_scikit_learn_unavailable(
    customers_bundle_dir: Path, customers_reference: ModelBundle,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(customers_bundle_dir), ",".join(HEAVY)],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["status"], outcome["loaded"], outcome["attempts"]) == (200, [], [])
    # The answer is the scikit-learn pipeline's, computed here where scikit-learn is installed.
    rows = RowEncoder(customers_reference.schema, 10).encode({"instances": [INSTANCE]})
    np.testing.assert_allclose(outcome["probabilities"], customers_reference.pipeline.predict_proba(rows), rtol=0, atol=1e-4)


def test_a_bundle_without_onnx_is_refused_there_with_the_reason(tmp_path: Path, customers_bundle_dir: Path) -> None:
    """Without scikit-learn a fallback cannot load: the holder keeps its model and counts a load failure."""
    directory = tmp_path / "model"
    shutil.copytree(customers_bundle_dir, directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    del manifest["onnx"], manifest["files"]["model.onnx"]
    manifest["onnx_fallback"] = "parity failed on the holdout: (test)"
    (directory / MANIFEST).write_text(json.dumps(manifest))
    probe = SCRIPT.split("from lightship.deployment.record")[0] + "load_bundle(__import__('pathlib').Path(sys.argv[1]))\n"

    result = subprocess.run([sys.executable, "-c", probe, str(directory), ",".join(HEAVY)],
                            capture_output=True, text=True, cwd=REPO, timeout=120, check=False)

    assert result.returncode != 0
    assert "BundleError" in result.stderr
    assert "needs scikit-learn 1.9.1 (parity failed on the holdout: (test)), and it cannot be imported here" in result.stderr


def test_the_guard_itself_catches_a_heavy_import(tmp_path: Path) -> None:
    """The same refusal makes an import of pandas fail, so the test above would see one."""
    probe = SCRIPT.split("import importlib")[0] + "import pandas\n"
    result = subprocess.run([sys.executable, "-c", probe, "unused", ",".join(HEAVY)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "pandas is not in the serving package" in result.stderr

