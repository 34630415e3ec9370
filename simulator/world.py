"""A deterministic synthetic B2B sales organisation in India, held in the shapes of the vendors' APIs.

`build_world(seed, scale, as_of)` invents "Kaveri Cloud Systems", a CRM vendor selling to Indian companies,
with about 3.5 years of history up to `as_of`: reps in regional teams and territories, accounts in real
cities, marketing campaigns, sheet leads with web engagement, deals through HubSpot's default pipeline, and
the calls, emails and meetings around them. The server (`simulator/server.py`) only pages, filters and
authenticates what is built here, so every record is already in API shape (contract:
docs/source-systems.md).

How it works: every entity is *planned* once, with its whole future (lifecycle moves, stage changes,
activities, engagement events) as timed actions on one agenda. The world at `as_of` is the agenda applied
up to `as_of`; `advance` plans the entities born on each new day and applies the agenda one more day. The
past therefore never changes, ids are stable, and a deal looks consistent whichever day it is observed.

Outcomes follow hidden models that later work is meant to rediscover: lead conversion is a logistic model
of behaviour (page views, pricing visits, email clicks, forms, webinars) and firmographics (industry, size,
source, city tier, seniority) plus noise; deal wins depend on industry, size, source, rep skill, competitor
presence, activity intensity and the fiscal calendar. The truth is kept in `oracle_leads` and
`oracle_deals`. Only `random.Random` instances seeded from the arguments are used, never the wall clock.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import json
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from operator import itemgetter
from random import Random
from typing import Any, Generic, TypeVar

from salesops.geography import CITIES, REGION_NAMES, REGIONS, STATES, City

__all__ = ["World", "advance", "build_world", "iso_ms", "world_summary"]

T = TypeVar("T")

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
IST_OFFSET_MS = 19_800_000  # Asia/Kolkata is UTC+05:30 all year
YEAR_MS = 365.25 * DAY_MS
GROWTH = 0.22  # yearly growth of demand: leads, outbound pipeline, campaign budgets
SELLER_DOMAIN = "kavericloud.in"
SITE = "https://www.kavericloud.in"

LEADS_HEADER = ["Name", "Phone", "Timestamp", "Lead Source", "City", "State", "Language", "Metadata"]
CALLERS_HEADER = ["Name", "Role", "Languages", "Daily Limit", "States", "Status"]
TARGETS_HEADER = ["Period Start", "Period Grain", "Region", "Target Amount"]

# Per scale unit: what the brief calls "scale 1".
REPS_PER_SCALE, ACCOUNTS_PER_SCALE, LEADS_PER_SCALE = 40, 5_000, 50_000
OUTBOUND_DEALS_PER_SCALE, CALLERS_PER_SCALE, CAMPAIGNS_PER_SCALE = 6_000, 12, 60

_FIRST_IDS = {"companies": 10_000_001, "contacts": 20_000_001, "deals": 30_000_001, "calls": 400_000_001,
              "emails": 500_000_001, "meetings": 600_000_001}
PRODUCT_FIRST_ID, GOAL_TARGET_FIRST_ID = 700_000_001, 800_000_001
_ENGAGEMENT_ASSOCIATION = {"calls": "call", "emails": "email", "meetings": "meeting_event"}
_NO_RESULTS: dict[str, list[Any]] = {"results": []}  # shared by every engagement without that association

# ---------------------------------------------------------------------------------------------------------
# Small deterministic helpers

_EPOCH_DATE = date(1970, 1, 1)
_DAY_TEXT: dict[int, str] = {}


def _day_text(day: int) -> str:
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (_EPOCH_DATE + timedelta(days=day)).isoformat()
    return text


_MINUTE_TEXT = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(1440))


def iso_ms(ms: int) -> str:
    """Epoch millis as HubSpot writes timestamps (`2025-03-04T05:06:07.123Z`); fast, as it runs ~1M times."""
    day, rest = divmod(ms, DAY_MS)
    minute, rest = divmod(rest, MINUTE_MS)
    return f"{_DAY_TEXT.get(day) or _day_text(day)}T{_MINUTE_TEXT[minute]}:{rest // 1000:02d}.{rest % 1000:03d}Z"


def _ist_text(ms: int) -> str:
    """Asia/Kolkata wall-clock time as a Google Form writes it into a sheet (`2025-03-04 10:36:07`)."""
    day, rest = divmod(ms + IST_OFFSET_MS, DAY_MS)
    seconds = rest // 1000
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day_text(day)} {hours:02d}:{minutes:02d}:{seconds:02d}"


def _day_of(d: date) -> int:
    return (d - _EPOCH_DATE).days


def _date_of(ms: int) -> date:
    return _EPOCH_DATE + timedelta(days=ms // DAY_MS)


def _mix(*keys: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): stateless noise and per-day seeds."""
    x = 0x9E3779B97F4A7C15
    for key in keys:
        x = (x ^ (key & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


def _unit(*keys: int) -> float:
    """Stateless uniform [0, 1) from integers, so a campaign's spend on a day is the same however reached."""
    return (_mix(*keys) >> 11) / 9007199254740992.0


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _choice(rng: Random, items: Sequence[T]) -> T:
    """`rng.choice` without its rejection sampling: several times faster on these short lists."""
    return items[int(rng.random() * len(items))]


def _between(rng: Random, low: int, high: int) -> int:
    """A uniform integer in [low, high)."""
    return low + int(rng.random() * (high - low))


def _poisson(rng: Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


class _Weighted(Generic[T]):
    """Weighted choice by bisection over cumulative weights: cheaper than `Random.choices` per draw."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Iterable[T], weights: Iterable[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _weighted(pairs: Sequence[tuple[T, float]]) -> _Weighted[T]:
    return _Weighted([item for item, _ in pairs], [weight for _, weight in pairs])


# Leads and office work follow the Indian working day (IST hours 0..23).
_WORK_HOURS = _Weighted(range(24), (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.6, 3.2, 3.3, 2.9, 2.4, 2.9,
                                    3.0, 2.8, 2.3, 1.7, 1.2, 1.0, 0.8, 0.5, 0.3))
_LEAD_WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.95, 0.55, 0.35)  # Monday first
_SALES_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.05)
# Month factors: leads dip in Diwali (Nov) and year-end holidays; bookings peak at fiscal year end (Mar),
# around Diwali (Oct/Nov) and in Jan-Mar (fiscal Q4), and are weak in April when budgets reset.
_LEAD_SEASON = (1.05, 1.05, 1.0, 0.9, 0.9, 0.95, 1.0, 1.0, 1.05, 1.0, 0.9, 0.85)
BOOKING_SEASON = (1.10, 1.10, 1.30, 0.75, 0.85, 1.00, 0.85, 0.90, 1.00, 1.15, 1.10, 1.00)


def _work_time(rng: Random, day: int) -> int:
    """A moment of UTC day `day`, weighted to Indian office hours."""
    return day * DAY_MS + (_WORK_HOURS.pick(rng) * HOUR_MS + int(rng.random() * HOUR_MS) - IST_OFFSET_MS) % DAY_MS


def _random_uuid(rng: Random) -> str:
    """A version-4 UUID string from `rng` (what `uuid.UUID(int=..., version=4)` prints, five times faster)."""
    bits = rng.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# ---------------------------------------------------------------------------------------------------------
# Business vocabulary


@dataclass(frozen=True)
class _Industry:
    name: str
    weight: float
    revenue_per_employee: int  # INR
    lead_effect: float  # hidden logit effects
    win_effect: float
    words: tuple[str, ...]  # company-name endings
    hubs: tuple[str, ...] = ()  # cities where the industry clusters


INDUSTRIES = (
    _Industry("IT Services", 14, 2_500_000, 0.25, 0.15, ("Infotech", "Technologies", "Softech", "Digital", "Systems"),
              ("Bengaluru", "Hyderabad", "Pune", "Chennai", "Noida", "Gurugram", "Kochi")),
    _Industry("Manufacturing", 18, 4_000_000, 0.0, 0.05, ("Engineering", "Industries", "Forgings", "Polymers",
                                                          "Auto Components"),
              ("Pune", "Pimpri-Chinchwad", "Coimbatore", "Rajkot", "Ludhiana", "Faridabad", "Jamshedpur")),
    _Industry("BFSI", 10, 6_000_000, 0.3, -0.1, ("Finserv", "Capital", "Finance", "Insurance Brokers", "Credit"),
              ("Mumbai", "Navi Mumbai", "Gandhinagar")),
    _Industry("Healthcare", 9, 2_000_000, 0.05, 0.0, ("Hospitals", "Diagnostics", "Healthcare", "Medicare")),
    _Industry("Retail", 12, 3_000_000, -0.2, -0.05, ("Retail", "Mart", "Fashions", "Stores", "Bazaar")),
    _Industry("Education", 7, 1_200_000, -0.3, -0.15, ("Academy", "Learning", "Edutech", "Institute")),
    _Industry("Logistics", 9, 3_500_000, 0.1, 0.1, ("Logistics", "Freight", "Cargo Movers", "Supply Chain"),
              ("Navi Mumbai", "Kolkata", "Nagpur", "Chennai")),
    _Industry("Pharma", 7, 5_000_000, 0.15, 0.1, ("Pharma", "Life Sciences", "Biotech", "Formulations"),
              ("Hyderabad", "Ahmedabad", "Vadodara", "Visakhapatnam")),
    _Industry("Telecom", 4, 8_000_000, 0.0, -0.2, ("Telecom", "Networks", "Communications", "Broadband"),
              ("Delhi", "Mumbai", "Gurugram")),
    _Industry("Energy", 5, 9_000_000, -0.05, 0.0, ("Power", "Energy", "Solar", "Renewables")),
    _Industry("Real Estate", 5, 4_500_000, -0.25, -0.1, ("Realty", "Developers", "Infra", "Estates")),
)

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
_SEGMENT_PICK = _Weighted(range(3), (0.60, 0.28, 0.12))
_SEAT_SHARE = (0.15, 0.10, 0.06)  # share of employees who would use a CRM seat
_SEGMENT_LICENCE = ("KCS-CRM-STD", "KCS-CRM-PRO", "KCS-CRM-ENT")
_SEGMENT_LEAD_EFFECT = (-0.1, 0.15, 0.25)
_SEGMENT_WIN_EFFECT = (0.15, 0.0, -0.15)
_SEGMENT_CYCLE_DAYS = (40.0, 70.0, 120.0)  # median sales cycle
_SEGMENT_ACTIVITY = (0.8, 1.0, 1.3)
_TEAM_QUOTA_WEIGHT = {"SMB": 0.6, "Mid-Market": 1.0, "Enterprise": 1.6}
REGION_TEAMS = {"North": ("Enterprise", "Mid-Market", "SMB"), "South": ("Enterprise", "Mid-Market", "SMB"),
                "East": ("Enterprise", "Mid-Market"), "West": ("Enterprise", "Mid-Market", "SMB")}


@dataclass(frozen=True)
class Product:
    """A price-book line: deal amount = unit_price x quantity x (1 - discount); margin uses unit_cost."""

    sku: str
    name: str
    family: str
    unit: str
    unit_price: int  # INR
    unit_cost: int  # INR


PRODUCTS = (
    Product("KCS-CRM-STD", "Kaveri CRM Standard", "CRM Licences", "user/year", 9_000, 1_800),
    Product("KCS-CRM-PRO", "Kaveri CRM Professional", "CRM Licences", "user/year", 24_000, 4_300),
    Product("KCS-CRM-ENT", "Kaveri CRM Enterprise", "CRM Licences", "user/year", 48_000, 7_700),
    Product("KCS-ANL-PRO", "Revenue Analytics add-on", "Analytics", "user/year", 18_000, 3_600),
    Product("KCS-CPQ", "CPQ and Quoting add-on", "Add-ons", "user/year", 15_000, 2_700),
    Product("KCS-DLR-PORTAL", "Dealer and Partner Portal", "Add-ons", "portal/year", 350_000, 70_000),
    Product("KCS-WA-MSG", "WhatsApp and SMS messaging pack", "Add-ons", "100k messages", 55_000, 38_000),
    Product("KCS-IMPL", "Implementation services", "Services", "person-day", 45_000, 27_000),
    Product("KCS-TRAIN", "Training workshop", "Services", "session", 60_000, 30_000),
    Product("KCS-SUP-PREM", "Premium support", "Support", "50 users/year", 250_000, 90_000),
)
_PRODUCT = {product.sku: product for product in PRODUCTS}
_NEW_BUSINESS_MIX = (
    _weighted((("KCS-CRM-STD", 50), ("KCS-CRM-PRO", 35), ("KCS-WA-MSG", 10), ("KCS-TRAIN", 5))),
    _weighted((("KCS-CRM-PRO", 45), ("KCS-ANL-PRO", 15), ("KCS-CPQ", 10), ("KCS-WA-MSG", 10), ("KCS-IMPL", 10),
               ("KCS-DLR-PORTAL", 10))),
    _weighted((("KCS-CRM-ENT", 45), ("KCS-IMPL", 15), ("KCS-ANL-PRO", 15), ("KCS-DLR-PORTAL", 10),
               ("KCS-SUP-PREM", 10), ("KCS-CPQ", 5))),
)
_EXPANSION_MIX = _weighted((("licence", 35), ("KCS-ANL-PRO", 20), ("KCS-CPQ", 10), ("KCS-SUP-PREM", 15),
                            ("KCS-WA-MSG", 10), ("KCS-TRAIN", 10)))

STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
)
_OPEN_STAGES = tuple(stage for stage, _, _ in STAGES[:5])
_STAGE_PROBABILITY = {stage: probability for stage, _, probability in STAGES}
_LOST_AT = _Weighted(range(5), (0.30, 0.28, 0.20, 0.13, 0.09))  # last open stage reached by lost deals

COMPETITORS = ("Salesforce", "Zoho CRM", "Freshworks", "LeadSquared", "Microsoft Dynamics 365", "SAP Sales Cloud")
_COMPETITOR_BY_SEGMENT = (
    _Weighted(COMPETITORS, (5, 35, 30, 25, 3, 2)),
    _Weighted(COMPETITORS, (20, 25, 25, 15, 10, 5)),
    _Weighted(COMPETITORS, (40, 5, 10, 5, 25, 15)),
)
_COMPETITOR_RATE = (0.30, 0.45, 0.60)
LOSS_REASONS = ("Price", "Competitor", "No decision", "Timing", "Product fit", "Budget")
_LOSS_WITH_COMPETITOR = _Weighted(LOSS_REASONS, (25, 45, 10, 5, 10, 5))
_LOSS_WITHOUT_COMPETITOR = _Weighted(LOSS_REASONS, (15, 0, 30, 20, 15, 20))

LEAD_SOURCES = ("Website", "Google Ads", "LinkedIn", "Referral", "Webinar", "Trade Show", "Partner", "Cold Call",
                "Facebook")
# source -> (lead conversion effect, deal win effect, intent shift, HubSpot analytics source when organic)
_SOURCE_EFFECTS = {
    "Website": (0.1, 0.0, 0.1, "ORGANIC_SEARCH"),
    "Google Ads": (-0.1, -0.1, 0.0, "PAID_SEARCH"),
    "LinkedIn": (0.0, -0.05, 0.0, "SOCIAL_MEDIA"),
    "Referral": (0.9, 0.6, 0.4, "REFERRALS"),
    "Webinar": (0.3, 0.1, 0.3, "OTHER_CAMPAIGNS"),
    "Trade Show": (0.2, 0.1, 0.0, "OFFLINE"),
    "Partner": (0.6, 0.4, 0.2, "REFERRALS"),
    "Cold Call": (-0.8, -0.4, -0.5, "OFFLINE"),
    "Facebook": (-0.6, -0.3, -0.3, "SOCIAL_MEDIA"),
    "Existing Customer": (0.0, 1.0, 0.0, "OFFLINE"),
}
_FORM_SOURCES = frozenset({"Website", "Google Ads", "LinkedIn", "Facebook", "Webinar"})
_ORGANIC_SOURCES = _weighted((("Website", 40), ("Referral", 20), ("Cold Call", 14), ("LinkedIn", 10), ("Partner", 6),
                              ("Trade Show", 4), ("Webinar", 4), ("Google Ads", 2)))
_OUTBOUND_SOURCES = _weighted((("Cold Call", 40), ("Referral", 20), ("Partner", 20), ("Trade Show", 10),
                               ("LinkedIn", 10)))


@dataclass(frozen=True)
class _Channel:
    """A marketing channel: costs and click-through rates typical of Indian B2B marketing."""

    name: str
    label: str
    weight: float  # share of campaigns
    budget: float  # typical campaign budget at scale 1, INR
    days: tuple[int, int]  # campaign length range
    cost_per_lead: float  # INR of spend per expected lead, before normalisation
    cpm: float  # INR per 1000 impressions
    ctr: float
    sources: _Weighted[str]
    utm: tuple[str, str]  # utm_source (empty: the lead source's own name), utm_medium
    analytics: str  # HubSpot hs_analytics_source


CHANNELS = {channel.name: channel for channel in (
    _Channel("paid_search", "Google Search", 22, 900_000, (30, 120), 1_500, 220, 0.045,
             _weighted((("Google Ads", 1),)), ("google", "cpc"), "PAID_SEARCH"),
    _Channel("paid_social", "Paid Social", 18, 700_000, (14, 60), 1_100, 160, 0.011,
             _weighted((("LinkedIn", 65), ("Facebook", 35))), ("", "paid_social"), "PAID_SOCIAL"),
    _Channel("email", "Email Nurture", 18, 120_000, (7, 30), 400, 250, 0.025,
             _weighted((("Website", 1),)), ("hubspot", "email"), "EMAIL_MARKETING"),
    _Channel("webinar", "Webinar", 14, 250_000, (14, 35), 1_800, 400, 0.06,
             _weighted((("Webinar", 1),)), ("webinar", "webinar"), "OTHER_CAMPAIGNS"),
    _Channel("events", "Trade Show", 8, 1_500_000, (3, 10), 5_000, 900, 0.12,
             _weighted((("Trade Show", 1),)), ("event", "offline"), "OFFLINE"),
    _Channel("content", "Content Syndication", 10, 300_000, (30, 120), 900, 120, 0.015,
             _weighted((("Website", 1),)), ("content", "syndication"), "OTHER_CAMPAIGNS"),
    _Channel("partner", "Partner Co-marketing", 10, 500_000, (30, 90), 2_500, 300, 0.02,
             _weighted((("Partner", 1),)), ("partner", "referral"), "REFERRALS"),
)}
_CHANNEL_PICK = _Weighted(CHANNELS, (channel.weight for channel in CHANNELS.values()))
_CAMPAIGN_THEMES = ("CRM for Manufacturers", "BFSI Sales Excellence", "Diwali Growth Offer", "SMB Starter Pack",
                    "Enterprise Sales Summit", "Partner Connect", "Revenue Analytics Launch", "WhatsApp Selling",
                    "Field Sales Mobility", "Year-end Pipeline Push", "Healthcare Sales Cloud",
                    "Retail Dealer Network", "Pharma Field Force", "Logistics Sales Ops", "AI Lead Scoring")
_AUDIENCES = ("SMB owners", "Mid-market sales leaders", "Enterprise CXOs", "Channel partners", "Existing customers",
              "IT decision makers")


@dataclass(frozen=True)
class _Seniority:
    level: str
    lead_effect: float
    titles: tuple[str, ...]


_SENIORITIES = (
    _Seniority("C-level", 0.5, ("CEO", "Founder & CEO", "Managing Director", "Chief Operating Officer",
                                "Chief Revenue Officer", "CTO")),
    _Seniority("VP", 0.4, ("VP Sales", "VP Operations", "Vice President - Business Development")),
    _Seniority("Director", 0.3, ("Director - Sales", "Head of Sales", "Head of IT", "National Sales Head")),
    _Seniority("Manager", 0.1, ("Sales Manager", "IT Manager", "Marketing Manager", "Operations Manager",
                                "Regional Sales Manager", "Area Sales Manager")),
    _Seniority("Executive", -0.2, ("Sales Executive", "Business Analyst", "Executive - Procurement",
                                   "Sales Coordinator", "Marketing Executive")),
    _Seniority("Student", -1.0, ("Student", "Intern", "MBA Student")),
)
_SENIORITY_BY_SEGMENT = (
    _Weighted(_SENIORITIES, (25, 5, 10, 30, 25, 5)),
    _Weighted(_SENIORITIES, (8, 10, 20, 35, 22, 5)),
    _Weighted(_SENIORITIES, (3, 8, 20, 40, 25, 4)),
)
_TIER_LEAD_EFFECT = {1: 0.2, 2: 0.0, 3: -0.2}

_FIRST_NAMES = {
    "North": ("Aarav", "Vivaan", "Aditya", "Rohit", "Amit", "Rahul", "Vikas", "Sandeep", "Manish", "Ankit", "Gaurav",
              "Deepak", "Neha", "Priya", "Pooja", "Anjali", "Shweta", "Ritu", "Kavita", "Sunita", "Simran",
              "Harpreet", "Gurpreet", "Manpreet"),
    "West": ("Rohan", "Aniket", "Sagar", "Omkar", "Tejas", "Nikhil", "Parth", "Harsh", "Dhruv", "Jay", "Hardik",
             "Chirag", "Sneha", "Shruti", "Prachi", "Sayali", "Rutuja", "Komal", "Hetal", "Khushi", "Nidhi", "Dhara",
             "Mitali"),
    "South": ("Arjun", "Karthik", "Vignesh", "Suresh", "Ramesh", "Praveen", "Srinivas", "Venkatesh", "Harish",
              "Naveen", "Rajesh", "Ganesh", "Lakshmi", "Divya", "Meera", "Kavya", "Anusha", "Swathi", "Priyanka",
              "Deepa", "Revathi", "Aishwarya", "Sindhu"),
    "East": ("Arnab", "Sourav", "Debashish", "Subhajit", "Ankur", "Pritam", "Rajib", "Abhijit", "Bikash", "Manas",
             "Partha", "Sayan", "Ananya", "Moumita", "Rituparna", "Sreeja", "Tanushree", "Nandini", "Puja", "Barnali",
             "Jhumpa"),
}
_LAST_NAMES = {
    "North": ("Sharma", "Verma", "Gupta", "Singh", "Kumar", "Agarwal", "Yadav", "Chauhan", "Malhotra", "Kapoor",
              "Khanna", "Mehra", "Bansal", "Mittal", "Saxena", "Srivastava", "Tiwari", "Pandey", "Dubey", "Sandhu",
              "Gill", "Dhillon"),
    "West": ("Patil", "Deshmukh", "Kulkarni", "Joshi", "Pawar", "Jadhav", "Shinde", "Gaikwad", "Deshpande", "Bhosale",
             "Patel", "Shah", "Mehta", "Desai", "Parikh", "Trivedi", "Vyas", "Soni", "Jain", "Thakkar"),
    "South": ("Iyer", "Iyengar", "Nair", "Menon", "Pillai", "Reddy", "Naidu", "Rao", "Krishnan", "Subramanian",
              "Raman", "Hegde", "Shetty", "Gowda", "Kamath", "Pai", "Varghese", "Thomas", "Kurian", "Murthy",
              "Prasad"),
    "East": ("Banerjee", "Chatterjee", "Mukherjee", "Ghosh", "Bose", "Das", "Dutta", "Sen", "Roy", "Chakraborty",
             "Bhattacharya", "Mohanty", "Mishra", "Patnaik", "Sahoo", "Baruah", "Gogoi", "Bora", "Sinha", "Jha"),
}
_FREEMAIL = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com")
_NAME_PREFIXES = ("Aarohi", "Shakti", "Vistara", "Sahyadri", "Ganga", "Kaveri", "Indus", "Surya", "Nirmal", "Apex",
                  "Pinnacle", "Sai", "Shree", "Lakshmi", "Triveni", "Navkar", "Pragati", "Utkarsh", "Vardhman",
                  "Zenith", "Bharat", "Deccan", "Konkan", "Malabar", "Coromandel", "Himalaya", "Narmada", "Godavari",
                  "Aravali", "Vindhya", "Siddhi", "Ananta", "Prithvi", "Agni", "Jyoti", "Kiran", "Tulsi", "Nilgiri",
                  "Sapphire", "Orchid", "Lotus", "Banyan", "Peacock", "Everest", "Sterling", "Unity", "Vertex",
                  "Crescent", "Meridian", "Horizon")
_NAME_MIDDLES = ("Global", "India", "Prime", "United", "National", "Eastern", "Western", "Southern", "Northern",
                 "Modern", "Smart", "Star", "Royal", "First", "Classic", "Allied", "Integrated", "Premier")
_NAME_SUFFIXES = ("Pvt Ltd", "Pvt Ltd", "Private Limited", "Ltd", "LLP", "")

_CALL_DISPOSITIONS = {  # HubSpot's default call outcomes (GUIDs are the same in every portal)
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",
    "wrong_number": "17b47fee-58de-441e-a44c-c6300d46f273",
}
# missed call outcome -> (disposition, status, max duration ms)
_MISSED_CALLS = _weighted(((("no_answer", "NO_ANSWER", 0), 55), (("voicemail", "COMPLETED", 60_000), 25),
                           (("busy", "BUSY", 0), 15), (("wrong_number", "COMPLETED", 30_000), 5)))
_DEAL_CALL_TITLES = ("Discovery call", "Follow-up call", "Requirements call", "Demo follow-up", "Pricing discussion",
                     "Negotiation call", "Stakeholder check-in")
_LEAD_CALL_TITLES = ("Intro call", "Qualification call", "Callback on enquiry")
_DEAL_EMAIL_SUBJECTS = ("Following up on our call", "Kaveri CRM - proposal and commercials",
                        "Demo recording and next steps", "Pricing for your team", "Contract for review",
                        "Implementation plan", "Re: Commercials", "Case study: CRM rollout in 6 weeks")
_LEAD_EMAIL_SUBJECTS = ("Thanks for your interest in Kaveri CRM", "Your demo request", "Can we schedule a quick call?")
_MEETING_TITLES = ("Discovery meeting", "Product demo", "Technical deep-dive", "Commercial negotiation",
                   "Executive alignment", "Onsite visit", "Contract walkthrough")
_MEETING_OUTCOMES = _weighted((("COMPLETED", 80), ("RESCHEDULED", 8), ("NO_SHOW", 7), ("CANCELED", 5)))

_PAGES = _weighted((("/", 20), ("/features", 15), ("/features/lead-management", 8), ("/features/analytics", 6),
                    ("/customers", 8), ("/integrations", 6), ("/about", 4), ("/blog/sales-cycle-benchmarks-india", 8),
                    ("/blog/whatsapp-for-sales-teams", 8), ("/blog/gst-ready-quoting", 6),
                    ("/blog/field-sales-tracking", 6), ("/demo", 5)))
_PRICING_PAGES = _weighted((("/pricing", 70), ("/pricing/enterprise", 15), ("/pricing/compare", 15)))
_NURTURE_SUBJECTS = ("Welcome to Kaveri CRM", "5 ways to shorten your sales cycle", "Your CRM buyer's guide",
                     "Customer story: scaling field sales", "Invitation: live product tour",
                     "Pricing that grows with you")
_FORMS = ("Contact Sales", "Book a Demo", "Download: CRM Buyer's Guide", "Free Trial Signup", "Pricing Enquiry")
_FORM_IDS = {form: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{SITE}/forms/{form}")) for form in _FORMS}
_WEBINARS = ("Live product tour", "Sales forecasting masterclass", "Building a field sales playbook")
_LIFECYCLE_RANK = {None: -1, "lead": 0, "marketingqualifiedlead": 1, "salesqualifiedlead": 2, "opportunity": 3,
                   "customer": 4}

# Shared read-only patches (most status moves are identical for every contact).
_ATTEMPTED = {"hs_lead_status": "ATTEMPTED_TO_CONTACT"}
_MQL_OPEN = {"lifecyclestage": "marketingqualifiedlead", "hs_lead_status": "OPEN"}
_MQL = {"lifecyclestage": "marketingqualifiedlead"}
_SQL = {"lifecyclestage": "salesqualifiedlead"}
_OPPORTUNITY = {"lifecyclestage": "opportunity"}
_OPEN_DEAL = {"lifecyclestage": "opportunity", "hs_lead_status": "OPEN_DEAL"}
_CUSTOMER = {"lifecyclestage": "customer"}
_FINAL_LEAD_STATUS = _weighted((({"hs_lead_status": "UNQUALIFIED"}, 45), ({"hs_lead_status": "BAD_TIMING"}, 25),
                                ({"hs_lead_status": "OPEN"}, 15), ({"hs_lead_status": "IN_PROGRESS"}, 15)))


@cache
def _industry_pick(city: str) -> _Weighted[_Industry]:
    return _Weighted(INDUSTRIES, (industry.weight * (2.5 if city in industry.hubs else 1.0) for industry in INDUSTRIES))


_CITY_PICK = _Weighted(CITIES, (city.population for city in CITIES))

# ---------------------------------------------------------------------------------------------------------
# The world


@dataclass(repr=False, eq=False)
class World:
    """Everything the simulated services serve, in API shape, plus ground truth for tests and ML.

    Contract attributes (docs/source-systems.md): seed, scale, as_of, owners, crm, pipelines, campaigns,
    campaign_daily, events, sheets, oracle_leads. The rest is not served over HTTP: planning data
    (products, teams, territories, rep_history, rep_quotas, market_potential) and hidden truth
    (oracle_deals).
    """

    seed: int
    scale: float
    as_of: datetime
    owners: list[dict[str, Any]] = field(default_factory=list)
    crm: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {kind: [] for kind in _FIRST_IDS})
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    campaign_daily: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    sheets: dict[str, list[list[str]]] = field(default_factory=dict)
    oracle_leads: list[dict[str, Any]] = field(default_factory=list)
    oracle_deals: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    territories: list[dict[str, Any]] = field(default_factory=list)
    rep_history: list[dict[str, Any]] = field(default_factory=list)
    rep_quotas: list[dict[str, Any]] = field(default_factory=list)
    market_potential: dict[str, dict[str, float]] = field(default_factory=dict)
    _sim: _Sim | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:  # the generated one would print millions of records
        counts = ", ".join(f"{name}={count}" for name, count in world_summary(self).items())
        return f"World(seed={self.seed}, scale={self.scale}, as_of={self.as_of.isoformat()}, {counts})"


@dataclass(eq=False, slots=True)
class _Entity:
    """A CRM record in the making: planned properties, then its API record and id once it exists.

    Property values may be other entities; they resolve to those entities' ids when applied, because
    ids are handed out in creation order, after planning.
    """

    kind: str
    created: int
    props: dict[str, Any]
    company: _Entity | None = None
    contact: _Entity | None = None
    user_id: int = 0  # HubSpot user who changes it (deal stage history)
    id: str | None = None
    rec: dict[str, Any] | None = None
    updated: int = 0
    links: dict[str, dict[str, Any]] | None = None  # association blocks for its engagements, by kind

    def engagement_links(self, kind: str) -> dict[str, Any]:
        """The `associations` of an engagement logged on this deal or contact; shared, as they are equal."""
        if self.links is None:
            self.links = {}
        links = self.links.get(kind)
        if links is None:
            prefix = _ENGAGEMENT_ASSOCIATION[kind]
            if self.kind == "deals":
                deal, contact, company_id = self, self.contact, self.company.id
            else:
                deal, contact, company_id = None, self, self.rec["properties"]["associatedcompanyid"]
            links = self.links[kind] = {
                "deals": {"results": [{"id": deal.id, "type": f"{prefix}_to_deal"}]} if deal else _NO_RESULTS,
                "contacts": {"results": [{"id": contact.id, "type": f"{prefix}_to_contact"}]},
                "companies": ({"results": [{"id": company_id, "type": f"{prefix}_to_company"}]} if company_id
                              else _NO_RESULTS),
            }
        return links


@dataclass(eq=False)
class _Team:
    id: str
    name: str
    region: str
    segment: str
    reps: list[_Rep] = field(default_factory=list)


@dataclass(eq=False)
class _Territory:
    name: str
    team: _Team
    accounts: list[_Account] = field(default_factory=list)
    holders: list[tuple[int, _Rep]] = field(default_factory=list)  # (from ms, rep), oldest first

    def holder(self, t: int) -> _Rep:
        """The rep who owned the territory at `t` (the first holder for times before records began)."""
        current = self.holders[0][1]
        for start, rep in self.holders:
            if start <= t:
                current = rep
        return current


@dataclass(eq=False)
class _Rep:
    id: str
    user_id: int
    first: str
    last: str
    email: str
    created: int
    skill: float  # hidden effect on win odds
    hustle: float  # hidden activity rate multiplier
    periods: list[tuple[int, _Team, _Territory]] = field(default_factory=list)  # (from ms, team, territory)

    def team_at(self, t: int) -> _Team:
        team = self.periods[0][1]
        for start, period_team, _ in self.periods:
            if start <= t:
                team = period_team
        return team


@dataclass(eq=False)
class _Account:
    entity: _Entity
    name: str
    domain: str
    city: City
    industry: _Industry
    segment: int
    employees: int
    potential: float  # addressable yearly licence value, INR
    planned_created: int
    first_ref: int
    territory: _Territory | None = None
    contacts: list[_Entity] = field(default_factory=list)
    lead_contacts: list[_Entity] = field(default_factory=list)


@dataclass(eq=False)
class _Campaign:
    key: int
    guid: str
    name: str
    channel: str
    channels: tuple[tuple[str, float], ...]  # (channel, share of spend)
    audience: str
    created: int
    start_day: int
    end_day: int
    budget: float
    record: dict[str, Any] | None = None
    spent: float = 0.0

    def spend(self, day: int, channel_index: int) -> float:
        """INR spent on `day` through its `channel_index`-th channel: stateless, so build and advance agree."""
        if not self.start_day <= day <= self.end_day:
            return 0.0
        weekend = (day + 3) % 7 >= 5
        daily = self.budget / (self.end_day - self.start_day + 1) * self.channels[channel_index][1]
        return round(daily * (0.7 + 0.6 * _unit(self.key, day, channel_index)) * (0.8 if weekend else 1.0), 2)

    def expected_leads(self, day: int) -> list[tuple[float, str]]:
        return [(self.spend(day, index) / CHANNELS[channel].cost_per_lead, channel)
                for index, (channel, _) in enumerate(self.channels)]


# Agenda action codes: one per engagement kind and per event type, so actions need no extra tuples.
_ENGAGEMENT_KINDS = ("calls", "emails", "meetings")
_CALL, _EMAIL, _MEETING, _PATCH, _EMIT = range(5)
_EVENT_TYPES = ("e_visited_page", "e_opened_email", "e_clicked_email", "e_submitted_form", "e_attended_webinar")
_VISITED, _OPENED, _CLICKED, _SUBMITTED, _ATTENDED = range(5, 5 + len(_EVENT_TYPES))


@dataclass(eq=False)
class _Sim:
    """Generator state kept on the World so `advance` continues exactly where the build stopped."""

    world: World
    seed: int
    scale: float
    start_day: int
    end_day: int
    agenda: list[tuple[Any, ...]] = field(default_factory=list)
    building: bool = True
    seq: int = 0
    next_ids: dict[str, int] = field(default_factory=lambda: dict(_FIRST_IDS))
    next_lead: int = 1
    uuid_rng: Random = field(default_factory=lambda: Random(0))
    accounts: list[_Account] = field(default_factory=list)
    account_pick: _Weighted[_Account] | None = None  # who submits leads: every company, bigger ones more
    outbound_pick: _Weighted[_Account] | None = None  # whom reps prospect: bigger companies much more
    reps: list[_Rep] = field(default_factory=list)
    campaigns: list[_Campaign] = field(default_factory=list)
    contacts: list[_Entity] = field(default_factory=list)  # every planned contact, in planning order
    organic_level: float = 1.0
    lead_rate: float = 1.0  # expected leads per unit of demand intensity
    outbound_rate: float = 1.0
    inbound_rate: float = 1.0  # deals per unit of sales intensity that sheet leads would have brought
    campaign_rate: float = 0.0
    lead_tally: Counter[str] = field(default_factory=Counter)
    bookings: defaultdict[tuple[str, int, int], float] = field(default_factory=lambda: defaultdict(float))
    property_pool: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)

    @property
    def start_ms(self) -> int:
        return self.start_day * DAY_MS

    @property
    def end_ms(self) -> int:
        return self.end_day * DAY_MS

    def schedule(self, t: int, code: int, subject: Any, payload: Any = None) -> None:
        """Put an action on the agenda: a plain list while building (sorted once, stably), then a heap."""
        if self.building:
            self.agenda.append((t, code, subject, payload))
        else:
            self.seq += 1
            heapq.heappush(self.agenda, (t, self.seq, code, subject, payload))

    def patch(self, entity: _Entity, t: int, changes: dict[str, Any]) -> None:
        self.schedule(t, _PATCH, entity, changes)

    def next_id(self, kind: str) -> str:
        number = self.next_ids[kind]
        self.next_ids[kind] = number + 1
        return str(number)

    def years(self, t: int) -> float:
        return (t - self.start_ms) / YEAR_MS

    def shared(self, *pairs: str) -> dict[str, str]:
        """One properties dict per distinct event payload (name, value, name, value...): events repeat a few."""
        props = self.property_pool.get(pairs)
        if props is None:
            props = self.property_pool[pairs] = dict(zip(pairs[::2], pairs[1::2], strict=True))
        return props

    def organic_demand(self, day: int) -> float:
        d = _date_of(day * DAY_MS)
        return (self.organic_level * math.exp(GROWTH * self.years(day * DAY_MS)) * _LEAD_SEASON[d.month - 1]
                * _LEAD_WEEKDAY[d.weekday()])

    def paid_demand(self, day: int) -> list[tuple[float, _Campaign, str]]:
        return [(expected, campaign, channel) for campaign in self.campaigns
                if campaign.start_day <= day <= campaign.end_day
                for expected, channel in campaign.expected_leads(day)]

    def sales_intensity(self, day: int) -> float:
        return math.exp(GROWTH * self.years(day * DAY_MS)) * _SALES_WEEKDAY[(day + 3) % 7]


# ---------------------------------------------------------------------------------------------------------
# Applying the agenda


def _touch(entity: _Entity, t: int, text: str | None = None) -> None:
    """Bump updatedAt / hs_lastmodifieddate to `t` (`text` is its ISO form when the caller has it)."""
    if t > entity.updated:
        entity.updated = t
        text = text or iso_ms(t)
        entity.rec["updatedAt"] = text
        entity.rec["properties"]["hs_lastmodifieddate"] = text


def _resolve(value: Any) -> Any:
    return value.id if isinstance(value, _Entity) else value


def _stage_entry(stage: str, timestamp: str, user_id: int) -> dict[str, Any]:
    return {"value": stage, "timestamp": timestamp, "sourceType": "CRM_UI", "sourceId": f"userId:{user_id}",
            "updatedByUserId": user_id}


def _emit(sim: _Sim, entity: _Entity, extra: Any) -> None:
    """The entity comes into existence: id, API record, and what is born with it (sheet row, oracle)."""
    world = sim.world
    entity.id = sim.next_id(entity.kind)
    text = iso_ms(entity.created)
    props = entity.props
    for key, value in props.items():
        props[key] = _resolve(value)
    props["hs_createdate"] = text
    props["hs_lastmodifieddate"] = text
    record: dict[str, Any] = {"id": entity.id, "properties": props, "createdAt": text, "updatedAt": text,
                              "archived": False}
    entity.rec, entity.updated = record, entity.created
    if entity.kind == "deals":
        props["createdate"] = text
        record["associations"] = {
            "companies": {"results": [{"id": entity.company.id, "type": "deal_to_company"}]},
            "contacts": {"results": [{"id": entity.contact.id, "type": "deal_to_contact"}]},
        }
        record["propertiesWithHistory"] = {"dealstage": [_stage_entry(props["dealstage"], text, entity.user_id)]}
        world.oracle_deals.append({"deal_id": entity.id, **extra})
    elif extra is not None:  # a contact born from a sheet lead
        row, duplicated, oracle = extra
        leads = world.sheets["Leads"]
        leads.append(row)
        if duplicated:  # an automation retry wrote the same row twice
            leads.append(list(row))
        world.oracle_leads.append(oracle)
    world.crm[entity.kind].append(record)


def _apply_patch(entity: _Entity, t: int, changes: dict[str, Any]) -> None:
    """Apply planned property changes; lifecycle stages only move forward, as HubSpot's do by default."""
    props = entity.rec["properties"]
    stage_moved = "dealstage" in changes and props["dealstage"] != changes["dealstage"]
    changed = False
    for key, raw in changes.items():
        value = _resolve(raw)
        if key == "lifecyclestage" and _LIFECYCLE_RANK[value] <= _LIFECYCLE_RANK[props.get(key)]:
            continue
        if props.get(key) != value:
            props[key] = value
            changed = True
    if not changed:
        return
    if stage_moved:
        entity.rec["propertiesWithHistory"]["dealstage"].insert(
            0, _stage_entry(changes["dealstage"], iso_ms(t), entity.user_id))
    _touch(entity, t)


def _emit_engagement(sim: _Sim, t: int, kind: str, parent: _Entity, props: dict[str, Any]) -> None:
    text = props["hs_createdate"]
    sim.world.crm[kind].append({"id": sim.next_id(kind), "properties": props, "createdAt": text, "updatedAt": text,
                                "archived": False, "associations": parent.engagement_links(kind)})
    if parent.kind == "deals":  # logging an activity updates the deal's last-activity date
        parent.rec["properties"]["notes_last_updated"] = text
        _touch(parent, t, text)
    contact = parent.contact if parent.kind == "deals" else parent
    if contact is not None and contact.rec is not None \
            and not contact.rec["properties"].get("hs_sa_first_engagement_date"):
        contact.rec["properties"]["hs_sa_first_engagement_date"] = text  # HubSpot's "first engagement date"
        _touch(contact, t, text)


def _apply(sim: _Sim, t: int, code: int, subject: Any, payload: Any) -> None:
    if code >= _VISITED:
        sim.world.events.append({"id": _random_uuid(sim.uuid_rng), "objectType": "CONTACT", "objectId": subject.id,
                                 "eventType": _EVENT_TYPES[code - _VISITED], "occurredAt": iso_ms(t),
                                 "properties": payload})
    elif code == _PATCH:
        _apply_patch(subject, t, payload)
    elif code == _EMIT:
        _emit(sim, subject, payload)
    else:
        _emit_engagement(sim, t, _ENGAGEMENT_KINDS[code], subject, payload)


def _run(sim: _Sim, until: int) -> None:
    """Apply every agenda action before `until` (epoch ms), in time order (planning order on ties)."""
    agenda = sim.agenda
    if not sim.building:
        while agenda and agenda[0][0] < until:
            t, _, code, subject, payload = heapq.heappop(agenda)
            _apply(sim, t, code, subject, payload)
        return
    agenda.sort(key=itemgetter(0))
    cut = bisect.bisect_left(agenda, until, key=itemgetter(0))
    sim.agenda = [(t, seq, code, subject, payload)  # sorted, hence already a heap
                  for seq, (t, code, subject, payload) in enumerate(agenda[cut:])]
    sim.seq, sim.building = len(sim.agenda), False
    del agenda[cut:]
    agenda.reverse()
    while agenda:  # popping frees each action as soon as it is applied
        t, code, subject, payload = agenda.pop()
        _apply(sim, t, code, subject, payload)


# ---------------------------------------------------------------------------------------------------------
# Organisation: accounts, teams, reps, territories


def _person(rng: Random, region: str) -> tuple[str, str]:
    return _choice(rng, _FIRST_NAMES[region]), _choice(rng, _LAST_NAMES[region])


def _phone_digits(rng: Random) -> str:
    return f"{_choice(rng, '9999888776')}{int(rng.random() * 1e9):09d}"


def _tidy_phone(digits: str) -> str:
    """How HubSpot shows a phone once a rep has tidied it."""
    return f"+91 {digits[:5]} {digits[5:]}"


def _landline(rng: Random, city: City) -> str:
    """An office number with the city's STD-like prefix (the PIN prefix stands in for it)."""
    return f"+91 {city.pin_prefix[:2]} {_between(rng, 2000, 10_000)} {_between(rng, 1000, 10_000)}"


def _typed_phone(rng: Random, digits: str) -> str:
    """A phone as people type it into a form."""
    style = rng.random()
    if style < 0.35:
        return _tidy_phone(digits)
    if style < 0.5:
        return "0" + digits
    if style < 0.6:
        return f"{digits[:5]}-{digits[5:]}"
    if style < 0.85:
        return digits
    return ("+91" if style < 0.95 else "+91-") + digits


def _make_accounts(sim: _Sim, rng: Random) -> None:
    """Companies in real cities, drawn in proportion to population; industry clusters in its hub cities."""
    count = max(20, round(ACCOUNTS_PER_SCALE * sim.scale))
    names: set[str] = set()
    for _ in range(count):
        city = _CITY_PICK.pick(rng)
        industry = _industry_pick(city.name).pick(rng)
        segment = _SEGMENT_PICK.pick(rng)
        if segment == 2:
            employees = min(100_000, int(1000 / (1.0 - rng.random()) ** (1 / 1.5)))
        else:
            low, high = ((10, 199), (200, 999))[segment]
            employees = int(low * (high / low) ** rng.random())
        revenue = int(employees * industry.revenue_per_employee * rng.lognormvariate(0, 0.4) / 1000) * 1000
        name = _company_name(rng, industry, city, names)
        slug = "".join(ch for ch in name.lower().removesuffix(" pvt ltd").removesuffix(" private limited")
                       .removesuffix(" ltd").removesuffix(" llp") if ch.isalnum())
        domain = f"{slug}.{_choice(rng, ('com', 'in', 'co.in', 'com'))}"
        if rng.random() < 0.5:  # imported with the CRM, before the history starts
            planned = _work_time(rng, sim.start_day - _between(rng, 1, 400))
        else:
            planned = _work_time(rng, _between(rng, sim.start_day, sim.end_day - 1))
        licence = _PRODUCT[_SEGMENT_LICENCE[segment]]
        props = {
            "name": name, "domain": domain, "website": f"https://www.{domain}", "industry": industry.name,
            "numberofemployees": str(employees), "annualrevenue": str(revenue), "segment": SEGMENTS[segment],
            "phone": _landline(rng, city),
            "city": city.name, "state": city.state, "country": "India",
            "zip": f"{city.pin_prefix}{_between(rng, 1, 1000):03d}",
            "lat": f"{city.lat + rng.gauss(0, 0.03):.5f}", "lon": f"{city.lon + rng.gauss(0, 0.03):.5f}",
            "hubspot_owner_id": None, "territory": None, "region": STATES[city.state].region,
            "lifecyclestage": "lead",
        }
        account = _Account(_Entity("companies", 0, props), name, domain, city, industry, segment, employees,
                           employees * _SEAT_SHARE[segment] * licence.unit_price, planned, 1 << 62)
        account.contacts = [_Entity("contacts", 0, {}, company=account.entity)
                            for _ in range(1 + _poisson(rng, 0.6 + 0.6 * segment))]
        sim.accounts.append(account)
        sim.contacts.extend(account.contacts)
    sim.account_pick = _Weighted(sim.accounts, (1.0 + math.log(a.employees) for a in sim.accounts))
    sim.outbound_pick = _Weighted(sim.accounts, (math.sqrt(a.employees) for a in sim.accounts))


def _company_name(rng: Random, industry: _Industry, city: City, taken: set[str]) -> str:
    for attempt in range(50):
        style = rng.random()
        word = _choice(rng, industry.words)
        if style < 0.5:
            core = f"{_choice(rng, _NAME_PREFIXES)} {word}"
        elif style < 0.8:
            core = f"{_choice(rng, _NAME_PREFIXES)} {_choice(rng, _NAME_MIDDLES)} {word}"
        else:
            core = f"{city.name.split('-')[0]} {_choice(rng, _NAME_MIDDLES)} {word}"
        if attempt >= 20:
            core = f"{core} {attempt - 18}"
        suffix = _choice(rng, _NAME_SUFFIXES)
        name = f"{core} {suffix}".strip()
        if core not in taken:
            taken.add(core)
            return name
    raise RuntimeError("could not find a free company name")


def _build_org(sim: _Sim, rng: Random) -> list[_Territory]:
    """Regional teams, reps allocated to teams by workload, and contiguous geographic territories per rep."""
    teams = [_Team(str(5_000_001 + index), f"{region} {segment}", region, segment)
             for index, (region, segment) in enumerate((region, segment) for region in REGION_NAMES
                                                       for segment in REGION_TEAMS[region])]
    by_key = {(team.region, team.segment): team for team in teams}

    def nominal_team(account: _Account) -> _Team:
        region = STATES[account.city.state].region
        segment = SEGMENTS[account.segment]
        return by_key.get((region, segment)) or by_key[(region, "Mid-Market")]

    total_potential = sum(account.potential for account in sim.accounts)
    load: Counter[str] = Counter()
    for account in sim.accounts:
        load[nominal_team(account).id] += 0.5 * account.potential / total_potential + 0.5 / len(sim.accounts)
    seats = Counter({max((team for team in teams if team.region == region), key=lambda team: load[team.id]).id: 1
                     for region in REGION_NAMES})
    for _ in range(max(len(REGION_NAMES), round(REPS_PER_SCALE * sim.scale)) - len(REGION_NAMES)):
        best = max(teams, key=lambda team: (load[team.id] / (seats[team.id] + 1), -int(team.id)))
        seats[best.id] += 1

    def effective_team(account: _Account) -> _Team:
        """The nominal team, or the closest staffed team of the region when that one has no reps."""
        team = nominal_team(account)
        if seats[team.id]:
            return team
        order = sorted((t for t in teams if t.region == team.region and seats[t.id]),
                       key=lambda t: abs(SEGMENTS.index(t.segment) - SEGMENTS.index(team.segment)))
        return order[0]

    members: defaultdict[str, list[_Account]] = defaultdict(list)
    for account in sim.accounts:
        members[effective_team(account).id].append(account)
    territories: list[_Territory] = []
    prefixes: Counter[str] = Counter()
    emails: set[str] = set()
    for team in teams:
        if not seats[team.id]:
            continue
        state_load = Counter()
        for account in members[team.id]:
            state_load[account.city.state] += account.potential
        ordered = sorted(members[team.id], key=lambda a: (-state_load[a.city.state], a.city.state,
                                                          -a.city.population, a.city.name, a.entity.props["lat"]))
        team_potential = sum(a.potential for a in ordered) or 1.0
        weights = [0.5 * a.potential / team_potential + 0.5 / len(ordered) for a in ordered]
        chunks = _split_contiguous(weights, seats[team.id])
        for index in range(seats[team.id]):
            chunk = ordered[chunks[index]:chunks[index + 1]]
            chunk_states = Counter()
            for account in chunk:
                chunk_states[account.city.state] += account.potential
            main_state = max(chunk_states, key=lambda s: (chunk_states[s], s)) if chunk else REGIONS[team.region][0]
            prefix = f"{team.region.upper()}-{STATES[main_state].short_code}"
            prefixes[prefix] += 1
            territory = _Territory(f"{prefix}-{prefixes[prefix]}", team, chunk)
            rep = _new_rep(sim, rng, team, territory, emails)
            territory.holders.append((rep.created, rep))
            team.reps.append(rep)
            territories.append(territory)
            for account in chunk:
                account.territory = territory
                account.entity.props["territory"] = territory.name
    sim.world.teams = [{"id": team.id, "name": team.name, "region": team.region, "segment": team.segment,
                        "rep_ids": [rep.id for rep in team.reps]} for team in teams]
    return territories


def _split_contiguous(weights: Sequence[float], parts: int) -> list[int]:
    """Boundaries cutting an ordered list into `parts` runs of about equal weight, none empty if possible."""
    total = sum(weights) or 1.0
    midpoints, running = [], 0.0
    for weight in weights:
        midpoints.append(running + weight / 2)
        running += weight
    bounds = [0]
    for part in range(1, parts):
        bound = bisect.bisect_left(midpoints, total * part / parts)
        if len(weights) >= parts:
            bound = min(max(bound, bounds[-1] + 1), len(weights) - (parts - part))
        bounds.append(max(bound, bounds[-1]))
    bounds.append(len(weights))
    return bounds


def _new_rep(sim: _Sim, rng: Random, team: _Team, territory: _Territory, emails: set[str]) -> _Rep:
    number = len(sim.reps)
    first, last = _person(rng, team.region)
    email = f"{first}.{last}@{SELLER_DOMAIN}".lower()
    if email in emails:
        email = f"{first}.{last}{number}@{SELLER_DOMAIN}".lower()
    emails.add(email)
    created = _work_time(rng, sim.start_day - _between(rng, 200, 900))  # before the warm-up pipeline
    rep = _Rep(str(3_000_001 + number), 9_000_001 + number, first, last, email, created, rng.gauss(0, 0.35),
               min(1.6, max(0.5, rng.gauss(1.0, 0.2))))
    rep.periods.append((created, team, territory))
    sim.reps.append(rep)
    return rep


def _swap_reps(sim: _Sim, rng: Random) -> list[tuple[int, _Territory, _Territory]]:
    """About 15% of reps changed team or territory: pairs swap assignments once, mid-history."""
    pairs = max(1, round(0.075 * len(sim.reps)))
    free = list(sim.reps)
    rng.shuffle(free)
    swaps = []
    for _ in range(pairs):
        if len(free) < 2:
            break
        first = free.pop()
        partner = next((rep for rep in free if rep.periods[0][1] is not first.periods[0][1]), free[0])
        free.remove(partner)
        when = _work_time(rng, _between(rng, sim.start_day + 120, max(sim.start_day + 121, sim.end_day - 60)))
        (_, team_a, territory_a), (_, team_b, territory_b) = first.periods[0], partner.periods[0]
        first.periods = [(first.created, team_b, territory_b), (when, team_a, territory_a)]
        partner.periods = [(partner.created, team_a, territory_a), (when, team_b, territory_b)]
        territory_a.holders = [(min(first.created, partner.created), partner), (when, first)]
        territory_b.holders = [(min(first.created, partner.created), first), (when, partner)]
        swaps.append((when, territory_a, territory_b))
    return swaps


# ---------------------------------------------------------------------------------------------------------
# Campaigns


def _plan_campaign(sim: _Sim, rng: Random, day: int) -> _Campaign:
    channel = _CHANNEL_PICK.pick(rng)
    spec = CHANNELS[channel]
    created = _work_time(rng, day)
    start = day + _between(rng, 7, 31)
    end = start + _between(rng, spec.days[0], spec.days[1] + 1) - 1
    start_date = _date_of(start * DAY_MS)
    fiscal_year = start_date.year + (1 if start_date.month >= 4 else 0)
    quarter = (start_date.month - 4) % 12 // 3 + 1
    name = f"FY{fiscal_year % 100:02d} Q{quarter} {_choice(rng, _CAMPAIGN_THEMES)} - {spec.label}"
    taken = sum(1 for campaign in sim.campaigns if campaign.name.split(" #")[0] == name)
    if taken:
        name = f"{name} #{taken + 1}"
    extra = [other for other in ("email", "paid_social", "content") if other != channel and rng.random() < 0.25]
    channels = ((channel, 1.0),) if not extra else ((channel, 0.7), *((other, 0.3 / len(extra)) for other in extra))
    budget = (spec.budget * math.sqrt(sim.scale) * rng.lognormvariate(0, 0.4)
              * math.exp(GROWTH * sim.years(start * DAY_MS)))
    campaign = _Campaign(len(sim.campaigns) + 1, _random_uuid(rng), name, channel, channels,
                         _choice(rng, _AUDIENCES), created, start, end, round(budget, -3))
    sim.campaigns.append(campaign)
    return campaign


def _campaign_day(sim: _Sim, day: int) -> None:
    """Publish the campaigns created on `day` and post that day's spend, as HubSpot's daily reports do."""
    posted = day * DAY_MS + 23 * HOUR_MS + 30 * MINUTE_MS
    for campaign in sim.campaigns:
        if campaign.created // DAY_MS == day:
            text = iso_ms(campaign.created)
            campaign.record = {"id": campaign.guid, "properties": {
                "hs_name": campaign.name, "hs_start_date": _day_text(campaign.start_day),
                "hs_end_date": _day_text(campaign.end_day), "hs_campaign_status": "planned",
                "hs_audience": campaign.audience, "hs_currency_code": "INR",
                "hs_budget_items_sum_amount": f"{campaign.budget:.2f}", "hs_spend_items_sum_amount": "0.00",
                "channel": campaign.channel}, "createdAt": text, "updatedAt": text}
            sim.world.campaigns.append(campaign.record)
            sim.world.campaign_daily[campaign.guid] = []
        if campaign.record is None or not campaign.start_day <= day <= campaign.end_day:
            continue
        rows = sim.world.campaign_daily[campaign.guid]
        for index, (channel, _) in enumerate(campaign.channels):
            spec = CHANNELS[channel]
            spend = campaign.spend(day, index)
            impressions = int(spend / spec.cpm * 1000 * (0.85 + 0.3 * _unit(campaign.key, day, index, 1)))
            clicks = int(impressions * spec.ctr * (0.8 + 0.4 * _unit(campaign.key, day, index, 2)))
            rows.append({"date": _day_text(day), "channel": channel, "spend": spend, "impressions": impressions,
                         "clicks": clicks})
            campaign.spent += spend
        props = campaign.record["properties"]
        props["hs_spend_items_sum_amount"] = f"{campaign.spent:.2f}"
        props["hs_campaign_status"] = "completed" if day == campaign.end_day else "in_progress"
        campaign.record["updatedAt"] = iso_ms(posted)


# ---------------------------------------------------------------------------------------------------------
# Leads, deals and activities


def _plan_day(sim: _Sim, rng: Random, day: int, with_leads: bool = True) -> None:
    """Everything born on `day`: sheet leads (organic and from live campaigns) and outbound deals."""
    if with_leads:
        organic = sim.organic_demand(day)
        paid = sim.paid_demand(day)
        demand = _Weighted([(None, None), *((campaign, channel) for _, campaign, channel in paid)],
                           [organic, *(expected for expected, _, _ in paid)])
        times = sorted(_work_time(rng, day) for _ in range(_poisson(rng, sim.lead_rate * demand.total)))
        for t in times:
            campaign, channel = demand.pick(rng)
            _plan_lead(sim, rng, t, campaign, channel)
    intensity = sim.sales_intensity(day)
    streams = [(sim.outbound_pick, _OUTBOUND_SOURCES, sim.outbound_rate)]
    if day < sim.start_day:  # before the sheet existed, inbound deals reached the CRM by other ways
        streams.append((sim.account_pick, _ORGANIC_SOURCES, sim.inbound_rate))
    for accounts, sources, rate in streams:
        for _ in range(_poisson(rng, rate * intensity)):
            account = accounts.pick(rng)
            t = _work_time(rng, day)
            account.first_ref = min(account.first_ref, t)
            _plan_deal(sim, rng, t, account, _choice(rng, account.contacts), sources.pick(rng), None)


@dataclass(frozen=True)
class _LeadSignals:
    """Behaviour of a lead's contact after it arrives; drives both its events and its conversion odds."""

    page_views: int
    pricing_views: int
    email_opens: int
    email_clicks: int
    form_fills: int
    webinar: bool

    @classmethod
    def draw(cls, rng: Random, intent: float, source: str) -> _LeadSignals:
        opens = _poisson(rng, math.exp(0.1 + 0.4 * intent))
        click_rate = _sigmoid(-1.2 + 0.6 * intent)
        return cls(
            page_views=_poisson(rng, math.exp(0.55 + 0.45 * intent)),
            pricing_views=_poisson(rng, math.exp(-1.3 + 0.8 * intent)),
            email_opens=opens,
            email_clicks=sum(1 for _ in range(opens) if rng.random() < click_rate),
            form_fills=(source in _FORM_SOURCES) + _poisson(rng, math.exp(-2.2 + 0.5 * intent)),
            webinar=rng.random() < _sigmoid(-2.8 + 0.6 * intent + (2.6 if source == "Webinar" else 0.0)),
        )

    def logit(self) -> float:
        return (0.45 * min(self.pricing_views, 4) + 0.30 * math.log1p(self.page_views)
                + 0.30 * min(self.email_clicks, 3) + 0.08 * min(self.email_opens, 8) + 0.9 * self.webinar
                + 0.5 * (self.form_fills >= 2))


def _plan_lead(sim: _Sim, rng: Random, t: int, campaign: _Campaign | None, channel: str | None) -> None:
    account = sim.account_pick.pick(rng)
    account.first_ref = min(account.first_ref, t)
    city = account.city if rng.random() < 0.8 else _CITY_PICK.pick(rng)
    state = STATES[city.state]
    first, last = _person(rng, state.region)
    seniority = _SENIORITY_BY_SEGMENT[account.segment].pick(rng)
    title = _choice(rng, seniority.titles)
    personal = rng.random() < 0.22
    email = (f"{first}.{last}{_between(rng, 1, 100)}@{_choice(rng, _FREEMAIL)}" if personal
             else f"{first}.{last}@{account.domain}").lower()
    utm: dict[str, str] = {}
    if campaign is not None and channel is not None:
        spec = CHANNELS[channel]
        source, analytics = spec.sources.pick(rng), spec.analytics
        utm = {"utm_source": spec.utm[0] or source.lower(), "utm_medium": spec.utm[1], "utm_campaign": campaign.name}
    else:
        source = _ORGANIC_SOURCES.pick(rng)
        analytics = _SOURCE_EFFECTS[source][3]
        if source == "Website" and rng.random() < 0.4:
            analytics = "DIRECT_TRAFFIC"
    source_lead, _, source_intent, _ = _SOURCE_EFFECTS[source]
    intent = rng.gauss(0, 1) + source_intent
    signals = _LeadSignals.draw(rng, intent, source)
    logit = (-2.7 + signals.logit() + account.industry.lead_effect + _SEGMENT_LEAD_EFFECT[account.segment]
             + source_lead + _TIER_LEAD_EFFECT[city.tier] + seniority.lead_effect - 0.2 * personal
             + rng.gauss(0, 0.5))
    probability = _sigmoid(logit)
    converted = rng.random() < probability
    lead_id = f"L{sim.next_lead:07d}"
    sim.next_lead += 1
    sim.lead_tally[city.state] += 1
    owner = account.territory.holder(t)
    digits = _phone_digits(rng)
    contact = _Entity("contacts", t, {
        "firstname": first, "lastname": last, "email": email, "phone": _tidy_phone(digits), "jobtitle": title,
        "lifecyclestage": "lead", "hs_lead_status": "NEW", "lead_id": lead_id,
        "associatedcompanyid": None if personal else account.entity, "hubspot_owner_id": owner.id,
        "city": city.name, "state": city.state, "hs_analytics_source": analytics,
    }, company=account.entity)
    account.lead_contacts.append(contact)
    sim.contacts.append(contact)
    metadata = {"lead_id": lead_id, "email": email, "company": account.name, "job_title": title,
                "industry": account.industry.name, "company_size": _size_band(account.employees),
                **({"form": _choice(rng, _FORMS)} if source in _FORM_SOURCES else {}), **utm}
    row = [_typed_name(rng, first, last), _typed_phone(rng, digits), _ist_text(t), source, _typed_city(rng, city),
           _typed_state(rng, state.name), _language(rng, state.languages), json.dumps(metadata)]
    oracle = {"lead_id": lead_id, "conversion_probability": round(probability, 4), "converted": converted,
              "converted_at": None}
    sim.schedule(t, _EMIT, contact, (row, rng.random() < 0.004, oracle))
    _plan_lead_events(sim, rng, contact, t, signals, campaign if channel in ("email", "webinar") else None)
    _plan_lead_outreach(sim, rng, contact, owner, t, intent)
    attempted = t + _between(rng, 10 * MINUTE_MS, 30 * HOUR_MS)
    if converted:
        mql = t + HOUR_MS + min(int(rng.expovariate(1 / (1.5 * DAY_MS))), 10 * DAY_MS)
        sql = mql + _between(rng, DAY_MS, 12 * DAY_MS)
        oracle["converted_at"] = iso_ms(sql)
        sim.patch(contact, min(attempted, mql - MINUTE_MS), _ATTEMPTED)
        sim.patch(contact, mql, _MQL_OPEN)
        sim.patch(contact, sql, {"lifecyclestage": "salesqualifiedlead", "hs_lead_status": "CONNECTED",
                                 "associatedcompanyid": account.entity})
        sim.patch(account.entity, sql, _SQL)
        if rng.random() < 0.7:
            deal_day = (sql + _between(rng, DAY_MS // 2, 7 * DAY_MS)) // DAY_MS
            _plan_deal(sim, rng, max(sql + HOUR_MS, _work_time(rng, deal_day)), account, contact, source,
                       (lead_id, intent, analytics))
    else:
        sim.patch(contact, attempted, _ATTEMPTED)
        if rng.random() < 0.35:
            sim.patch(contact, t + _between(rng, DAY_MS, 20 * DAY_MS), _MQL)
        sim.patch(contact, attempted + _between(rng, 2 * DAY_MS, 25 * DAY_MS), _FINAL_LEAD_STATUS.pick(rng))


def _size_band(employees: int) -> str:
    for limit, band in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
                        (5000, "1001-5000")):
        if employees <= limit:
            return band
    return "5001+"


def _typed_name(rng: Random, first: str, last: str) -> str:
    return f"{first} {last}".lower() if rng.random() < 0.03 else f"{first} {last}"


def _typed_city(rng: Random, city: City) -> str:
    """Mostly the canonical name; sometimes an old name (Bombay), stray spaces, or nothing."""
    roll = rng.random()
    if roll < 0.01:
        return ""
    if roll < 0.09 and city.aliases:
        return _choice(rng, city.aliases)
    return city.name + " " if roll < 0.11 else city.name


def _typed_state(rng: Random, state: str) -> str:
    """Mostly the canonical name; sometimes blank (routing must fall back to the city), lower case or a code."""
    roll = rng.random()
    if roll < 0.03:
        return ""
    if roll < 0.05:
        return state.lower()
    return STATES[state].short_code if roll < 0.06 else state


def _language(rng: Random, languages: tuple[str, ...]) -> str:
    roll = rng.random()
    if roll < 0.55:
        return _choice(rng, languages)
    return "English" if roll < 0.85 else "Hindi"


def _plan_lead_events(sim: _Sim, rng: Random, contact: _Entity, t: int, signals: _LeadSignals,
                      campaign: _Campaign | None) -> None:
    """Web and email behaviour after the lead arrives (HubSpot Events v3), for converted leads or not."""
    def later(mean_days: float) -> int:
        return t + 1000 + min(int(rng.expovariate(1 / (mean_days * DAY_MS))), 30 * DAY_MS)

    for _ in range(signals.page_views):
        sim.schedule(later(2.0), _VISITED, contact, sim.shared("hs_url", SITE + _PAGES.pick(rng)))
    for _ in range(signals.pricing_views):
        sim.schedule(later(4.0), _VISITED, contact, sim.shared("hs_url", SITE + _PRICING_PAGES.pick(rng)))
    for index in range(signals.email_opens):
        subject = campaign.name if campaign and campaign.channel == "email" else _choice(rng, _NURTURE_SUBJECTS)
        opened = later(6.0)
        sim.schedule(opened, _OPENED, contact, sim.shared("hs_email_subject", subject))
        if index < signals.email_clicks:
            sim.schedule(opened + _between(rng, MINUTE_MS, HOUR_MS), _CLICKED, contact,
                         sim.shared("hs_email_subject", subject, "hs_url", SITE + _PAGES.pick(rng)))
    for index in range(signals.form_fills):
        form = _choice(rng, _FORMS)
        sim.schedule(t + 1000 if index == 0 else later(5.0), _SUBMITTED, contact, sim.shared(
            "hs_form_title", form, "hs_form_id", _FORM_IDS[form], "hs_url", SITE + "/demo"))
    if signals.webinar:
        title = campaign.name if campaign and campaign.channel == "webinar" else _choice(rng, _WEBINARS)
        minutes = str(_choice(rng, (20, 35, 45, 60)))
        sim.schedule(t + _between(rng, 2 * DAY_MS, 20 * DAY_MS), _ATTENDED, contact,
                     sim.shared("hs_webinar_title", title, "hs_attendance_minutes", minutes))


def _plan_lead_outreach(sim: _Sim, rng: Random, contact: _Entity, owner: _Rep, t: int, intent: float) -> None:
    """Speed-to-lead calls and emails by the territory owner in the first days; keener leads pick up more."""
    connect = _sigmoid(-0.6 + 0.5 * intent)
    for _ in range(1 + _poisson(rng, 0.6)):
        when = max(_work_time(rng, (t + _between(rng, 5 * MINUTE_MS, 3 * DAY_MS)) // DAY_MS), t + 5 * MINUTE_MS)
        sim.schedule(when, _CALL, contact, _call_props(rng, when, owner, connect, _LEAD_CALL_TITLES))
    for _ in range(_poisson(rng, 0.8)):
        when = max(_work_time(rng, (t + _between(rng, HOUR_MS, 5 * DAY_MS)) // DAY_MS), t + 10 * MINUTE_MS)
        sim.schedule(when, _EMAIL, contact, _email_props(rng, when, owner, _LEAD_EMAIL_SUBJECTS, 0.1))


def _engagement_props(t: int, rep: _Rep, fields: dict[str, str]) -> dict[str, Any]:
    """An engagement's own fields framed by its timestamp and the owner and owner's team at that moment."""
    text = iso_ms(t)
    return {"hs_timestamp": text, **fields, "hubspot_owner_id": rep.id, "hubspot_team_id": rep.team_at(t).id,
            "hs_createdate": text, "hs_lastmodifieddate": text}


def _call_props(rng: Random, t: int, rep: _Rep, connect: float, titles: tuple[str, ...]) -> dict[str, Any]:
    if rng.random() < connect:
        outcome, status, duration = "connected", "COMPLETED", int(rng.lognormvariate(math.log(360_000), 0.7))
    else:
        outcome, status, longest = _MISSED_CALLS.pick(rng)
        duration = _between(rng, 5_000, longest) if longest else 0
    return _engagement_props(t, rep, {
        "hs_call_title": _choice(rng, titles), "hs_call_direction": "INBOUND" if rng.random() < 0.08 else "OUTBOUND",
        "hs_call_duration": str(duration), "hs_call_disposition": _CALL_DISPOSITIONS[outcome],
        "hs_call_status": status})


def _email_props(rng: Random, t: int, rep: _Rep, subjects: tuple[str, ...], inbound: float) -> dict[str, Any]:
    incoming = rng.random() < inbound
    return _engagement_props(t, rep, {
        "hs_email_direction": "INCOMING_EMAIL" if incoming else "EMAIL", "hs_email_subject": _choice(rng, subjects),
        "hs_email_status": "BOUNCED" if not incoming and rng.random() < 0.02 else "SENT"})


def _meeting_props(rng: Random, t: int, rep: _Rep, won: bool) -> dict[str, Any]:
    props = _engagement_props(t, rep, {
        "hs_meeting_title": _choice(rng, _MEETING_TITLES),
        "hs_meeting_end_time": iso_ms(t + _choice(rng, (30, 45, 60, 90)) * MINUTE_MS),
        "hs_meeting_outcome": "COMPLETED" if won and rng.random() < 0.5 else _MEETING_OUTCOMES.pick(rng)})
    props["hs_meeting_start_time"] = props["hs_timestamp"]
    return props


def _choose_product(rng: Random, account: _Account, existing: bool) -> tuple[Product, int]:
    """What is sold and how much: licences sized to the company (a first rollout, or an expansion)."""
    segment = account.segment
    sku = _EXPANSION_MIX.pick(rng) if existing else _NEW_BUSINESS_MIX[segment].pick(rng)
    product = _PRODUCT[_SEGMENT_LICENCE[segment] if sku == "licence" else sku]
    share = _SEAT_SHARE[segment] * rng.uniform(0.5, 1.5) * (rng.uniform(0.2, 0.6) if existing else 1.0)
    seats = account.employees * share
    quantity = {
        "user/year": seats,
        "portal/year": 1 + rng.random() * segment,
        "100k messages": rng.uniform(1, 6) * (1 + 3 * segment),
        "person-day": rng.uniform(5, 30) * (1 + 2 * segment),
        "session": rng.uniform(1, 3) * (1 + segment),
        "50 users/year": seats / 50,
    }[product.unit]
    return product, max(3 if product.unit == "user/year" else 1, min(1000, round(quantity)))


def _quarter_end_pull(rng: Random, t0: int, close: int) -> int | None:
    """Deals about to close early in a quarter are often pushed over the line in the last two weeks before."""
    d = _date_of(close)
    if d.month not in (1, 4, 7, 10) or d.day > 20 or rng.random() >= 0.45:
        return None
    quarter_end = _day_of(d.replace(day=1)) - 1
    pulled = _work_time(rng, quarter_end - _between(rng, 0, 14))
    return pulled if pulled >= t0 + 14 * DAY_MS else None


def _plan_deal(sim: _Sim, rng: Random, t0: int, account: _Account, contact: _Entity, source: str,
               lead: tuple[str, float, str] | None) -> None:
    """A deal with its whole future: stage path and times, slipping close dates, activities, outcome."""
    existing = source == "Existing Customer"
    territory = account.territory
    rep = territory.holder(t0)
    segment = account.segment
    product, quantity = _choose_product(rng, account, existing)
    competitor = _COMPETITOR_BY_SEGMENT[segment].pick(rng) if rng.random() < _COMPETITOR_RATE[segment] else None
    intensity = 0.6 * (rep.hustle - 1.0) / 0.2 + 0.8 * rng.gauss(0, 1)
    cycle = rng.lognormvariate(math.log(_SEGMENT_CYCLE_DAYS[segment] * (0.6 if existing else 1.0)), 0.35)
    cycle = min(240.0, max(21.0, cycle * (1.2 if competitor else 1.0)))
    natural_close = t0 + int(cycle * DAY_MS)
    size = math.log10(product.unit_price * quantity / 1_000_000)  # bigger tickets are harder to win
    logit = (-0.95 + account.industry.win_effect + _SEGMENT_WIN_EFFECT[segment] + _SOURCE_EFFECTS[source][1]
             - 0.3 * size + rep.skill - 0.55 * (competitor is not None) + 0.45 * intensity
             + (0.3 * lead[1] if lead else 0.0) + 1.2 * math.log(BOOKING_SEASON[_date_of(natural_close).month - 1])
             + rng.gauss(0, 0.4))
    probability = _sigmoid(logit)
    won = rng.random() < probability
    discount = rng.uniform(0, 0.05)
    final_discount = min(0.35, discount + rng.uniform(0, 0.12) + 0.05 * (competitor is not None))
    start = 1 if rng.random() < 0.1 else 0
    if won:
        close = _work_time(rng, natural_close // DAY_MS)
        pulled = _quarter_end_pull(rng, t0, close)
        if pulled is not None:
            close, final_discount = pulled, min(0.4, final_discount + rng.uniform(0.02, 0.05))
        path = [_OPEN_STAGES[start], *(stage for stage in _OPEN_STAGES[start + 1:] if rng.random() > 0.12)]
        if len(path) >= 3 and rng.random() < 0.06:  # a stall: back one stage, then on again
            at = _between(rng, 1, len(path) - 1)
            path[at + 1:at + 1] = [path[at - 1], path[at]]
        path.append("closedwon")
        reason = None
    else:
        reached = max(start, _LOST_AT.pick(rng))
        reason = (_LOSS_WITH_COMPETITOR if competitor else _LOSS_WITHOUT_COMPETITOR).pick(rng)
        stretch = 1.3 if reason == "No decision" else 0.35 + 0.15 * reached
        close = _work_time(rng, (t0 + int(cycle * stretch * DAY_MS)) // DAY_MS)
        path = [_OPEN_STAGES[start], *(stage for stage in _OPEN_STAGES[start + 1:reached + 1]
                                       if rng.random() > 0.12), "closedlost"]
    close = max(close, t0 + 14 * DAY_MS)
    price = product.unit_price * quantity
    amount, final_amount = round(price * (1 - discount)), round(price * (1 - final_discount))
    team = territory.team
    deal = _Entity("deals", t0, {
        "dealname": f"{account.name.split(' Pvt')[0]} - {product.name}"
                    + (f" ({quantity} users)" if product.unit == "user/year" else ""),
        "amount": str(amount), "dealstage": path[0], "pipeline": "default", "closedate": None,
        "createdate": None, "hs_is_closed": "false", "hs_is_closed_won": "false", "hubspot_owner_id": rep.id,
        "hubspot_team_id": team.id, "dealtype": "existingbusiness" if existing else "newbusiness",
        "product_sku": product.sku, "quantity": str(quantity),
        "margin_amount": str(amount - product.unit_cost * quantity), "discount_percentage": f"{discount * 100:.1f}",
        "hs_deal_stage_probability": _STAGE_PROBABILITY[path[0]], "competitor": competitor,
        "closed_lost_reason": None, "lead_source": source,
        "hs_analytics_source": lead[2] if lead else "OFFLINE", "lead_id": lead[0] if lead else None,
    }, company=account.entity, contact=contact, user_id=rep.user_id)
    # The rep's expected close date, pushed out each time it passes with the deal still open.
    expected = _work_time(rng, (t0 + int(_SEGMENT_CYCLE_DAYS[segment] * rng.uniform(0.6, 1.2) * DAY_MS)) // DAY_MS)
    deal.props["closedate"] = iso_ms(expected)
    while expected < close - 2 * DAY_MS:
        pushed = _work_time(rng, (expected + _between(rng, 14, 46) * DAY_MS) // DAY_MS)
        sim.patch(deal, max(expected, t0 + HOUR_MS), {"closedate": iso_ms(pushed)})
        expected = pushed
    moments = _stage_moments(rng, t0, close, len(path) - 2)
    for stage, moment in zip(path[1:-1], moments, strict=True):
        sim.patch(deal, moment, {"dealstage": stage, "hs_deal_stage_probability": _STAGE_PROBABILITY[stage]})
    closing = {"dealstage": path[-1], "hs_deal_stage_probability": _STAGE_PROBABILITY[path[-1]], "hs_is_closed": "true",
               "hs_is_closed_won": "true" if won else "false", "closedate": iso_ms(close)}
    if won:
        closing.update(amount=str(final_amount), margin_amount=str(final_amount - product.unit_cost * quantity),
                       discount_percentage=f"{final_discount * 100:.1f}")
    else:
        closing["closed_lost_reason"] = reason
    sim.patch(deal, close, closing)
    sim.schedule(t0, _EMIT, deal, {"win_probability": round(probability, 4), "won": won,
                                   "closes_on": _day_text(close // DAY_MS)})
    sim.patch(contact, t0, _OPEN_DEAL if lead else _OPPORTUNITY)
    sim.patch(account.entity, t0, _OPPORTUNITY)
    if won:
        sim.patch(contact, close, _CUSTOMER)
        sim.patch(account.entity, close, _CUSTOMER)
        if close < sim.end_ms:
            d = _date_of(close)
            sim.bookings[(team.region, d.year, d.month)] += final_amount
    _plan_deal_activities(sim, rng, deal, rep, t0, close, intensity, won, segment)
    if won and rng.random() < (0.2 if existing else 0.35):
        follow_up = _work_time(rng, (close + _between(rng, 90, 421) * DAY_MS) // DAY_MS)
        _plan_deal(sim, rng, follow_up, account, contact, "Existing Customer", None)


def _stage_moments(rng: Random, t0: int, close: int, count: int) -> list[int]:
    """`count` increasing office-hour moments strictly between creation and close."""
    gaps = [rng.expovariate(1.0) for _ in range(count + 1)]
    total, running, moments, previous = sum(gaps), 0.0, [], t0
    for index, gap in enumerate(gaps[:-1]):
        running += gap
        moment = _work_time(rng, (t0 + int((close - t0) * running / total)) // DAY_MS)
        moment = min(max(moment, previous + MINUTE_MS), close - (count - index) * MINUTE_MS)
        moments.append(moment)
        previous = moment
    return moments


def _plan_deal_activities(sim: _Sim, rng: Random, deal: _Entity, rep: _Rep, t0: int, close: int, intensity: float,
                          won: bool, segment: int) -> None:
    """Calls, emails and meetings through the deal's life; busier deals win more, won deals meet more."""
    weeks = (close - t0) / (7 * DAY_MS)
    rate = weeks * math.exp(0.35 * intensity) * _SEGMENT_ACTIVITY[segment] * rep.hustle
    span = close - t0

    def moment(skew: bool) -> int:
        share = math.sqrt(rng.random()) if skew else rng.random()
        day = (t0 + int(span * share)) // DAY_MS
        return min(max(_work_time(rng, day), t0 + MINUTE_MS), close)

    for _ in range(_poisson(rng, 0.35 * rate)):
        when = moment(False)
        sim.schedule(when, _CALL, deal, _call_props(rng, when, rep, 0.55, _DEAL_CALL_TITLES))
    for _ in range(_poisson(rng, 0.48 * rate)):
        when = moment(False)
        sim.schedule(when, _EMAIL, deal, _email_props(rng, when, rep, _DEAL_EMAIL_SUBJECTS, 0.35))
    for _ in range(_poisson(rng, 0.12 * rate * (1.6 if won else 1.0)) + 1):
        when = moment(True)
        sim.schedule(when, _MEETING, deal, _meeting_props(rng, when, rep, won))


# ---------------------------------------------------------------------------------------------------------
# Build


def _history_start(as_of: date) -> date:
    """1 April three fiscal years before the one containing `as_of` (3 to 4 years of history)."""
    fiscal_start_year = as_of.year if as_of.month >= 4 else as_of.year - 1
    return date(fiscal_start_year - 3, 4, 1)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Generation makes millions of acyclic records; the cycle collector would rescan them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_world(seed: int = 42, scale: float = 1.0, as_of: date = date(2026, 11, 20)) -> World:
    """Generate the organisation's history up to midnight UTC of `as_of`; same arguments, same world."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    with _gc_paused():
        return _build(seed, scale, as_of)


def _build(seed: int, scale: float, as_of: date) -> World:
    world = World(seed=seed, scale=scale, as_of=datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))
    sim = _Sim(world, seed, scale, _day_of(_history_start(as_of)), _day_of(as_of), uuid_rng=Random(_mix(seed, 1)))
    world._sim = sim
    world.sheets = {"Leads": [list(LEADS_HEADER)]}
    rng = Random(seed)
    _make_accounts(sim, rng)
    territories = _build_org(sim, rng)
    swaps = _swap_reps(sim, rng)
    campaigns = max(3, round(CAMPAIGNS_PER_SCALE * math.sqrt(scale)))
    sim.campaign_rate = campaigns / (sim.end_day - sim.start_day)  # new campaigns a day, when advancing
    for day in sorted(_between(rng, sim.start_day - 30, sim.end_day) for _ in range(campaigns)):
        _plan_campaign(sim, rng, day)
    _calibrate_demand(sim)
    for day in range(sim.start_day - 180, sim.end_day):  # outbound pipeline warms up before the sheet exists
        _campaign_day(sim, day)
        _plan_day(sim, rng, day, with_leads=day >= sim.start_day)
    _plan_accounts(sim, rng, swaps)
    _run(sim, sim.end_ms)
    world.owners = [_owner_record(rep) for rep in sim.reps]
    world.pipelines = [_pipeline(sim.start_ms - 900 * DAY_MS)]
    world.products = [{"sku": p.sku, "name": p.name, "family": p.family, "unit": p.unit, "unit_price": p.unit_price,
                       "unit_cost": p.unit_cost, "margin_pct": round(100 * (1 - p.unit_cost / p.unit_price), 1)}
                      for p in PRODUCTS]
    world.territories = [{
        "name": territory.name, "region": territory.team.region, "team_id": territory.team.id,
        "team": territory.team.name, "segment": territory.team.segment,
        "states": sorted({account.city.state for account in territory.accounts}),
        "cities": sorted({account.city.name for account in territory.accounts}),
        "accounts": len(territory.accounts), "potential": round(sum(a.potential for a in territory.accounts)),
        "owner_id": territory.holder(sim.end_ms).id} for territory in territories]
    world.rep_history = [{
        "owner_id": rep.id, "team_id": team.id, "team": team.name, "territory": territory.name,
        "region": team.region, "valid_from": _day_text(start // DAY_MS),
        "valid_to": _day_text(rep.periods[index + 1][0] // DAY_MS) if index + 1 < len(rep.periods) else None}
        for rep in sim.reps for index, (start, team, territory) in enumerate(rep.periods)]
    world.market_potential = _market_potential(sim)
    world.sheets["Callers"] = _callers_sheet(sim, rng)
    world.sheets["Targets"], monthly_targets = _targets_sheet(sim, rng)
    world.rep_quotas = _rep_quotas(sim, monthly_targets)
    world.crm["products"] = _product_records(world.products, sim.start_ms - 900 * DAY_MS)
    world.crm["goal_targets"] = _goal_target_records(world.rep_quotas, {rep.id: rep.user_id for rep in sim.reps})
    return world


def _product_records(products: list[dict[str, Any]], created_ms: int) -> list[dict[str, Any]]:
    """The price book as HubSpot product objects (`/crm/v3/objects/products`)."""
    text = iso_ms(created_ms)
    return [{
        "id": str(PRODUCT_FIRST_ID + index), "createdAt": text, "updatedAt": text, "archived": False,
        "properties": {"name": p["name"], "hs_sku": p["sku"], "price": str(p["unit_price"]),
                       "hs_cost_of_goods_sold": str(p["unit_cost"]), "product_family": p["family"],
                       "hs_product_type": "service", "recurringbillingfrequency": "annually",
                       "description": f"{p['name']} ({p['unit']})", "hs_createdate": text,
                       "hs_lastmodifieddate": text}}
        for index, p in enumerate(products)]


def _goal_target_records(quotas: list[dict[str, Any]], user_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Monthly rep quotas as HubSpot goal targets (`/crm/v3/objects/goal_targets`), set two weeks ahead."""
    records = []
    for index, quota in enumerate(quotas):
        start = date.fromisoformat(quota["month"])
        end = (start + timedelta(days=32)).replace(day=1)
        created = iso_ms((start - _EPOCH_DATE).days * DAY_MS - 14 * DAY_MS)
        records.append({
            "id": str(GOAL_TARGET_FIRST_ID + index), "createdAt": created, "updatedAt": created, "archived": False,
            "properties": {
                "hs_goal_name": f"Revenue quota {quota['month'][:7]}", "hs_goal_type": "revenue",
                "hs_target_amount": str(quota["quota"]),
                "hs_start_datetime": f"{start.isoformat()}T00:00:00.000Z",
                "hs_end_datetime": f"{end.isoformat()}T00:00:00.000Z",
                "hs_assignee_user_id": str(user_ids[quota["owner_id"]]), "hubspot_owner_id": quota["owner_id"],
                "hs_assignee_team_id": quota["team_id"], "hs_createdate": created, "hs_lastmodifieddate": created}})
    return records


def _calibrate_demand(sim: _Sim) -> None:
    """Scale organic and campaign demand so the history holds ~50k leads and ~15k deals per unit of scale."""
    days = range(sim.start_day, sim.end_day)
    paid = sum(expected for day in days for expected, _, _ in sim.paid_demand(day))
    sim.organic_level = 1.0
    organic = sum(sim.organic_demand(day) for day in days)
    sim.organic_level = 0.55 / 0.45 * paid / organic if paid else 1.0
    total = sum(sim.organic_demand(day) for day in days) + paid
    sim.lead_rate = LEADS_PER_SCALE * sim.scale / total
    sales = sum(sim.sales_intensity(day) for day in days)
    sim.outbound_rate = OUTBOUND_DEALS_PER_SCALE * sim.scale / sales
    sim.inbound_rate = 0.14 * LEADS_PER_SCALE * sim.scale / sales  # ~20% convert, 70% of those open a deal


def _plan_accounts(sim: _Sim, rng: Random, swaps: list[tuple[int, _Territory, _Territory]]) -> None:
    """Now that first contact with each company is known: when it and its contacts were created, owner
    changes when territories changed hands, and the last weeks' routine edits."""
    for account in sim.accounts:
        entity = account.entity
        entity.created = min(account.planned_created, account.first_ref - _between(rng, 2, 31) * DAY_MS)
        entity.props["hubspot_owner_id"] = account.territory.holder(entity.created).id
        sim.schedule(entity.created, _EMIT, entity)
        region = STATES[account.city.state].region
        for contact in account.contacts:
            contact.created = entity.created + _between(rng, MINUTE_MS, DAY_MS)
            first, last = _person(rng, region)
            seniority = _SENIORITY_BY_SEGMENT[account.segment].pick(rng)
            contact.props = {
                "firstname": first, "lastname": last, "email": f"{first}.{last}@{account.domain}".lower(),
                "phone": _tidy_phone(_phone_digits(rng)), "jobtitle": _choice(rng, seniority.titles),
                "lifecyclestage": "lead", "hs_lead_status": None, "lead_id": None, "associatedcompanyid": entity,
                "hubspot_owner_id": entity.props["hubspot_owner_id"], "city": account.city.name,
                "state": account.city.state, "hs_analytics_source": "OFFLINE"}
            sim.schedule(contact.created, _EMIT, contact)
    for when, *territories in swaps:
        for territory in territories:
            owner = {"hubspot_owner_id": territory.holder(when).id}
            for account in territory.accounts:
                for entity in (account.entity, *account.contacts, *account.lead_contacts):
                    if entity.created < when:
                        sim.patch(entity, when, owner)
    for day in range(sim.end_day - 60, sim.end_day):
        _plan_edits(sim, rng, day)


def _owner_record(rep: _Rep) -> dict[str, Any]:
    _, team, _ = rep.periods[-1]
    return {"id": rep.id, "email": rep.email, "firstName": rep.first, "lastName": rep.last, "userId": rep.user_id,
            "createdAt": iso_ms(rep.created), "updatedAt": iso_ms(rep.periods[-1][0]), "archived": False,
            "teams": [{"id": team.id, "name": team.name, "primary": True}]}


def _pipeline(created: int) -> dict[str, Any]:
    text = iso_ms(created)
    return {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False, "createdAt": text,
            "updatedAt": text, "stages": [
                {"id": stage, "label": label, "displayOrder": order, "archived": False, "createdAt": text,
                 "updatedAt": text, "metadata": {"isClosed": "true" if stage.startswith("closed") else "false",
                                                 "probability": probability}}
                for order, (stage, label, probability) in enumerate(STAGES)]}


def _market_potential(sim: _Sim) -> dict[str, dict[str, float]]:
    """Addressable yearly licence value (INR) of the known accounts, by state and by city."""
    states: Counter[str] = Counter()
    cities: Counter[str] = Counter()
    for account in sim.accounts:
        states[account.city.state] += account.potential
        cities[account.city.name] += account.potential
    return {"state": {name: round(value) for name, value in sorted(states.items())},
            "city": {name: round(value) for name, value in sorted(cities.items())}}


def _callers_sheet(sim: _Sim, rng: Random) -> list[list[str]]:
    """Inside-sales callers by lead volume: big states get several, a few callers cover extra neighbouring
    states, and the three quietest states get none (so routing must fall back to the global pool)."""
    count = max(3, round(CALLERS_PER_SCALE * sim.scale))
    ranked = sorted(STATES, key=lambda state: (-sim.lead_tally[state], state))
    coverable = ranked[:-3]
    seats: Counter[str] = Counter()
    for _ in range(count):
        best = max(coverable, key=lambda state: (sim.lead_tally[state] / (seats[state] + 1), -coverable.index(state)))
        seats[best] += 1
    callers = [[state] for state in coverable for _ in range(seats[state])]
    extras = [state for state in coverable if not seats[state]] + coverable[::-1]
    for index, state in enumerate(extras[:max(1, count // 4)]):
        candidates = [c for c in callers if state not in c and STATES[c[0]].region == STATES[state].region]
        candidates = candidates or [c for c in callers if state not in c]
        candidates[index % len(candidates)].append(state)
    rows = [list(CALLERS_HEADER)]
    for index, states in enumerate(callers):
        first, last = _person(rng, STATES[states[0]].region)
        languages = list(dict.fromkeys([*(STATES[state].languages[0] for state in states), "English", "Hindi"]))
        role = "Team Lead" if index % 10 == 0 else ("Senior Caller" if rng.random() < 0.3 else "Caller")
        limit = 0 if index == 1 or rng.random() < 0.1 else _choice(rng, (5, 8, 10, 15, 20, 25, 30, 40))
        status = "paused" if index == len(callers) - 1 or (index and rng.random() < 0.1) else "active"
        rows.append([f"{first} {last}", role, ";".join(languages), str(limit), ";".join(states), status])
    return rows


def _months(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _targets_sheet(sim: _Sim, rng: Random) -> tuple[list[list[str]], dict[tuple[str, date], float]]:
    """Monthly and quarterly targets per region: the bookings trend (fitted on each region's history, with
    the planning seasonality) plus a 5-15% stretch per fiscal year, through the next four quarters."""
    start, as_of = _date_of(sim.start_ms), _date_of(sim.end_ms)
    current_quarter = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    last_month = _months(current_quarter, current_quarter.replace(year=current_quarter.year + 2))[14]
    months = _months(start, last_month)

    def trend(month: date) -> float:
        middle = (_day_of(month) + 15) * DAY_MS
        return math.exp(GROWTH * sim.years(middle)) * BOOKING_SEASON[month.month - 1]

    complete = [month for month in months if month < as_of.replace(day=1)]
    stretch: dict[tuple[str, int], float] = {}
    monthly: dict[tuple[str, date], float] = {}
    rows = [list(TARGETS_HEADER)]
    for region in REGION_NAMES:
        booked = sum(sim.bookings[(region, month.year, month.month)] for month in complete)
        level = booked / sum(trend(month) for month in complete)
        for month in months:
            fiscal_year = month.year if month.month >= 4 else month.year - 1
            factor = stretch.setdefault((region, fiscal_year), rng.uniform(1.05, 1.15))
            monthly[(region, month)] = round(level * trend(month) * factor, -4)
    for month in months:
        for region in REGION_NAMES:
            rows.append([month.isoformat(), "month", region, str(int(monthly[(region, month)]))])
        if month.month % 3 == 1:
            quarter = _months(month, month.replace(month=month.month + 2))
            for region in REGION_NAMES:
                rows.append([month.isoformat(), "quarter", region,
                             str(int(sum(monthly[(region, m)] for m in quarter)))])
    return rows, monthly


def _rep_quotas(sim: _Sim, monthly: dict[tuple[str, date], float]) -> list[dict[str, Any]]:
    """Each region's monthly target split over the reps then in its teams, weighted by segment."""
    quotas = []
    for region, month in sorted(monthly, key=lambda key: (key[1], REGION_NAMES.index(key[0]))):
        moment = _day_of(month) * DAY_MS
        staffed = [(rep, rep.team_at(moment)) for rep in sim.reps if rep.team_at(moment).region == region]
        total = sum(_TEAM_QUOTA_WEIGHT[team.segment] for _, team in staffed)
        for rep, team in staffed:
            share = monthly[(region, month)] * _TEAM_QUOTA_WEIGHT[team.segment] / total
            quotas.append({"owner_id": rep.id, "team_id": team.id, "region": region, "month": month.isoformat(),
                           "quota": int(round(share, -3))})
    return quotas


# ---------------------------------------------------------------------------------------------------------
# Advancing


def advance(world: World, days: int = 1) -> None:
    """Simulate `days` more days after `as_of`: new leads, deals, activities, events, stage moves, campaign
    days and a few record edits; each day is seeded from (seed, day), so the same calls give the same world."""
    sim = world._sim
    if sim is None:
        raise ValueError("this World was not made by build_world")
    with _gc_paused():
        _advance(sim, days)
    world.as_of = datetime.fromtimestamp(sim.end_ms / 1000, tz=UTC)


def _advance(sim: _Sim, days: int) -> None:
    for _ in range(days):
        day = sim.end_day
        rng = Random(_mix(sim.seed, day))
        for _ in range(_poisson(rng, sim.campaign_rate)):
            _plan_campaign(sim, rng, day)
        _campaign_day(sim, day)
        _plan_day(sim, rng, day)
        _plan_edits(sim, rng, day)
        sim.end_day += 1
        _run(sim, sim.end_ms)


def _plan_edits(sim: _Sim, rng: Random, day: int) -> None:
    """Reps tidy a few companies and contacts every day, so incremental loads always find old records changed."""
    for _ in range(_poisson(rng, 0.001 * len(sim.accounts))):
        account, when = _choice(rng, sim.accounts), _work_time(rng, day)
        if account.entity.created < when:
            sim.patch(account.entity, when, {"phone": _landline(rng, account.city)})
    for _ in range(_poisson(rng, 0.0005 * len(sim.contacts))):
        contact, when = _choice(rng, sim.contacts), _work_time(rng, day)
        if contact.created < when:
            sim.patch(contact, when, {"phone": _tidy_phone(_phone_digits(rng))})


def world_summary(world: World) -> dict[str, int]:
    """Record counts per collection (sheet tabs without their header row)."""
    counts = {"owners": len(world.owners), **{kind: len(records) for kind, records in world.crm.items()}}
    counts["activities"] = counts["calls"] + counts["emails"] + counts["meetings"]
    counts["open_deals"] = sum(1 for deal in world.crm["deals"] if deal["properties"]["hs_is_closed"] == "false")
    counts.update(pipelines=len(world.pipelines), campaigns=len(world.campaigns),
                  campaign_daily_rows=sum(len(rows) for rows in world.campaign_daily.values()),
                  events=len(world.events), oracle_leads=len(world.oracle_leads),
                  oracle_deals=len(world.oracle_deals), territories=len(world.territories),
                  rep_quotas=len(world.rep_quotas))
    counts.update({f"sheet_{tab.lower()}": len(rows) - 1 for tab, rows in world.sheets.items()})
    return counts
