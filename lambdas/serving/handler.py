"""Lambda entry point of the serving function: the FastAPI app through Mangum.

Everything is built at import (init phase, and so in a SnapStart snapshot): clients,
the live bundle, the app; after a restore the first request re-reads the record. Each
invocation is one HTTP request from API Gateway (HTTP API payload 2.0, or REST payload
1.0); its metrics are written (EMF on stdout) before it returns, so none wait in a frozen
environment. Sampled inference capture is uploaded by a background thread.
"""

from __future__ import annotations

from typing import Any

from lightship.serving.gateway import make_handler
from lightship.serving.runtime import build_serving

serving = build_serving()
app = serving.app
_adapter = make_handler(app, base_path=serving.settings.serving.api_base_path)

try:  # the Lambda Python runtime's SnapStart hooks; absent elsewhere
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
except ImportError:
    pass
else:
    register_after_restore(serving.after_restore)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _adapter(event, context)
