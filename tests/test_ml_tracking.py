"""MLflow tracking in the warehouse (schema `mlflow`): runs, the registry and champion/challenger promotion.

One fresh database serves the module (MLflow's first-use migrations cost seconds); each test registers its own
model name, so tests stay independent. Concurrent first use gets a database of its own.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pytest
from sklearn.linear_model import LogisticRegression

from ml import tracking
from salesops.settings import PROJECT_ROOT

# raised by MLflow's own SQLAlchemy models under SQLAlchemy 2.1
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 3))
Y = (X[:, 0] + 0.3 * RNG.normal(size=200) > 0).astype(int)


@pytest.fixture(scope="module")
def backend(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database configured as the MLflow backend, artifacts in a temporary data dir."""
    name = f"test_mlflow_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.setenv("SALESOPS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        tracking.configure(url)
        yield url
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def model_name(backend: str) -> str:
    tracking.configure(backend)
    return f"model_{uuid.uuid4().hex[:8]}"


def register(name: str, auc: float, holdout: str = "holdout-1") -> str:
    with tracking.start_run("tests", f"{name}-{auc}", {"C": 1.0}):
        version = tracking.log_model_and_register(LogisticRegression().fit(X, Y), name, metrics={"auc": auc},
                                                  holdout_id=holdout)
    return version.version


def test_tracking_uri_uses_schema_mlflow_of_the_warehouse_unless_overridden(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = tracking.tracking_uri("postgresql://u:p@127.0.0.1:5432/salesops?sslmode=disable")
    assert uri == "postgresql+psycopg://u:p@127.0.0.1:5432/salesops?sslmode=disable&options=-csearch_path%3Dmlflow"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////tmp/x/mlflow.db")
    assert tracking.tracking_uri("postgresql://u:p@h/db") == "sqlite:////tmp/x/mlflow.db"


def test_importing_the_module_does_not_import_mlflow():
    code = "import sys, ml.tracking; assert 'mlflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, timeout=60)


def test_a_run_logs_params_metrics_and_the_model_in_schema_mlflow(backend, model_name):
    version = tracking.configure(backend).get_model_version(model_name, register(model_name, 0.8))
    client = tracking.configure(backend)
    run = client.get_run(version.run_id)
    assert run.data.params == {"C": "1.0"} and run.data.metrics == {"auc": 0.8}
    assert version.tags["holdout_id"] == "holdout-1" and float(version.tags["metric.auc"]) == 0.8
    artifacts = Path(os.environ["SALESOPS_DATA_DIR"]) / "mlflow" / "artifacts" / "tests"
    assert list(artifacts.glob("models/*/artifacts/MLmodel")), "model files belong under the data dir"
    with psycopg.connect(backend) as conn:
        schemas = {row[0] for row in conn.execute("SELECT table_schema FROM information_schema.tables "
                                                  "WHERE table_name IN ('runs', 'model_versions')")}
    assert schemas == {"mlflow"}


def test_first_version_becomes_champion(model_name):
    assert tracking.champion(model_name) is None
    version = register(model_name, 0.7)
    decision = tracking.promote_if_better(model_name, version, "auc", higher_is_better=True)
    assert decision.promoted and decision.champion_version is None
    assert tracking.champion(model_name).version == version


def test_better_challenger_is_promoted(backend, model_name):
    first = register(model_name, 0.70)
    tracking.promote_if_better(model_name, first, "auc", higher_is_better=True)
    second = register(model_name, 0.75)
    decision = tracking.promote_if_better(model_name, second, "auc", higher_is_better=True)
    assert decision.promoted and decision.champion_version == str(first)
    assert tracking.champion(model_name).version == second
    assert tracking.configure(backend).get_model_version(model_name, second).tags["promotion"] == "promoted"


def test_worse_challenger_is_refused_and_champion_kept(model_name):
    first = register(model_name, 0.75)
    tracking.promote_if_better(model_name, first, "auc", higher_is_better=True)
    worse = register(model_name, 0.70)
    decision = tracking.promote_if_better(model_name, worse, "auc", higher_is_better=True)
    assert not decision.promoted and (decision.challenger_value, decision.champion_value) == (0.70, 0.75)
    assert decision.reason.startswith("refused")
    assert "challenger version 2 auc=0.7 vs champion version 1 auc=0.75 on holdout" in decision.reason
    assert tracking.champion(model_name).version == first
    # lower-is-better metrics (e.g. log loss) flip the comparison; a tie never replaces the champion
    assert tracking.promote_if_better(model_name, worse, "auc", higher_is_better=False).promoted
    tie = register(model_name, 0.70)
    assert not tracking.promote_if_better(model_name, tie, "auc", higher_is_better=False).promoted


def test_champion_measured_on_another_holdout_must_be_re_evaluated(model_name):
    first = register(model_name, 0.9, holdout="2026-09")
    tracking.promote_if_better(model_name, first, "auc", higher_is_better=True)
    second = register(model_name, 0.8, holdout="2026-10")
    with pytest.raises(tracking.HoldoutMismatchError, match="champion_value_on_holdout"):
        tracking.promote_if_better(model_name, second, "auc", higher_is_better=True)
    decision = tracking.promote_if_better(model_name, second, "auc", higher_is_better=True,
                                          champion_value_on_holdout=0.78)
    assert decision.promoted and decision.champion_value == 0.78


def test_load_champion_returns_a_model_that_predicts(model_name):
    with pytest.raises(tracking.NoChampionError, match=model_name):
        tracking.load_champion(model_name)
    tracking.promote_if_better(model_name, register(model_name, 0.8), "auc", higher_is_better=True)
    model = tracking.load_champion(model_name)
    assert model.predict_proba(X[:5]).shape == (5, 2)
    assert tracking.load_champion(model_name, flavor="pyfunc").predict(X[:5]).shape == (5,)


def first_use(url: str, results: multiprocessing.Queue) -> None:
    try:
        results.put(len(tracking.configure(url).search_experiments()))
    except BaseException as error:
        results.put(repr(error))
        raise


def test_concurrent_first_configure_from_two_processes(warehouse_db, tmp_path, monkeypatch):
    """Both processes create MLflow's tables at once (unlocked, one would die on a duplicate table). Forked, so the
    children need not import mlflow again."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("SALESOPS_DATA_DIR", str(tmp_path))
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=first_use, args=(warehouse_db, results)) for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert outcomes == [1, 1]  # MLflow's Default experiment, created once
