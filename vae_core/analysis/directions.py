"""Directions that mean something: the difference of two class means, walked from any point, and where the
walk leaves the region the prior covers.

    d = class_direction(mu, labels, source=1, target=7)       # (D,)
    path = along(mu[a], d, ts)                                 # (T, D)
    low, high = prior_interval(mu[a], d, mass=0.99)            # t inside the prior's 99 % ball
"""
from __future__ import annotations

import numpy as np
from scipy.stats import chi2


def class_direction(mu: np.ndarray, labels: np.ndarray, source: int, target: int) -> np.ndarray:
    """(D,) the mean of class `target`'s means minus class `source`'s: the step from one cluster's centre to the
    other's. mu: (N, D); labels: (N,)."""
    return (mu[labels == target].mean(axis=0) - mu[labels == source].mean(axis=0)).astype(np.float32)


def along(start: np.ndarray, direction: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """(T, D) start + t * direction for each t in ts."""
    return (np.asarray(start, np.float64)[None] + np.asarray(ts, np.float64)[:, None] * direction).astype(np.float32)


def prior_radius(dim: int, mass: float = 0.99) -> float:
    """The radius of the ball around 0 that holds `mass` of N(0, I_dim): ||z||^2 is chi-squared with dim degrees."""
    return float(np.sqrt(chi2.ppf(mass, dim)))


def prior_interval(start: np.ndarray, direction: np.ndarray, mass: float = 0.99) -> tuple[float, float] | None:
    """The t for which start + t * direction lies in that ball, as (low, high); None if the line misses it.
    Solves ||start + t d||^2 = r^2, a quadratic in t."""
    start, direction = np.asarray(start, np.float64), np.asarray(direction, np.float64)
    a = float(direction @ direction)
    b = 2 * float(start @ direction)
    c = float(start @ start) - prior_radius(len(start), mass) ** 2
    if a == 0:
        return (-np.inf, np.inf) if c <= 0 else None
    disc = b * b - 4 * a * c
    if disc < 0:
        return None
    root = np.sqrt(disc)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)
