"""Blocking asset checks on the raw loads, one per great-expectations suite in `quality/suites`.

Our own `@asset_check` rather than dagster-ge (which still requires GX < 1). A failed "critical"
expectation fails the check with ERROR severity, which stops downstream assets in the run; failed
"warning" expectations alone give a failed check with WARN severity, which Dagster does not treat
as blocking. GX is imported only when a check runs (inside `validate_table`), so the code location stays fast to load.
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from orchestration.assets.ingestion import raw_asset_key
from orchestration.resources import WarehouseResource
from quality.validation import SuiteTarget, ValidationSummary, suite_targets, validate_table

CHECK_NAME = "great_expectations"


def check_result(summary: ValidationSummary) -> AssetCheckResult:
    """Map a suite's outcome to Dagster: blocking failures -> ERROR, warnings only -> WARN."""
    blocking, warnings = summary.blocking_failures, summary.warnings
    return AssetCheckResult(
        passed=not blocking and not warnings,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        metadata={
            "suite": summary.suite,
            "evaluated": len(summary.results),
            "blocking_failure_count": len(blocking),
            "warning_count": len(warnings),
            "blocking_failures": MetadataValue.json([r.label() for r in blocking]),
            "warnings": MetadataValue.json([r.label() for r in warnings]),
            "results": MetadataValue.json(summary.to_dict()["results"]),
        },
    )


def build_quality_check(target: SuiteTarget) -> AssetChecksDefinition:
    """The check running one suite against its `raw_<system>.<table>` asset."""
    system = target.schema.removeprefix("raw_")

    @asset_check(
        asset=raw_asset_key(system, target.table),
        name=CHECK_NAME,
        blocking=True,
        description=f"great-expectations suite `quality/suites/{target.path.name}`: critical expectations "
                    "block downstream assets, warnings are reported only.",
    )
    def quality_check(warehouse: WarehouseResource) -> AssetCheckResult:
        return check_result(validate_table(warehouse.connection_url(), target.schema, target.table, target.path))

    return quality_check


quality_checks = [build_quality_check(target) for target in suite_targets()]
