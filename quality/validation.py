"""Run a great-expectations suite from `quality/suites` against a warehouse table.

Pure Python (no Dagster): the orchestration layer decides what a failure means for a run. Each
expectation carries GX's own `severity`: "critical" failures are blocking, "warning" (or "info")
failures are reported but do not stop anything. GX runs in an ephemeral context (no file-based
project to keep in sync) and is imported lazily, because importing it takes about 7 s.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SUITES_DIR = Path(__file__).resolve().parent / "suites"
BLOCKING_SEVERITY = "critical"


@dataclass(frozen=True)
class SuiteTarget:
    """A suite file and the table it validates, named by the file: `<schema>.<table>.json`."""

    schema: str
    table: str
    path: Path


def suite_targets(suites_dir: Path = SUITES_DIR) -> list[SuiteTarget]:
    """Every committed suite, sorted, read from the folder listing alone (no GX import)."""
    targets = []
    for path in sorted(suites_dir.glob("*.json")):
        schema, _, table = path.stem.partition(".")
        if not table:
            raise ValueError(f"suite file {path.name!r} must be named <schema>.<table>.json")
        targets.append(SuiteTarget(schema, table, path))
    return targets


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, flattened to JSON-friendly values for run metadata."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    why: str | None
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    partial_unexpected_list: list[Any] = field(default_factory=list)
    exception: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING_SEVERITY

    def label(self) -> str:
        """Short human-readable name, e.g. `expect_column_values_to_be_unique(id): 2 unexpected`."""
        target = f"({self.column})" if self.column else ""
        if self.exception:
            detail = f"error: {self.exception.splitlines()[0]}"
        elif self.unexpected_count is not None:
            detail = f"{self.unexpected_count} unexpected"
        else:
            detail = f"observed {self.observed_value}"
        return f"{self.expectation}{target}: {detail}"


@dataclass(frozen=True)
class ValidationSummary:
    """A suite's run on one table: every outcome, split into blocking failures and warnings."""

    suite: str
    schema: str
    table: str
    results: list[ExpectationOutcome]

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.blocking]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and not r.blocking]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (observed values such as timestamps become strings)."""
        return json.loads(json.dumps(asdict(self), default=str))


@cache
def _context() -> Any:
    """One ephemeral GX context per process (no GX project on disk), shared by every suite run."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _datasource(warehouse_url: str, schema: str) -> Any:
    """One datasource per URL and schema, the schema set as search_path (GX 1.14+ deprecates `schema_name`)."""
    sources = _context().data_sources
    name = f"{schema}-{len(sources.all())}"  # unique in the context: a process may validate several databases
    engine_kwargs = {"connect_args": {"options": f"-c search_path={schema}"}}
    if urlsplit(warehouse_url).hostname:
        return sources.add_postgres(name=name, connection_string=warehouse_url, kwargs=engine_kwargs)
    # add_postgres rejects URLs without a host (unix sockets); the generic SQL datasource takes any URL
    return sources.add_sql(name=name, connection_string=warehouse_url, kwargs=engine_kwargs)


def _whole_table_batch(warehouse_url: str, schema: str, table: str) -> Any:
    datasource = _datasource(warehouse_url, schema)
    try:
        asset = datasource.get_asset(table)
    except LookupError:
        asset = datasource.add_table_asset(name=table, table_name=table)
        asset.add_batch_definition_whole_table("whole_table")
    return asset.get_batch_definition("whole_table").get_batch()


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """GX reports errors either flat or keyed by the metric that failed; take the first message."""
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info["raised_exception"] else None
    return next(filter(None, (_exception_message(inner) for inner in info.values() if isinstance(inner, dict))), None)


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column") or ",".join(
            config.kwargs[k] for k in ("column_A", "column_B") if k in config.kwargs) or None,
        severity=str(config.severity.value),
        success=bool(result.success),
        why=(config.meta or {}).get("why"),
        observed_value=details.get("observed_value"),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        partial_unexpected_list=list(details.get("partial_unexpected_list") or []),
        exception=_exception_message(result.exception_info),
    )


def validate_table(warehouse_url: str, schema: str, table: str, suite_path: Path | str) -> ValidationSummary:
    """Validate `schema.table` with the suite JSON at `suite_path`; never raises on failed expectations.

    An expectation that errors (missing column, bad SQL) counts as failed at its own severity.
    """
    batch = _whole_table_batch(warehouse_url, schema, table)
    import great_expectations as gx

    suite = gx.ExpectationSuite(**json.loads(Path(suite_path).read_text()))
    result = batch.validate(suite, result_format="SUMMARY")
    return ValidationSummary(suite=suite.name, schema=schema, table=table,
                             results=[_outcome(r) for r in result.results])
