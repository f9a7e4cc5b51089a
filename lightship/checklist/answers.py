"""The checklist's questions and how each is answered from the gathered evidence: plain functions, no AWS.

Each answer is ``yes``, ``no`` or ``unknown`` with a one-line detail and the addresses of its evidence
(an S3 key, a registry version, an alarm, a setting). The rule for the three verdicts (docs/checklist.md):
``no`` when the evidence says the answer is negative or a step the user owes was not done (no re-run
recorded, capture off, no earlier Approved version); ``unknown`` when the system cannot tell yet
(no traffic, no drift report, too few labels) or has no way to (the cost, until an estimate exists).
:func:`exit_code` is non-zero when any answer is ``no``, so CI can gate a release on it.
:mod:`lightship.checklist.evidence` gathers :class:`Evidence` from AWS; tests build it by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lightship.settings import Settings

Verdict = Literal["yes", "no", "unknown"]
YES: Verdict = "yes"
NO: Verdict = "no"
UNKNOWN: Verdict = "unknown"


@dataclass(frozen=True)
class Answer:
    key: str
    question: str
    verdict: Verdict
    detail: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "question": self.question, "verdict": self.verdict, "detail": self.detail,
                "evidence": list(self.evidence)}


@dataclass(frozen=True)
class VersionFacts:
    """One registry version as the checklist needs it (from :class:`lightship.registry.model_registry.ModelVersion`)."""

    version: int
    arn: str
    status: str
    approval_description: str
    evaluation_uri: str | None
    evaluation: dict[str, Any]
    model_data_url: str = ""
    model_card_uri: str | None = None

    @property
    def lineage(self) -> dict[str, Any]:
        return dict(self.evaluation.get("lineage", {}))

    @property
    def address(self) -> str:
        return f"registry version {self.version} ({self.arn})"


@dataclass(frozen=True)
class LiveFacts:
    """What the deployment record says (None everywhere: nothing was ever deployed)."""

    table: str
    live_version: int | None = None
    revision: int | None = None
    since: str | None = None
    candidate_version: int | None = None
    candidate_mode: str | None = None
    candidate_weight: float | None = None

    @property
    def address(self) -> str:
        where = f"deployment record {self.table}"
        return where + (f" revision {self.revision}" if self.revision is not None else "")


@dataclass(frozen=True)
class BatchRun:
    """One batch run's manifest, of a day scored by this version."""

    date: str
    manifest_uri: str
    status: str
    rows_in: int
    rows_scored: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    quarantined: int
    report_uri: str | None
    drift: dict[str, Any] | None  # the manifest's drift summary: alert, drifted_features, max_psi

    @property
    def rows_lost(self) -> int:
        return self.rows_in - self.rows_scored - self.rows_rejected


@dataclass(frozen=True)
class ServingFigures:
    """This version's serving metrics (CloudWatch sums over the look-back window)."""

    source: str  # namespace, metric dimensions and window, as an address
    requests: float
    errors_4xx: float
    errors_5xx: float
    out_of_range: float
    latency_avg_ms: float | None
    latency_max_ms: float | None


@dataclass(frozen=True)
class AlarmFacts:
    expected: tuple[str, ...]  # the live alarms that roll back (lightship.monitoring.alarms)
    found: dict[str, tuple[str, ...]]  # alarm name -> its alarm actions, for those that exist
    rollback_topic_arn: str


@dataclass(frozen=True)
class Evidence:
    settings: Settings
    version: VersionFacts
    earlier_approved: tuple[int, ...]  # Approved versions older than this one, newest first
    live: LiveFacts
    reproducibility: dict[str, Any] | None
    reproducibility_uri: str
    batch_runs: tuple[BatchRun, ...]  # this version's, newest first
    serving: ServingFigures | None
    capture_uri: str
    capture_objects: int
    log_group: str
    batch_state_machine: str
    quality_report: dict[str, Any] | None  # the newest quality report that names this version
    quality_report_uri: str | None
    alarms: AlarmFacts
    card: dict[str, str | None] = field(default_factory=dict)  # intended_use, limitations (None: missing)
    card_source: str | None = None
    # lightship.estimate's Estimate at the load the stack is set up for (None: it could not be made, see cost_error)
    cost: Any = None
    cost_error: str | None = None


# ---- the answers -------------------------------------------------------------------------

