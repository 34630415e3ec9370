"""Errors a user can act on, raised instead of bare HTTP failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

SECRET_NAMES = {"crm": "access_token", "marketing": "access_token", "sheets": "api_key"}


class SourceAuthError(RuntimeError):
    """The source system refused our credentials: a configuration problem, not a transient one."""


def auth_error(system: str, response: Any) -> SourceAuthError:
    """A message naming the system, the status and the setting to fix (never the secret or its URL)."""
    try:
        body = response.json()
        detail = body.get("message") or (body.get("error") or {}).get("message") or ""
    except ValueError:
        detail = response.text[:200]
    secret = SECRET_NAMES[system]
    return SourceAuthError(
        f"{system}: {response.status_code} from {urlsplit(response.url).path}: credentials rejected ({detail}). "
        f"Check sources.{system}.{secret} in .dlt/secrets.toml or SOURCES__{system.upper()}__{secret.upper()}."
    )


def reject_bad_credentials(system: str) -> Callable[..., Any]:
    """A dlt rest_api response action failing fast, with `auth_error`, on 401 and 403."""

    def check(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.status_code in (401, 403):
            raise auth_error(system, response)
        return response

    return check
