"""MLflow without a server: runs, models and the registry live in the warehouse, artifacts under the data dir.

Backend: the warehouse PostgreSQL, in its own schema `mlflow` (`postgresql+psycopg://…?options=-csearch_path=mlflow`),
so every process of the checkout (Dagster steps, the CLI, tests) shares one registry with real concurrency, and
nothing else needs backing up. `MLFLOW_TRACKING_URI` overrides it (e.g. `sqlite:///.data/mlflow/mlflow.db`).
Artifacts (model files) go to `<data_dir>/mlflow/artifacts/<experiment>` as file URIs.

MLflow creates its tables on first use with unlocked alembic migrations, which crash when two processes race;
`configure()` does that first use under a PostgreSQL advisory lock (a file lock for sqlite), once per process.

Public API (all import mlflow lazily, so importing this module stays cheap: the Dagster code location may
import it at load time, only calling it inside asset functions loads mlflow, ~3 s):

- `tracking_uri(warehouse=None)` / `configure(warehouse=None)`: pick and initialise the backend, return a client.
  Other functions use the configured backend, configuring the default one on first use.
- `start_run(experiment, run_name, params, tags)`: a run with its parameters logged.
- `log_model_and_register(model, name, flavor=…, metrics=…, holdout_id=…)`: inside the run, log the holdout
  metrics and the model, register a new version tagged with the metrics and the holdout id.
- `promote_if_better(name, version, metric, higher_is_better)`: move the alias `champion` to the challenger only
  if it beats the champion on the same holdout; the decision is returned and tagged on the version.
- `champion(name)` / `load_champion(name)`: what batch scoring uses; always the version behind `champion`.

Offline: telemetry is disabled, and model logging never runs pip, uv or requirement inference (each version
pins its flavor's packages at their installed versions instead), so nothing reaches the network.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.metadata
import logging
import math
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from salesops.settings import data_dir

if TYPE_CHECKING:
    import mlflow
    from mlflow.entities.model_registry import ModelVersion

SCHEMA = "mlflow"
CHAMPION = "champion"
HOLDOUT_TAG = "holdout_id"
FLAVOR_TAG = "flavor"
METRIC_TAG_PREFIX = "metric."
MODEL_ARTIFACT = "model"
# MLflow reads these when it is imported or logs a model; defaults only, so a user's own setting wins
OFFLINE_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK": "true",  # else `pip install --dry-run` against PyPI per model
    "MLFLOW_UV_AUTO_DETECT": "false",  # else `uv export` of the whole project for each model
    "MLFLOW_LOG_UV_FILES": "false",  # else uv.lock and pyproject.toml are copied into every model
    "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
    "GIT_PYTHON_REFRESH": "quiet",  # the run's git commit tag is best effort
}
FLAVOR_PACKAGES = {"sklearn": ("scikit-learn",), "lightgbm": ("lightgbm", "scikit-learn"), "pyfunc": ()}
_ADVISORY_LOCK_KEY = 0x6D6C666C6F77  # "mlflow": serialises schema creation, migrations and promotions

_lock = threading.Lock()
_configured: dict[str, Any] = {}  # uri -> MlflowClient of each backend initialised in this process
_current_uri: list[str] = []  # the one used last


class NoChampionError(LookupError):
    """A model has no version behind the `champion` alias yet."""


class HoldoutMismatchError(ValueError):
    """Champion and challenger were measured on different holdouts, so their metrics cannot be compared."""


@dataclass(frozen=True)
class PromotionDecision:
    """Whether the challenger became champion, and why (the numbers compared)."""

    promoted: bool
    reason: str
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_value: float
    champion_value: float | None


def tracking_uri(warehouse: str | None = None) -> str:
    """`MLFLOW_TRACKING_URI` when the user set it, else schema `mlflow` of `warehouse` (default: the warehouse)."""
    override = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if override:
        return override
    if warehouse is None:
        from salesops.warehouse import warehouse_url

        warehouse = warehouse_url()
    parts = urlsplit(warehouse)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} -csearch_path={SCHEMA}".strip()
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", query=urlencode(query)))


def artifact_root() -> Path:
    return (data_dir() / "mlflow" / "artifacts").resolve()


def configure(warehouse: str | None = None) -> mlflow.MlflowClient:
    """Point MLflow's tracking and registry at `tracking_uri(warehouse)`, creating its tables if needed; idempotent
    and cheap after the first call in a process. Returns a client for that backend, which the other functions
    use from then on in this process (call it first in an asset, with the warehouse resource's URL)."""
    return _use(tracking_uri(warehouse))


def _client() -> mlflow.MlflowClient:
    """The backend configured last in this process (`MLFLOW_TRACKING_URI` still wins), else the default one."""
    if os.environ.get("MLFLOW_TRACKING_URI", "").strip() or not _current_uri:
        return configure()
    return _use(_current_uri[0])


def _use(uri: str) -> mlflow.MlflowClient:
    with _lock:
        if uri not in _configured:
            mlflow = _offline_mlflow()
            with _exclusive(uri):
                _configured[uri] = mlflow.MlflowClient(uri, uri)  # its store's first use creates or checks tables
        _activate(uri)
        _current_uri[:] = [uri]
        return _configured[uri]


@functools.cache
def _offline_mlflow() -> Any:
    """Import mlflow with telemetry off and no network or subprocess on model logging (see OFFLINE_ENV)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import mlflow
    from mlflow.telemetry import set_telemetry_client

    set_telemetry_client()  # re-reads the switch, in case mlflow was imported before it was set
    # uv-made venvs have no pip, and MLflow warns about it for every model it logs
    logging.getLogger("mlflow.utils.environment").addFilter(
        lambda record: "installed pip version" not in record.getMessage())
    return mlflow


def _activate(uri: str) -> None:
    """Make `uri` the fluent API's backend without leaving it in `MLFLOW_TRACKING_URI` (MLflow sets it there for
    subprocesses), where it would read as the user's override."""
    mlflow = _offline_mlflow()
    user_value = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if user_value is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)


