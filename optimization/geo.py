"""Vectorised great-circle distances: territory design needs every unit-to-rep distance at once, and
`salesops.geography.distance_km` (the scalar twin, same Earth radius) would be a Python loop over n x R pairs."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Distances in km between every point 1 (rows) and every point 2 (columns), degrees in."""
    phi1 = np.radians(np.asarray(lat1, dtype=float))[:, None]
    phi2 = np.radians(np.asarray(lat2, dtype=float))[None, :]
    dlon = np.radians(np.asarray(lon2, dtype=float))[None, :] - np.radians(np.asarray(lon1, dtype=float))[:, None]
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
