"""``estimate(settings, load) -> Estimate``: the monthly cost of a load and the limit that binds first.

The one function ``lightship estimate`` and ``lightship checklist`` call. ``Estimate`` carries the
figures a checklist cites (:attr:`Estimate.per_million_predictions`, :attr:`Estimate.per_batch_day`,
:attr:`Estimate.binding`), every cost line and limit behind them, and what SageMaker real-time and
serverless endpoints would cost for the same online load. The batch machine's transitions are
counted on the definition ``cdk synth`` emits (:func:`batch_definition`, cached like the emulator's).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lightship.errors import LightshipError
from lightship.estimate.cost import (
    GIB,
    HOURS_PER_MONTH,
    SECONDS_PER_MONTH,
    CostLine,
    batch_lines,
    monitoring_lines,
    serving_concurrency,
    serving_lines,
)
from lightship.estimate.limits import Limit, batch_limits, serving_limits
from lightship.estimate.transitions import MapMode, RunTransitions, count_transitions
from lightship.estimate.prices import estimate_settings
from lightship.settings import Settings

BATCH_RUNS_PER_MONTH = HOURS_PER_MONTH / 24  # one run a day (batch.schedule's default)


@dataclass(frozen=True)
class Load:
    rps: float  # online predictions requests per second, sustained
    batch_rows: int  # rows one batch run scores (a batch day)
    instances_per_request: int = 1

    def __post_init__(self) -> None:
        if self.rps < 0 or self.batch_rows < 0 or self.instances_per_request < 1:
            raise LightshipError("estimate: --rps and --batch-rows must be 0 or more, --instances-per-request 1 or more")


@dataclass(frozen=True)
class Estimate:
    load: Load
    lines: list[CostLine]
    limits: list[Limit]
    chunks: int
    map_mode: str
    transitions: RunTransitions
    sagemaker: dict[str, Any] = field(default_factory=dict)
    prices: dict[str, Any] = field(default_factory=dict)  # every price, quota and assumption used, with sources

    def _sum(self, *parts: str) -> float:
        return sum(line.usd for line in self.lines if line.part in parts)

    @property
    def serving_monthly(self) -> float:
        return self._sum("serving", "monitoring")

    @property
    def per_batch_day(self) -> float:
        """USD for one batch run of ``load.batch_rows`` rows."""
        return self._sum("batch")

    @property
    def batch_monthly(self) -> float:
        return self.per_batch_day * BATCH_RUNS_PER_MONTH

    @property
    def monthly_total(self) -> float:
        return self.serving_monthly + self.batch_monthly

    @property
    def predictions_per_month(self) -> float:
        return self.load.rps * SECONDS_PER_MONTH * self.load.instances_per_request

    @property
    def per_million_predictions(self) -> float | None:
        """USD of serving (and its monitoring) per million online predictions; None without traffic."""
        n = self.predictions_per_month
        return self.serving_monthly / n * 1e6 if n else None

    @property
    def binding(self) -> Limit:
        """The limit with the highest utilization: the first to bind as the load grows."""
        return max(self.limits, key=lambda limit: limit.utilization)

    def to_dict(self) -> dict[str, Any]:
        return {
            "load": asdict(self.load),
            "monthly_usd": {"serving": self.serving_monthly, "batch": self.batch_monthly, "total": self.monthly_total},
            "per_million_predictions_usd": self.per_million_predictions,
            "per_batch_day_usd": self.per_batch_day,
            "batch": {"chunks": self.chunks, "map_mode": self.map_mode, "transitions_per_run": self.transitions.total(self.chunks),
                      "transitions": {"per_run": self.transitions.per_run, "per_chunk": self.transitions.per_chunk,
                                      "path": list(self.transitions.path)}},
            "lines": [asdict(line) for line in self.lines],
            "limits": [{**asdict(limit), "utilization": limit.utilization} for limit in self.limits],
            "binding": {**asdict(self.binding), "utilization": self.binding.utilization},
            "sagemaker": self.sagemaker,
            "prices": self.prices,
        }


def batch_definition(settings: Settings) -> Any:
    """The batch state machine's definition as ``cdk synth`` emits it (the app's synth, cached under .lightship/).

    Only its shape is counted, so the references are resolved with a placeholder account."""
    from lightship.local.stack_templates import StackRefs, templates
    from lightship.local.state_machines import state_machine
    from lightship.resources import names_for

    stack = StackRefs(settings.region, "000000000000", templates(settings)["batch"], stack_name=names_for(settings).stack("batch"))
    _, resource = state_machine(stack)
    return stack.resolve(resource["Properties"]["DefinitionString"])


def sagemaker_comparison(settings: Settings, load: Load) -> dict[str, Any]:
    p, a, q = estimate_settings(settings).prices, estimate_settings(settings).assumptions, estimate_settings(settings).quotas
    requests = load.rps * SECONDS_PER_MONTH
    instances = max(1, math.ceil(load.rps / a.sagemaker_instance_rps.value))
    memory_gb = a.sagemaker_serverless_memory_gb.value
    compute = requests * a.request_ms.value / 1000 * memory_gb * p.sagemaker_serverless_gb_second.value
    data = requests * a.request_bytes.value * 2 / GIB * p.sagemaker_serverless_data_gb.value
    concurrency = serving_concurrency(settings, load.rps)
    return {
        "realtime": {"instances": instances, "monthly_usd": instances * HOURS_PER_MONTH * p.sagemaker_realtime_instance_hour.value,
                     "note": f"ml.c5.large at {a.sagemaker_instance_rps.value:g} requests/s each, always on (one instance: no redundancy)"},
        "serverless": {"monthly_usd": compute + data, "concurrency": concurrency,
                       "fits": concurrency <= q.sagemaker_serverless_concurrency.value,
                       "note": f"{memory_gb:g} GB, {a.request_ms.value:g} ms a request; at most "
                               f"{q.sagemaker_serverless_concurrency.value:g} concurrent invocations per endpoint"},
    }


def estimate(settings: Settings, load: Load, definition: Any | None = None) -> Estimate:
    """The cost of ``load`` a month and per batch day, and the limits it meets, from ``settings``.

    ``definition``: the batch state machine (default: synthesized from these settings, cached).
    """
    chunks = math.ceil(load.batch_rows / settings.batch.chunk_rows) if load.batch_rows else 0
    distributed = chunks > settings.batch.distributed_map_threshold
    mode: MapMode = "DISTRIBUTED" if distributed else "INLINE"
    transitions = count_transitions(batch_definition(settings) if definition is None else definition, mode)
    lines = serving_lines(settings, load.rps, load.instances_per_request) + monitoring_lines(settings, load.rps)
    if chunks:
        lines += batch_lines(settings, load.batch_rows, chunks, transitions.total(chunks))
    limits = serving_limits(settings, load.rps, load.instances_per_request) + batch_limits(settings, load.batch_rows, chunks, distributed)
    return Estimate(load=load, lines=lines, limits=limits, chunks=chunks, map_mode=mode, transitions=transitions,
                    sagemaker=sagemaker_comparison(settings, load), prices=estimate_settings(settings).model_dump())