def lineage_answer(e: Evidence) -> Answer:
    q = "Which data, code and settings produced this model?"
    lineage = e.version.lineage
    evidence = (e.version.address, e.version.evaluation_uri or "no evaluation report")
    git = lineage.get("git", {})
    data = lineage.get("data", {})
    missing = [name for name, present in (
        ("code commit", git.get("commit") not in (None, "", "unknown")),
        ("data address", bool(data.get("uri"))),
        ("data sha256", bool(data.get("sha256"))),
        ("hyperparameters", bool(lineage.get("hyperparameters"))),
        ("training job", bool(lineage.get("training_job", {}).get("name"))),
    ) if not present]
    if missing:
        return Answer("lineage", q, NO, f"lineage lacks {', '.join(missing)}", evidence)
    if git.get("dirty"):
        return Answer("lineage", q, NO, f"trained from commit {str(git['commit'])[:12]} with uncommitted changes: the code is not fully recorded", evidence)
    hps = ", ".join(f"{k}={v}" for k, v in sorted(lineage["hyperparameters"].items()))
    detail = (f"data {data['uri']} (sha256 {str(data['sha256'])[:12]}), commit {str(git['commit'])[:12]}, {hps}, "
              f"job {lineage['training_job']['name']}")
    return Answer("lineage", q, YES, detail, evidence)


def reproducibility_answer(e: Evidence) -> Answer:
    q = "Can the training be rerun to the same result?"
    record = e.reproducibility
    if record is None:
        return Answer("reproducible", q, NO, f"no re-run recorded: lightship train --verify {e.version.version}",
                      (e.reproducibility_uri + " (absent)",))
    evidence = (e.reproducibility_uri, f"training job {record.get('rerun', {}).get('job', '?')}")
    failed = [c["name"] for c in record.get("checks", []) if not c.get("passed")]
    if record.get("matched"):
        return Answer("reproducible", q, YES, f"re-run of {record.get('at', '?')} matched: {', '.join(c['name'] for c in record.get('checks', []))}", evidence)
    return Answer("reproducible", q, NO, f"re-run of {record.get('at', '?')} differed: {', '.join(failed) or 'see the record'}", evidence)