@contextlib.contextmanager
def _exclusive(uri: str) -> Iterator[None]:
    """Serialise work on MLflow's store across processes: an advisory lock for PostgreSQL (which also creates the
    schema), a file lock beside a sqlite file, nothing for other backends (a server migrates itself)."""
    parts = urlsplit(uri)
    if parts.scheme.startswith("postgresql"):
        import psycopg

        with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
            if f"search_path={SCHEMA}" in unquote(parts.query):
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            yield  # closing the session releases the lock
    elif parts.scheme == "sqlite" and uri.startswith("sqlite:///"):
        database = Path(unquote(uri.removeprefix("sqlite:///")).split("?")[0])
        database.parent.mkdir(parents=True, exist_ok=True)
        with open(database.with_name(database.name + ".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
    else:
        yield


def _experiment_id(client: mlflow.MlflowClient, experiment: str) -> str:
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    location = None
    if not client.tracking_uri.startswith(("http", "databricks")):  # a server decides where its artifacts go
        location = (artifact_root() / experiment).as_uri()
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(experiment, artifact_location=location)
    except MlflowException:
        found = client.get_experiment_by_name(experiment)  # created meanwhile by another process?
        if found is None:
            raise
        return found.experiment_id


@contextlib.contextmanager
def start_run(experiment: str, run_name: str, params: Mapping[str, Any],
              tags: Mapping[str, str] | None = None) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run in `experiment` (created on first use, artifacts under the data dir) with `params` logged;
    the run ends FAILED if the block raises."""
    mlflow = _offline_mlflow()

    experiment_id = _experiment_id(_client(), experiment)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(tags or {})) as run:
        mlflow.log_params(dict(params))
        yield run


def log_model_and_register(model: Any, name: str, *, metrics: Mapping[str, float], holdout_id: str,
                           flavor: str = "sklearn", input_example: Any = None,
                           extra_requirements: Sequence[str] = (), **log_kwargs: Any) -> ModelVersion:
    """In the active run: log the holdout `metrics` and the model, and register it as a new version of `name`
    tagged with the metrics, the holdout id (what `promote_if_better` compares) and the flavor.

    `flavor` is "sklearn", "lightgbm" (a Booster or LightGBM's sklearn estimators) or "pyfunc" (a PythonModel).
    Requirements are pinned from the installed flavor packages plus `extra_requirements` (package names), not
    inferred. sklearn models are saved with skops (MLflow's safe default), trusting the types the model holds.
    `log_kwargs` go to the flavor's `log_model`, e.g. `serialization_format="cloudpickle"` for objects skops cannot
    save (custom functions), `pyfunc_predict_fn="predict_proba"`, `signature=…`.
    """
    mlflow = _offline_mlflow()

    if flavor not in FLAVOR_PACKAGES:
        raise ValueError(f"unknown flavor {flavor!r}: expected one of {sorted(FLAVOR_PACKAGES)}")
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("log_model_and_register needs an active run: call it inside `with start_run(...)`")
    _client()  # registers into our backend even when the run was started with mlflow directly
    mlflow.log_metrics({key: float(value) for key, value in metrics.items()})
    requirements = [f"{package}=={importlib.metadata.version(package)}"
                    for package in (*FLAVOR_PACKAGES[flavor], *extra_requirements)]
    if flavor == "sklearn" and not {"serialization_format", "skops_trusted_types"} & log_kwargs.keys():
        log_kwargs["skops_trusted_types"] = _own_types(model)
    common = {"name": MODEL_ARTIFACT, "input_example": input_example, "pip_requirements": requirements, **log_kwargs}
    if flavor == "pyfunc":
        info = mlflow.pyfunc.log_model(python_model=model, **common)
    else:
        info = getattr(mlflow, flavor).log_model(model, **common)
    tags = {HOLDOUT_TAG: holdout_id, FLAVOR_TAG: flavor,
            **{f"{METRIC_TAG_PREFIX}{key}": repr(float(value)) for key, value in metrics.items()}}
    return mlflow.register_model(info.model_uri, name, tags=tags)  # creates the registered model on first use


def _own_types(model: Any) -> list[str]:
    """The types inside `model` that skops does not trust by default (e.g. LightGBM's). Trusting exactly these
    still makes loading refuse any other type, unlike pickle."""
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(model))


def champion(name: str) -> ModelVersion | None:
    """The version behind the alias `champion`, or None when `name` has none (or is not registered yet)."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

    client = _client()
    try:
        version = client.get_registered_model(name).aliases.get(CHAMPION)
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    return client.get_model_version(name, version) if version else None


def load_champion(name: str, flavor: str | None = None) -> Any:
    """Load the champion of `name` with the flavor it was logged with (an sklearn estimator keeps
    `predict_proba`), or as `flavor` (e.g. "pyfunc"). Raises NoChampionError when there is none."""
    mlflow = _offline_mlflow()

    current = champion(name)
    if current is None:
        raise NoChampionError(f"model {name!r} has no {CHAMPION!r} version yet: train it and promote a version "
                              f"(promote_if_better) before scoring")
    flavor_module = getattr(mlflow, flavor or current.tags.get(FLAVOR_TAG, "pyfunc"))
    return flavor_module.load_model(f"models:/{name}@{CHAMPION}")


def compare_to_champion(name: str, challenger_version: str | int, metric: str, higher_is_better: bool,
                        min_improvement: float = 0.0,
                        champion_value_on_holdout: float | None = None) -> PromotionDecision:
    """Whether the challenger should become champion, without changing anything: yes if there is no champion,
    or if it beats the champion's `metric` on the same holdout by more than `min_improvement` (absolute; a tie
    keeps the champion). When the champion was measured on another holdout, re-evaluate it on the challenger's
    and pass `champion_value_on_holdout`; otherwise comparing is refused with HoldoutMismatchError."""
    client = _client()
    version = str(challenger_version)
    challenger = client.get_model_version(name, version)
    holdout = challenger.tags.get(HOLDOUT_TAG)
    challenger_value = _metric(challenger, metric)
    current = champion(name)
    if current is None:
        return PromotionDecision(True, f"version {version} is the first champion of {name!r} "
                                 f"({metric}={challenger_value:.6g} on holdout {holdout})",
                                 version, None, metric, challenger_value, None)
    if str(current.version) == version:
        return PromotionDecision(False, f"version {version} is already the champion",
                                 version, version, metric, challenger_value, challenger_value)
    champion_value = champion_value_on_holdout
    if champion_value is None:
        if current.tags.get(HOLDOUT_TAG) != holdout:
            raise HoldoutMismatchError(
                f"champion version {current.version} was measured on holdout {current.tags.get(HOLDOUT_TAG)!r}, "
                f"the challenger on {holdout!r}: re-evaluate the champion on the challenger's holdout and pass "
                f"champion_value_on_holdout")
        champion_value = _metric(current, metric)
    return _compare(version, str(current.version), metric, float(champion_value), challenger_value, higher_is_better,
                    min_improvement, holdout)


def promote_if_better(name: str, challenger_version: str | int, metric: str, higher_is_better: bool,
                      min_improvement: float = 0.0,
                      champion_value_on_holdout: float | None = None) -> PromotionDecision:
    """`compare_to_champion`, then move the `champion` alias to the challenger if it won, all under a lock (one
    promotion at a time). The decision is tagged on the challenger (`promotion`, `promotion_reason`), except when
    it already is the champion (its earlier decision stays)."""
    client = _client()
    with _exclusive(client.tracking_uri):
        decision = compare_to_champion(name, challenger_version, metric, higher_is_better, min_improvement,
                                       champion_value_on_holdout)
        if decision.champion_version == decision.challenger_version:
            return decision
        if decision.promoted:
            client.set_registered_model_alias(name, CHAMPION, decision.challenger_version)
        client.set_model_version_tag(name, decision.challenger_version, "promotion",
                                     "promoted" if decision.promoted else "refused")
        client.set_model_version_tag(name, decision.challenger_version, "promotion_reason", decision.reason)
    return decision


def _metric(version: ModelVersion, metric: str) -> float:
    raw = version.tags.get(f"{METRIC_TAG_PREFIX}{metric}")
    if raw is None:
        logged = sorted(t.removeprefix(METRIC_TAG_PREFIX) for t in version.tags if t.startswith(METRIC_TAG_PREFIX))
        raise KeyError(f"version {version.version} of {version.name!r} has no holdout metric {metric!r} "
                       f"(it has: {', '.join(logged) or 'none'})")
    return float(raw)


def _compare(challenger: str, current: str, metric: str, champion_value: float, challenger_value: float,
             higher_is_better: bool, min_improvement: float, holdout: str | None) -> PromotionDecision:
    gain = challenger_value - champion_value if higher_is_better else champion_value - challenger_value
    promoted = not math.isnan(gain) and gain > min_improvement
    direction = "higher" if higher_is_better else "lower"
    reason = (f"{'promoted' if promoted else 'refused'}: challenger version {challenger} {metric}="
              f"{challenger_value:.6g} vs champion version {current} {metric}={champion_value:.6g} on holdout "
              f"{holdout} ({direction} is better, improvement {gain:.6g}, required > {min_improvement:g})")
    return PromotionDecision(promoted, reason, challenger, current, metric, challenger_value, champion_value)
