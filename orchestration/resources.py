"""Resources shared by the code location, configured from the environment (as hooli does)."""

from __future__ import annotations

import os

from dagster import ConfigurableResource


class WarehouseResource(ConfigurableResource):
    """The PostgreSQL warehouse: `WAREHOUSE_URL` when set, else the checkout's embedded server."""

    url: str | None = None

    def connection_url(self) -> str:
        if self.url:
            return self.url
        from salesops.warehouse import warehouse_url

        return warehouse_url()


def build_resources() -> dict[str, object]:
    return {"warehouse": WarehouseResource(url=os.environ.get("WAREHOUSE_URL") or None)}
