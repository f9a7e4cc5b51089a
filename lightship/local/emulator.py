"""The embedded AWS emulator: moto's server on 127.0.0.1 with the project's resources in it.

``with LocalEmulator(settings) as emu:`` starts the server on a free port (or the one
given), points this process's AWS configuration at it (``AWS_ENDPOINT_URL``, test
credentials), installs the compute moto lacks, and provisions the resources. The
CLI's ``local up`` and ``demo``, and the integration tests, all start it this way.
``function_log`` names a file that also receives what the in-process Lambda handlers
print (their JSON logs and EMF lines), which otherwise go only to their log groups.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

from lightship.local import dynamodb_isolation, function_logs, lambda_router, schedule_rules, sns_lambda, training_compute
from lightship.local.alarm_delivery import AlarmWatcher
from lightship.local.port import listen
from lightship.local.provision import provision
from lightship.resources import Resources, resources_for
from lightship.settings import Settings

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
TEST_ACCOUNT = "123456789012"


class MotoServer:
    """moto's server (what ``ThreadedMotoServer`` runs) on a socket :func:`listen` bound first."""

    def __init__(self, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        sock = listen(host, port)
        try:
            self._server = make_server(host, sock.getsockname()[1], DomainDispatcherApplication(create_backend_app), threaded=True,
                                       request_handler=MotoRequestHandler, fd=sock.fileno())
        finally:
            sock.close()  # the server holds its own duplicate of the descriptor
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class LocalEmulator:
    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0, function_log: Path | None = None) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        # Where the in-process Lambda handlers' lines go besides their log groups (None: log groups only).
        self.function_log = function_log
        self._server: MotoServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self.resources: Resources | None = None
        self.alarm_watcher: AlarmWatcher | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """What a shell needs to talk to this emulator (``lightship local up`` prints it)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.settings.region,
            "AWS_REGION": self.settings.region,
            "MOTO_PORT": str(self.port),
        }

    def start(self) -> Resources:
        self._server = MotoServer(self.host, self.port)  # a taken port: LightshipError, at once
        self.port = self._server.port
        for key, value in self.environment().items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        # Keep any shared credentials file out of it: the emulator accepts only test keys.
        self._saved_env.setdefault("AWS_PROFILE", os.environ.pop("AWS_PROFILE", None))
        self._post("/moto-api/config", MOTO_CONFIG)
        training_compute.install(self.endpoint_url, self.settings.region)
        function_logs.write_to(self.function_log)
        lambda_router.install()
        dynamodb_isolation.install()  # conditional writes are atomic, as on DynamoDB
        sns_lambda.install()  # SNS -> Lambda subscriptions reach the routed handlers
        schedule_rules.install()  # schedule rules match no PutEvents, as on AWS
        self.resources = resources_for(self.settings, TEST_ACCOUNT)
        provision(self.settings, self.resources)
        # moto triggers no alarm actions: deliver each alarm state change as CloudWatch would.
        from lightship.clients import client

        self.alarm_watcher = AlarmWatcher(client("cloudwatch"), client("sns"), TEST_ACCOUNT, self.settings.region)
        self.alarm_watcher.start()
        return self.resources

    def reset(self) -> None:
        """Empty every service, then provision again (tests use it between cases)."""
        self._post("/moto-api/reset", {})
        self._post("/moto-api/config", MOTO_CONFIG)
        assert self.resources is not None
        if self.alarm_watcher is not None:
            self.alarm_watcher.forget()
        provision(self.settings, self.resources)

    def stop(self) -> None:
        if self.function_log is not None and function_logs.log_file() == self.function_log:
            function_logs.write_to(None)
        if self.alarm_watcher is not None:
            self.alarm_watcher.stop()
            self.alarm_watcher = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.endpoint_url + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