def input_answer(e: Evidence) -> Answer:
    q = "Was it tested with messy, missing and unexpected input?"
    evidence: list[str] = [run.manifest_uri for run in e.batch_runs[:3]]
    if e.serving is not None:
        evidence.append(e.serving.source)
    lost = [run for run in e.batch_runs if run.rows_lost]
    if lost:
        run = lost[0]
        return Answer("input", q, NO, f"batch run {run.date} lost {run.rows_lost:,} rows (in {run.rows_in:,}, scored {run.rows_scored:,}, rejected {run.rows_rejected:,})", tuple(evidence))
    parts: list[str] = []
    if e.batch_runs:
        rows_in = sum(r.rows_in for r in e.batch_runs)
        rejected = sum(r.rows_rejected for r in e.batch_runs)
        reasons: dict[str, int] = {}
        for run in e.batch_runs:
            for reason, count in run.rejected_by_reason.items():
                reasons[reason] = reasons.get(reason, 0) + count
        top = "; ".join(f"{count:,} {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
        quarantined = sum(r.quarantined for r in e.batch_runs)
        parts.append(f"batch: {len(e.batch_runs)} run(s), {rows_in:,} rows, {rejected:,} rejected with reasons"
                     + (f" ({top})" if top else "") + (f", {quarantined} file(s) quarantined" if quarantined else ""))
    if e.serving is not None and e.serving.requests:
        s = e.serving
        parts.append(f"serving: {s.requests:,.0f} requests, {s.errors_4xx:,.0f} refused (4xx), {s.out_of_range:,.0f} instances out of the training range")
    if not parts:
        return Answer("input", q, UNKNOWN, "no input has reached this version yet (no batch run, no serving traffic); the row contract will check it", tuple(evidence))
    return Answer("input", q, YES, "; ".join(parts), tuple(evidence))


def serving_answer(e: Evidence) -> Answer:
    q = "Live API or batch job?"
    v = e.version.version
    schedule = f"batch schedule {e.settings.batch.schedule} ({e.batch_state_machine})"
    evidence = (e.live.address, f"setting batch.schedule={e.settings.batch.schedule}")
    if e.version.status == "Rejected":
        return Answer("serving", q, NO, f"version {v} is Rejected: {e.version.approval_description or 'no reason recorded'}", evidence)
    if e.live.live_version == v:
        return Answer("serving", q, YES, f"live since {e.live.since or '?'}: answers POST /v1/predict; the {schedule} scores with it", evidence)
    if e.live.candidate_version == v:
        return Answer("serving", q, YES, f"release candidate ({e.live.candidate_mode}, weight {e.live.candidate_weight:g}%) beside live version {e.live.live_version}", evidence)
    live = f"version {e.live.live_version} is live" if e.live.live_version is not None else "nothing is live"
    return Answer("serving", q, UNKNOWN, f"not live ({live}); lightship deploy {v} serves it on the API and the {schedule}", evidence)


def latency_answer(e: Evidence) -> Answer:
    q = "Are latency and scaling limits known?"
    s, a = e.settings.serving, e.settings.alarms
    limits = (f"limits: {s.memory_mb} MB, timeout {s.timeout_seconds} s, at most {s.max_instances} instances per request, "
              f"{s.throttle_rate_limit} req/s (burst {s.throttle_burst_limit}), reserved concurrency {s.reserved_concurrency or 'none'}; "
              f"p99 alarm at {a.p99_latency_ms:g} ms")
    evidence: list[str] = ["settings serving.*, alarms.p99_latency_ms", "bench/README.md"]
    figures = e.serving
    if figures is None or figures.latency_avg_ms is None:
        return Answer("latency", q, UNKNOWN, f"no latency measured for this version yet; {limits}", tuple(evidence))
    evidence.insert(0, figures.source)
    observed = f"observed mean {figures.latency_avg_ms:.1f} ms, max {figures.latency_max_ms or 0:.1f} ms over {figures.requests:,.0f} requests"
    if figures.latency_avg_ms > a.p99_latency_ms:
        return Answer("latency", q, NO, f"{observed}: the mean is over the p99 alarm threshold; {limits}", tuple(evidence))
    return Answer("latency", q, YES, f"{observed}; {limits}", tuple(evidence))


def cost_answer(e: Evidence) -> Answer:
    """The cost per million predictions and per batch day, and the limit that binds first, from
    ``lightship estimate`` (:mod:`lightship.estimate`) at the load the evidence names: the API's
    configured request rate and the rows of this version's newest batch day. No when that load already
    exceeds a limit."""
    q = "Is the cost known (per million predictions, per batch day)?"
    if e.cost is None:
        return Answer("cost", q, UNKNOWN, f"no estimate: {e.cost_error or 'not computed'}", ("lightship estimate",))
    load = e.cost.load
    command = f"lightship estimate --rps {load.rps:g} --batch-rows {load.batch_rows}"
    per_million = e.cost.per_million_predictions
    serving = f"${per_million:,.2f} per million predictions at {load.rps:g} req/s" if per_million is not None else "no online load"
    binding = e.cost.binding
    limit = f"binds first: {binding.name} at {binding.utilization:.0%} ({binding.demand:,.4g} of {binding.limit:,.4g} {binding.unit})"
    detail = f"{serving}; ${e.cost.per_batch_day:,.2f} per batch day of {load.batch_rows:,} rows; {limit}"
    evidence = (command, "prices and quotas: lightship/estimate/prices.py (sources and dates), settings.estimate")
    if binding.utilization > 1:
        return Answer("cost", q, NO, f"{detail}: over the limit at this load", evidence)
    return Answer("cost", q, YES, detail, evidence)


def logging_answer(e: Evidence) -> Answer:
    q = "Are predictions and inputs logged?"
    rate = e.settings.serving.capture_sample_rate
    log = f"request log and EMF metrics in {e.log_group}"
    evidence = (e.capture_uri, e.log_group, f"setting serving.capture_sample_rate={rate:g}")
    if rate <= 0:
        return Answer("logging", q, NO, f"inference capture is off (serving.capture_sample_rate=0): inputs are not kept; {log}", evidence)
    landed = f", {e.capture_objects} object(s) so far" if e.capture_objects else ", none captured yet"
    return Answer("logging", q, YES, f"{rate:.0%} of requests' inputs and predictions to {e.capture_uri}{landed}; {log}", evidence)


def drift_answer(e: Evidence) -> Answer:
    q = "Is drift monitored with alert thresholds?"
    b = e.settings.batch
    thresholds = f"PSI > {b.psi_threshold:g} or KS D > {b.ks_threshold:g}" + (
        f" ({len(b.feature_thresholds)} feature override(s))" if b.feature_thresholds else "")
    evidence: list[str] = [f"settings batch.psi_threshold={b.psi_threshold:g}, batch.ks_threshold={b.ks_threshold:g}"]
    reported = [run for run in e.batch_runs if run.drift is not None and run.report_uri]
    if not reported:
        return Answer("drift", q, UNKNOWN, f"thresholds {thresholds}; no drift report for this version yet", tuple(evidence))
    last = reported[0]
    assert last.drift is not None and last.report_uri is not None
    evidence.insert(0, last.report_uri)
    drifted = list(last.drift.get("drifted_features") or []) + (["prediction"] if last.drift.get("prediction_drifted") else [])
    state = f"drift in {', '.join(drifted)} (alerted)" if drifted else "no drift over threshold"
    return Answer("drift", q, YES, f"thresholds {thresholds}; last report {last.date}: {state}, max PSI {float(last.drift.get('max_psi') or 0):.3f}", tuple(evidence))


def quality_answer(e: Evidence) -> Answer:
    q = "Are its predictions still right once labels arrive?"
    report = e.quality_report
    if report is None:
        return Answer("quality", q, UNKNOWN, "no quality report names this version yet (labels: lightship labels put; lightship quality run)",
                      (f"s3 quality reports under {e.settings.quality.report_prefix}/ (none for this version)",))
    entry = next(v for v in report.get("versions", []) if v.get("version") == e.version.version)
    evidence = (e.quality_report_uri or "quality report",)
    key = entry.get("primary_metric", "?")
    realized = (entry.get("realized", {}).get(key) or {}).get("value")
    figures = f"{key} realized {realized:.4f} vs holdout {entry.get('holdout', {}).get(key, float('nan')):.4f}, {entry.get('labeled', 0):,} labels" if realized is not None else f"{entry.get('labeled', 0):,} labels"
    if entry.get("breach"):
        return Answer("quality", q, NO, f"{report.get('date')}: below holdout ({figures})", evidence)
    if entry.get("verdict") != "ok":
        return Answer("quality", q, UNKNOWN, f"{report.get('date')}: {entry.get('verdict')} ({figures})", evidence)
    return Answer("quality", q, YES, f"{report.get('date')}: ok ({figures})", evidence)


def alarms_answer(e: Evidence) -> Answer:
    q = "Are alarms wired to roll it back?"
    a = e.alarms
    missing = [name for name in a.expected if name not in a.found]
    unrouted = [name for name in a.expected if name in a.found and a.rollback_topic_arn not in a.found[name]]
    evidence = tuple(f"alarm {name}" for name in a.expected) + (a.rollback_topic_arn,)
    if missing or unrouted:
        problems = ([f"missing: {', '.join(missing)}"] if missing else []) + ([f"not sent to the rollback topic: {', '.join(unrouted)}"] if unrouted else [])
        return Answer("alarms", q, NO, "; ".join(problems), evidence)
    return Answer("alarms", q, YES, f"{len(a.expected)} alarms ({', '.join(a.expected)}) notify the rollback topic", evidence)


def rollback_answer(e: Evidence) -> Answer:
    q = "Is there a rollback to an earlier trusted model?"
    if not e.earlier_approved:
        return Answer("rollback", q, NO, f"no Approved version older than {e.version.version}: a rollback would have nowhere to go",
                      (f"registry group {e.settings.model_package_group}, status Approved",))
    target = e.earlier_approved[0]
    return Answer("rollback", q, YES, f"version {target} (the newest Approved version older than {e.version.version})",
                  (f"registry version {target}",))


def card_answer(e: Evidence) -> Answer:
    q = "Does it carry a model card with intended use and limitations?"
    missing = [name.replace("_", " ") for name in ("intended_use", "limitations") if not e.card.get(name)]
    evidence = (e.version.model_card_uri or "model card not written",) + ((e.card_source,) if e.card_source else ())
    if e.version.model_card_uri is None:
        return Answer("card", q, NO, "no model card recorded on the version", evidence)
    if missing:
        return Answer("card", q, NO, f"the card shows {' and '.join(missing)} as missing (model_card.json or --intended-use/--limitations)", evidence)
    return Answer("card", q, YES, f"card at {e.version.model_card_uri}", evidence)


QUESTIONS: tuple[Callable[[Evidence], Answer], ...] = (
    lineage_answer, reproducibility_answer, input_answer, serving_answer, latency_answer, cost_answer,
    logging_answer, drift_answer, quality_answer, alarms_answer, rollback_answer,
)


def answer_all(evidence: Evidence) -> list[Answer]:
    """Every question but the model card's (the card is written from these answers, then asked about)."""
    return [question(evidence) for question in QUESTIONS]


def exit_code(answers: list[Answer]) -> int:
    """1 when any answer is no (a release gate), else 0: unknown does not fail it."""
    return 1 if any(a.verdict == NO for a in answers) else 0
