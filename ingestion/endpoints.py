"""Where each source system lives and how to authenticate, resolved from dlt configuration.

A user points the product at real services with dlt's own configuration only (`.dlt/secrets.toml`,
`.dlt/config.toml` or environment variables such as `SOURCES__CRM__ACCESS_TOKEN`). Whatever is not
configured falls back to the local source-system simulator, started on demand, so the demo and the
tests need nothing set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """Connection settings of one source system."""

    system: str
    base_url: str
    secret: str  # HubSpot private-app token, or Google API key for Sheets
    spreadsheet_id: str | None = None
    simulated: bool = False

    def source_kwargs(self) -> dict[str, str]:
        """Keyword arguments for the system's dlt source function."""
        if self.system == "sheets":
            return {"base_url": self.base_url, "api_key": self.secret, "spreadsheet_id": self.spreadsheet_id or ""}
        return {"base_url": self.base_url, "access_token": self.secret}


def _configured(system: str, key: str) -> str | None:
    import dlt

    value = dlt.config.get(f"sources.{system}.{key}") or dlt.secrets.get(f"sources.{system}.{key}")
    return str(value) if value else None


def resolve_endpoint(system: str) -> Endpoint:
    """The configured endpoint of `system`, else the simulator's (started if needed)."""
    secret_key = "api_key" if system == "sheets" else "access_token"
    base_url = _configured(system, "base_url")
    if base_url:
        secret = _configured(system, secret_key)
        if not secret:
            raise ValueError(f"sources.{system}.base_url is set but sources.{system}.{secret_key} is not: "
                             f"set it in .dlt/secrets.toml or as SOURCES__{system.upper()}__{secret_key.upper()}")
        spreadsheet_id = _configured(system, "spreadsheet_id") if system == "sheets" else None
        if system == "sheets" and not spreadsheet_id:
            raise ValueError("sources.sheets.spreadsheet_id is not set")
        return Endpoint(system, base_url, secret, spreadsheet_id)

    from simulator.process import ensure_simulator

    sim = ensure_simulator()
    if system == "sheets":
        return Endpoint(system, sim.url, sim.sheets_api_key, sim.spreadsheet_id, simulated=True)
    return Endpoint(system, sim.url, sim.hubspot_token, simulated=True)
