"""Live mode: new Leads-sheet rows keep arriving while the simulator serves, some of them malformed.

A Google Form (and the people next to it) append to the Leads tab while pipelines run. The feed does the
same at a set rate so incremental loading, de-duplication and quarantine are exercised continuously. Rows
are built by `LeadRowFactory`, which is deterministic for a seeded rng so tests and benchmarks can build
the same rows without threads (`make_lead_rows`).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from salesops import geography
from simulator.server import LEADS_TAB, SimulatorServer
from simulator.world import INDUSTRIES, LEAD_SOURCES

KOLKATA = timezone(timedelta(hours=5, minutes=30), "Asia/Kolkata")  # no DST, so no tzdata needed
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
MALFORMED_KINDS = (
    "empty_phone",
    "bad_timestamp",
    "unknown_state",
    "exact_duplicate",
    "reformatted_duplicate",
    "unicode_noise",
)
_NEEDS_EARLIER_ROW = frozenset({"exact_duplicate", "reformatted_duplicate"})
_BAD_TIMESTAMPS = ("31/02/2026 25:61", "yesterday")
_FULL_WIDTH_DIGITS = {ord("0") + digit: 0xFF10 + digit for digit in range(10)}  # as pasted from chat apps
# How people type an Indian mobile number; `d` is the 10-digit subscriber number.
_PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda d: f"+91 {d[:5]} {d[5:]}",
    lambda d: f"0{d}",
    lambda d: f"{d[:5]}-{d[5:]}",
    lambda d: d,
    lambda d: f"+91{d}",
    lambda d: f"+91-{d[:5]}-{d[5:]}",
)
FIRST_NAMES = (
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Meera", "Karthik",
    "Divya", "Amit", "Pooja", "Sanjay", "Lakshmi", "Imran", "Fatima", "Gurpreet", "Neha", "Suresh", "Ayesha",
)
LAST_NAMES = (
    "Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Khan", "Singh", "Das", "Menon", "Joshi", "Rao",
    "Mukherjee", "Kulkarni", "Chopra", "D'Souza", "Banerjee", "Pillai", "Verma", "Shetty",
)
JOB_TITLES = ("Owner", "Operations Manager", "Purchase Head", "CFO", "IT Manager", "Sales Director")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")  # the world's bands
_CITY_CUMULATIVE_POPULATION = list(accumulate(city.population for city in geography.CITIES))


class LeadRowFactory:
    """Builds Leads rows from one rng, remembering earlier good rows so duplicates have something to copy."""

    def __init__(self, rng: random.Random, malformed_share: float = 0.1) -> None:
        if not 0.0 <= malformed_share <= 1.0:
            raise ValueError("malformed_share must be between 0 and 1")
        self.rng = rng
        self.malformed_share = malformed_share
        # (10-digit number, row) of recent good rows: people re-submit recent forms; bounded for long runs
        self._earlier: deque[tuple[str, list[str]]] = deque(maxlen=1000)
        self._next_kind = 0

    def make(self, count: int, now: datetime) -> list[tuple[str, list[str]]]:
        """`count` rows stamped `now`, each with its kind: "valid" or one of MALFORMED_KINDS (cycled)."""
        rows = []
        for _ in range(count):
            kind = "valid"
            if self.rng.random() < self.malformed_share:
                candidate = MALFORMED_KINDS[self._next_kind % len(MALFORMED_KINDS)]
                if candidate not in _NEEDS_EARLIER_ROW or self._earlier:
                    kind = candidate
                    self._next_kind += 1
            rows.append((kind, self._row(kind, now)))
        return rows

    def _row(self, kind: str, now: datetime) -> list[str]:
        if kind in _NEEDS_EARLIER_ROW:
            number, earlier = self.rng.choice(self._earlier)
            row = list(earlier)
            if kind == "reformatted_duplicate":
                formats = [fmt for fmt in _PHONE_FORMATS if fmt(number) != earlier[1]]
                row[1] = self.rng.choice(formats)(number)
            return row
        number, row = self._fresh(now)
        if kind == "valid":
            self._earlier.append((number, row))
            return row
        row = list(row)
        if kind == "empty_phone":
            row[1] = ""
        elif kind == "bad_timestamp":
            row[2] = self.rng.choice(_BAD_TIMESTAMPS)
        elif kind == "unknown_state":
            row[5] = "Atlantis"
        else:  # unicode_noise: what a copy-paste from a chat app leaves behind
            first, _, last = row[0].partition(" ")
            row[0] = f"\u00a0\u201c{first}\u200b\u00a0{last}\u201d "
            row[1] = row[1].translate(_FULL_WIDTH_DIGITS)
            row[4] = f" {row[4]}\u00a0"
        return row

    def _fresh(self, now: datetime) -> tuple[str, list[str]]:
        rng = self.rng
        number = rng.choice("6789") + "".join(rng.choice("0123456789") for _ in range(9))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, language = _place(rng)
        industry = rng.choice(INDUSTRIES)
        metadata = {
            "lead_id": f"LIVE-{rng.getrandbits(48):012x}",
            "email": f"{first}.{last}{rng.randint(1, 99)}@example.in".lower().replace("'", ""),
            "company": f"{rng.choice(LAST_NAMES)} {industry.words[0]} Pvt Ltd",
            "job_title": rng.choice(JOB_TITLES),
            "industry": industry.name,
            "company_size": rng.choice(COMPANY_SIZES),
            "utm_campaign": f"live-{now.astimezone(KOLKATA):%Y%m}",
        }
        row = [
            f"{first} {last}",
            rng.choice(_PHONE_FORMATS)(number),
            now.astimezone(KOLKATA).strftime(TIMESTAMP_FORMAT),
            rng.choice(LEAD_SOURCES),
            city,
            state,
            language,
            json.dumps(metadata, separators=(",", ":")),
        ]
        return number, row


def _place(rng: random.Random) -> tuple[str, str, str]:
    """(city, state, language): cities weighted by population, languages local or English/Hindi."""
    city = rng.choices(geography.CITIES, cum_weights=_CITY_CUMULATIVE_POPULATION)[0]
    return city.name, city.state, rng.choice((*geography.STATES[city.state].languages, "English", "Hindi"))


def make_lead_rows(
    n: int, rng: random.Random, now: datetime | None = None, malformed_share: float = 0.1
) -> list[list[str]]:
    """`n` Leads rows without a feed thread (tests, benchmarks); deterministic for a seeded rng and `now`."""
    return [row for _, row in LeadRowFactory(rng, malformed_share).make(n, now or datetime.now(UTC))]


class LiveLeadFeed:
    """A daemon thread appending Leads rows at `rate_per_minute`, under the server's lock when given one."""

    def __init__(
        self,
        target: SimulatorServer | Any,
        rate_per_minute: float,
        malformed_share: float = 0.1,
        seed: int = 0,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        self.rate_per_minute = rate_per_minute
        self.factory = LeadRowFactory(random.Random(seed), malformed_share)
        self.appended: Counter[str] = Counter()
        if isinstance(target, SimulatorServer):
            self._lock: Any = target.lock
            self._append: Callable[[Sequence[Sequence[str]]], Any] = target.append_lead_rows
            target.api.live_feed = self
        else:  # a bare World: nothing else mutates it concurrently except through this feed
            self._lock = threading.RLock()
            self._append = target.sheets.setdefault(LEADS_TAB, []).extend
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="simulator-live-leads", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> LiveLeadFeed:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        """Append whatever is due since start, then sleep until the next row is due: the rate holds over
        time without drift, and a stall (e.g. a long `advance` holding the lock) is caught up afterwards."""
        interval = 60.0 / self.rate_per_minute
        started = time.monotonic()
        emitted = 0
        while not self._stop.is_set():
            due = int((time.monotonic() - started) / interval) + 1 - emitted
            if due > 0:
                self.append(self.factory.make(due, datetime.now(UTC)))
                emitted += due
            self._stop.wait(max(0.0, started + emitted * interval - time.monotonic()))

    def append(self, rows: Sequence[tuple[str, list[str]]]) -> None:
        """Append (kind, row) pairs and count them by kind, atomically for readers of the sheet."""
        with self._lock:
            self._append([row for _, row in rows])
            self.appended.update(kind for kind, _ in rows)
