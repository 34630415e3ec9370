"""Lead assignment: store each new lead once and route it to a caller within one transaction (state pools,
round robin, daily caps in the business timezone, an unassigned queue, an append-only audit log), plus caller
management. Plain psycopg and SQL, no Dagster: the CLI, the Dagster sensor and the CRM batch all call this.

Pass an autocommit connection for the best throughput (one round trip per lead); any connection outside a
transaction works. See `engine` for the routing rules and the locking order.
"""

from salesops.assignment.callers import (
    CallerError,
    CallerSpec,
    CallerSyncSummary,
    add_caller,
    caller_spec,
    delete_caller,
    edit_caller,
    import_callers_csv,
    list_callers,
    set_status,
    sync_callers,
)
from salesops.assignment.engine import (
    DEFAULT_TIMEZONE,
    AssignmentResult,
    AssignmentSettings,
    IngestSummary,
    assign_lead,
    ingest_rows,
)
from salesops.assignment.reassign import ReassignError, reassign
from salesops.assignment.rows import lead_record, prepare_row, read_lead_csv

__all__ = [
    "DEFAULT_TIMEZONE",
    "AssignmentResult",
    "AssignmentSettings",
    "CallerError",
    "CallerSpec",
    "CallerSyncSummary",
    "IngestSummary",
    "ReassignError",
    "add_caller",
    "assign_lead",
    "caller_spec",
    "delete_caller",
    "edit_caller",
    "import_callers_csv",
    "ingest_rows",
    "lead_record",
    "list_callers",
    "prepare_row",
    "read_lead_csv",
    "reassign",
    "set_status",
    "sync_callers",
]
