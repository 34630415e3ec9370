"""`salesops demo`: the main job end to end on the embedded default, then a summary.

Starts the warehouse and the simulator if needed, runs the `daily_refresh` Dagster job in-process
for the latest business day against the checkout's Dagster instance (so the run shows up in
`make ui`), and prints what landed and the headline KPIs of the last complete month. Safe to run
again: loads merge, models rebuild, nothing duplicates.
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
    from salesops.report import format_counts, headline_kpis, raw_table_counts
    from salesops.warehouse import connect, warehouse_url
    from simulator.process import ensure_simulator

    started = time.monotonic()
    url = warehouse_url()
    simulator = ensure_simulator()
    print(f"warehouse  {url.split('@')[-1]}\nsimulator  {simulator.url}")
    configure_dagster_environment(url)

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.partitions import DAILY_PARTITIONS

    partition = DAILY_PARTITIONS.get_last_partition_key()
    with DagsterInstance.get() as instance:
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=instance, partition_key=partition, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    if not result.success:
        failures = [event.message for event in result.all_events if event.is_failure]
        print("daily_refresh failed:\n" + "\n".join(str(f) for f in failures))
        return 1

    with connect(url) as conn:
        counts = raw_table_counts(conn)
        month, kpis = headline_kpis(conn, [code for code, _, _ in HEADLINE_KPIS])
    quarantined = sum(c.rows for c in counts if c.table.endswith("_quarantine"))
    print(f"\ndaily_refresh run {result.run_id} for {partition} succeeded")
    print(f"\nraw rows per table:\n{format_counts(counts)}")
    print(f"\nquarantined rows: {quarantined:,}")
    print(f"\nheadline KPIs, {month:%B %Y} (last complete month), company:")
    for code, label, fmt in HEADLINE_KPIS:
        value = kpis.get(code)
        print(f"  {label:<20} {fmt.format(value) if value is not None else 'n/a'}")
    print(f"\nelapsed: {time.monotonic() - started:.1f} s")
    return 0
