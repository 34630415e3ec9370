"""Sales-ops jobs for territories, launched from the Dagster UI launchpad with run config:

- `territory_reoptimization` solves a new alignment for the current accounts (tolerance, disruption cap,
  locked accounts, time limit, quota target), stores it as a versioned proposal in `ops` and shows a readable
  report (Markdown) on the `ops/territory_plans` asset;
- `apply_territory_plan` makes an approved proposal the alignment from an effective date.

OR-Tools and pandas load inside the ops, keeping the code location cheap to import.
"""

import datetime

from dagster import AssetKey, AssetMaterialization, Config, MetadataValue, OpExecutionContext, job, op
from pydantic import Field

from orchestration.resources import WarehouseResource

PLANS_ASSET = AssetKey(["ops", "territory_plans"])


class TerritoryReoptimizationConfig(Config):
    """Launchpad settings; every one has a default, so the job also runs as is."""

    balance_tolerance: float = Field(0.05, description="Each rep's potential and workload within +-this share of "
                                                       "the mean (0.05 = +-5%).")
    max_disruption: float | None = Field(0.2, description="At most this share of total potential may change owner "
                                                          "(null: no cap).")
    locked_accounts: list[str] = Field(default_factory=list, description="Account ids that stay with their current "
                                                                          "owner, on top of the key accounts.")
    time_limit_seconds: float = Field(60.0, description="Solver time limit.")
    company_target: float | None = Field(None, description="Quota target for the next four quarters in INR (null: "
                                                           "the revenue forecast, else last year's bookings x "
                                                           "(1 + growth)).")
    growth: float = Field(0.10, description="Growth over last year's bookings when no forecast exists.")


@op(description="Solve a new territory alignment and store it as a proposal with its report.")
def propose_territories(context: OpExecutionContext, config: TerritoryReoptimizationConfig,
                        warehouse: WarehouseResource) -> str:
    import psycopg

    from optimization.proposals import propose

    with psycopg.connect(warehouse.connection_url()) as conn:
        proposal = propose(conn, config.model_dump(), run_id=context.run.run_id)
    context.log_event(AssetMaterialization(asset_key=PLANS_ASSET, description=f"proposal {proposal.plan_id}",
                                           metadata={"plan_id": proposal.plan_id,
                                                     "report": MetadataValue.md(proposal.report_md),
                                                     **proposal.headline}))
    return proposal.plan_id


@job(description="Re-optimize territories (and quotas) with run config; writes a versioned proposal to ops.",
     tags={"salesops/job": "territory_reoptimization"})
def territory_reoptimization() -> None:
    propose_territories()


class ApplyTerritoryPlanConfig(Config):
    plan_id: str = Field(description="The approved proposal, e.g. TP-0003 (see ops.territory_plans).")
    effective_date: str | None = Field(None, description="First day of the new alignment, YYYY-MM-DD (default: "
                                                         "tomorrow).")


@op(description="Make an approved proposal the territory alignment from its effective date.")
def apply_territory_plan_op(context: OpExecutionContext, config: ApplyTerritoryPlanConfig,
                            warehouse: WarehouseResource) -> None:
    import psycopg

    from optimization.proposals import apply_plan

    effective = (datetime.date.fromisoformat(config.effective_date) if config.effective_date
                 else datetime.date.today() + datetime.timedelta(days=1))
    with psycopg.connect(warehouse.connection_url()) as conn:
        outcome = apply_plan(conn, config.plan_id, effective)
    context.log_event(AssetMaterialization(
        asset_key=PLANS_ASSET, description=f"{config.plan_id} applied from {effective}",
        metadata={"plan_id": config.plan_id, "effective_date": str(effective), "accounts_changed": outcome["changed"]}))


@job(description="Apply an approved territory plan from an effective date (run config: plan_id, effective_date).",
     tags={"salesops/job": "apply_territory_plan"})
def apply_territory_plan() -> None:
    apply_territory_plan_op()
