"""The serving path runs without pandas, pyarrow, awswrangler or the sagemaker SDK.

scikit-learn imports pandas whenever it is installed, so checking ``sys.modules`` in this
environment would prove nothing. Instead a fresh interpreter makes those packages
unimportable (as in the Lambda package, which leaves them out), imports every serving
module and the Lambda adapter, loads a real bundle and answers a request through Mangum.
Any import of them on the way fails the request, and the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lightship.training.data import load_training_data
from lightship.training.run import train, write

HEAVY = ("pandas", "pyarrow", "awswrangler", "sagemaker")

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

class Record:
    def live(self, consistent=True):
        return Deployment(1, "arn", "s3://b/k", 1, "deploy", "r", "me", "now")

holder = ModelHolder(Record(), lambda url: bundle, ttl_seconds=60, max_instances=10)
app = create_app(ServingRuntime(holder, ServingMetrics(sinks=[]), None, 100000, 10))
instance = {"tenure_months": 12.0, "monthly_spend": 70.5, "support_calls": 1, "age": None, "plan": "basic", "region": "north"}
response = make_handler(app)(http_api_v2("POST", "/v1/predict", {"instances": [instance]}), Context())
print(json.dumps({"status": response["statusCode"], "loaded": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)}))
"""


def test_serving_imports_and_answers_with_pandas_pyarrow_awswrangler_and_sagemaker_unavailable(tmp_path: Path, customers_csv: Path) -> None:
    bundle_dir = write(train(load_training_data(customers_csv, "churned"), "logistic", {}), tmp_path / "model")
    repo = Path(__file__).resolve().parents[3]

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(bundle_dir), ",".join(HEAVY)],
        capture_output=True, text=True, cwd=repo, timeout=120, check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"status": 200, "loaded": []}


def test_the_guard_itself_catches_a_heavy_import(tmp_path: Path) -> None:
    """The same refusal makes an import of pandas fail, so the test above would see one."""
    probe = SCRIPT.split("import importlib")[0] + "import pandas\n"
    result = subprocess.run([sys.executable, "-c", probe, "unused", ",".join(HEAVY)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "pandas is not in the serving package" in result.stderr

