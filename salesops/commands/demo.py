"""`salesops demo`: the main job end to end on the embedded default, then a summary.

Starts the warehouse and the simulator if needed, runs the `daily_refresh` Dagster job in-process
for the latest business day against the checkout's Dagster instance (so the run shows up in
`make ui`), and prints what landed, the headline KPIs of the last complete month, the ML outputs, a
territory proposal and the lead routing of the latest business day (assignments per caller, the
unassigned queue). Safe to run again: loads merge, models rebuild, nothing duplicates.
"""

from __future__ import annotations

import argparse
import time

HEADLINE_KPIS = (
    ("BOOKINGS", "Bookings", "{:,.0f} INR"),
    ("WIN_RATE_COUNT", "Win rate (deals)", "{:.1%}"),
    ("PIPELINE_COVERAGE", "Pipeline coverage", "{:.2f}x"),
    ("QUOTA_ATTAINMENT", "Quota attainment", "{:.1%}"),
)


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("demo", help="run the daily job end to end and print a summary")
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from salesops.dagster_env import configure_dagster_environment
    from salesops.report import format_counts, headline_kpis, lead_routing_summary, ml_summary, raw_table_counts
    from salesops.warehouse import connect, warehouse_url
    from simulator.process import ensure_simulator

    started = time.monotonic()
    url = warehouse_url()
    simulator = ensure_simulator()
    print(f"warehouse  {url.split('@')[-1]}\nsimulator  {simulator.url}")
    configure_dagster_environment(url)

    from dagster import AssetSelection, DagsterInstance

    from orchestration.assets.ml import SCORING_GROUP, TRAINING_GROUP
    from orchestration.definitions import defs
    from orchestration.partitions import DAILY_PARTITIONS

    partition = DAILY_PARTITIONS.get_last_partition_key()
    graph = defs.resolve_asset_graph()
    scoring = AssetSelection.groups(SCORING_GROUP).resolve(graph)
    daily = defs.resolve_job_def("daily_refresh")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    # The schedules' order, made to work on a fresh machine: the nightly refresh, the weekly training
    # (scoring needs a champion), then the nightly scores.
    before_scoring = (AssetSelection.all() - AssetSelection.groups(SCORING_GROUP, TRAINING_GROUP)).resolve(graph)
    stages = [("daily_refresh", daily, {"partition_key": partition, "asset_selection": sorted(before_scoring)}),
              ("ml_training", defs.resolve_job_def("ml_training"), {}),
              ("daily_refresh (scores)", daily, {"partition_key": partition, "asset_selection": sorted(scoring)})]
    with DagsterInstance.get() as instance:
        for name, job, options in stages:
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet, **options)
            refused = _refused_challengers(result)
            if not result.success and not refused:
                failures = [event.message for event in result.all_events if event.is_failure]
                print(f"{name} failed:\n" + "\n".join(str(f) for f in failures))
                return 1
            outcome = "finished, champions kept" if refused else "succeeded"
            print(f"{name} run {result.run_id} {outcome}" + "".join(f"\n  gate: {r}" for r in refused))
        territories = defs.resolve_job_def("territory_reoptimization").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config=quiet)  # the launchpad defaults
        if not territories.success:
            print("territory_reoptimization failed:\n" + "\n".join(
                str(event.message) for event in territories.all_events if event.is_failure))
            return 1
        proposal = territories.get_asset_materialization_events()[0].materialization.metadata
        print(f"territory_reoptimization run {territories.run_id} succeeded")

    with connect(url) as conn:
        counts = raw_table_counts(conn)
        month, kpis = headline_kpis(conn, [code for code, _, _ in HEADLINE_KPIS])
        ml_lines = ml_summary(conn)
        lead_lines = lead_routing_summary(conn)
    quarantined = sum(c.rows for c in counts if c.table.endswith("_quarantine"))
    print(f"\nraw rows per table:\n{format_counts(counts)}")
    print(f"\nquarantined rows: {quarantined:,}")
    print(f"\nheadline KPIs, {month:%B %Y} (last complete month), company:")
    for code, label, fmt in HEADLINE_KPIS:
        value = kpis.get(code)
        print(f"  {label:<20} {fmt.format(value) if value is not None else 'n/a'}")
    print("\nML (champion models, latest run):\n" + "\n".join(ml_lines))
    print(f"\nterritory proposal {proposal['plan_id'].value} (±5% balance, at most 20% of potential moved; "
          "apply it with the apply_territory_plan job):")
    for measure in ("potential", "workload"):
        print(f"  {measure:<10} max deviation from the rep mean: "
              f"{proposal[f'{measure}_max_deviation_before'].value:.1%} now -> "
              f"{proposal[f'{measure}_max_deviation_after'].value:.1%} proposed")
    print(f"  travel (workload x km): {proposal['travel_before'].value:,.0f} now -> "
          f"{proposal['travel_after'].value:,.0f} proposed; accounts moved: {proposal['units_moved'].value:,}")
    print("\nlead routing (ops; the daily job syncs the callers and routes recent leads the sensor missed):\n"
          + "\n".join(lead_lines))
    print(f"\nelapsed: {time.monotonic() - started:.1f} s")
    return 0


def _refused_challengers(result) -> list[str]:
    """Reasons of failed promotion gates in a run: an expected outcome (the champion stays), not an error,
    as long as nothing else failed."""
    failed_steps = {event.step_key for event in result.all_events if event.is_step_failure}
    reasons = [evaluation.metadata["reason"].value for evaluation in result.get_asset_check_evaluations()
               if evaluation.check_name == "beats_champion" and not evaluation.passed]
    gate_steps = {key for key in failed_steps if key and "beats_champion" in key}
    return reasons if reasons and failed_steps <= gate_steps else []
