"""Prepare the dbt project for Dagster: `dbt parse` into a manifest, then the asset and check specs
Dagster needs, saved as plain JSON next to the manifest.

Runs at install and test time (`make install`, the test session), never when the code location is
imported: loading JSON is milliseconds, while importing dagster_dbt and building specs from the
manifest costs seconds on every run and sensor tick. `python -m orchestration.dbt_prepare`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from salesops.dbt_env import DBT_PROJECT_DIR, dbt_environment

TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = TARGET_DIR / "manifest.json"
SPECS_PATH = TARGET_DIR / "dagster_specs.json"
SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")


def project_fingerprint() -> str:
    """A hash of every dbt source file, to tell when the prepared specs are stale."""
    digest = hashlib.sha256()
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "target" not in path.parts and "logs" not in path.parts:
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def parse_manifest() -> dict[str, Any]:
    """`dbt parse` (no database connection needed) and the resulting manifest."""
    env = {**os.environ, **dbt_environment(os.environ.get("WAREHOUSE_URL") or "postgresql://postgres@127.0.0.1/salesops")}
    dbt = str(Path(sys.executable).with_name("dbt"))
    subprocess.run([dbt, "parse", "--quiet"], cwd=DBT_PROJECT_DIR, env=env, check=True)
    return json.loads(MANIFEST_PATH.read_text())


def export_specs(manifest: dict[str, Any]) -> dict[str, Any]:
    """The asset specs (one per model, seed and snapshot) and check specs (one per dbt test)."""
    from dagster_dbt.asset_utils import build_dbt_specs

    from orchestration.dbt_translator import WarehouseTranslator

    translator = WarehouseTranslator()
    specs, check_specs = build_dbt_specs(translator=translator, manifest=manifest, select="fqn:*", exclude="",
                                         selector="", io_manager_key=None, project=None)
    nodes_by_key = {tuple(translator.get_asset_key(node).path): node for node in manifest["nodes"].values()
                    if node["resource_type"] in ("model", "seed", "snapshot")}
    assets = []
    for spec in specs:
        node = nodes_by_key[tuple(spec.key.path)]
        assets.append({
            "key": spec.key.path,
            "deps": [dep.asset_key.path for dep in spec.deps],
            "group": spec.group_name,
            "description": spec.description,
            "kinds": sorted(spec.kinds),
            "tags": dict(spec.tags),
            "unique_id": node["unique_id"],
            "selector": node["name"],
        })
    checks = [{
        "name": check.name,
        "asset_key": check.asset_key.path,
        "description": check.description,
        "blocking": check.blocking,
        "additional_deps": [dep.asset_key.path for dep in check.additional_deps],
    } for check in check_specs]
    return {"fingerprint": project_fingerprint(), "assets": assets, "checks": checks}


def prepare() -> Path:
    """Parse the project and write the specs Dagster loads; return their path."""
    specs = export_specs(parse_manifest())
    SPECS_PATH.write_text(json.dumps(specs, indent=1))
    return SPECS_PATH


if __name__ == "__main__":
    path = prepare()
    specs = json.loads(path.read_text())
    print(f"dbt specs: {len(specs['assets'])} assets, {len(specs['checks'])} checks -> {path}")
