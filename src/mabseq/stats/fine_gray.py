"""Fine-Gray proportional subdistribution hazards regression, as R ``cmprsk::crr`` fits it.

Fine JP, Gray RJ (1999), *A proportional hazards model for the subdistribution of a competing risk*, JASA 94:496-509.
Subjects who fail from a competing cause stay in the risk set with a weight G(t-) / G(T_j-), where G is the
Kaplan-Meier estimate of the censoring distribution (censorings as the events, everyone with T >= v at risk).
At each distinct time t_k of the cause of interest (d_k events), with e_j = exp(x_j' beta):

    w_j(t_k) = e_j                              if T_j >= t_k
             = e_j G(t_k-) / G(T_j-)            if T_j < t_k and j failed from a competing cause
             = 0                                otherwise
    S0_k = sum_j w_j(t_k),   S1_k = sum_j w_j(t_k) x_j,   xbar_k = S1_k / S0_k

    log partial likelihood  l = sum_{events i} x_i' beta - sum_k d_k log S0_k     (Breslow ties, as crr)
    score                   U = sum_{events i} x_i - sum_k d_k xbar_k
    information             I = sum_j w_j x_j x_j' (summed over k with weight d_k / S0_k) - sum_k d_k xbar_k xbar_k'

The variance is Fine and Gray's sandwich I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1 (their section 4):
eta_i is subject i's score residual, and psi_i accounts for estimating G,

    eta_i = [i failed from the cause] (x_i - xbar(T_i)) - sum_k d_k w_i(t_k) (x_i - xbar_k) / S0_k
    psi_i = [i censored] q(T_i) / Y(T_i) - sum_{censoring times v <= T_i} c_v q(v) / Y(v)^2
    q(u)  = sum_{k: t_k >= u} d_k G(t_k-) / S0_k  sum_{j: T_j < u, competing} (e_j / G(T_j-)) (x_j - xbar_k)

with Y(v) the number with T >= v and c_v the number censored at v.

One deliberate difference from crr: G(T_j-) is the left limit everywhere, so G(0-) = 1. crr evaluates G at
T (1 - 100 eps), which at T = 0 is G(0); the two differ only when a competing failure and a censoring both occur at
time 0 (docs/KNOWN_LIMITS.md).

**Forward-backward scan** (Kawaguchi, Shen, Li, Suchard 2020, *A fast and scalable implementation method for
competing risks data with the R package fastcmprsk*, The R Journal 12(2)): after one sort by time, S0_k and S1_k
are a backward cumulative sum over {T_j >= t_k} plus G(t_k-) times a forward cumulative sum of e_j / G(T_j-) over
competing failures with T_j < t_k. The information, eta and q are sums of the same kind, so a Newton step costs
O(n p^2) arithmetic and O(n p) memory, and the sandwich variance costs the same once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._validate import as_times, conf_z


@dataclass
class FineGrayResult:
    """Fitted Fine-Gray model. ``.summary`` is the tidy table (one row per covariate)."""

    names: list[str]
    coef: np.ndarray
    var: np.ndarray
    naive_var: np.ndarray
    loglik: float
    loglik_null: float
    score: np.ndarray
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    iterations: int
    converged: bool
    conf_level: float = 0.95
    _z: float = field(init=False, repr=False)

    def __post_init__(self):
        self._z = conf_z(self.conf_level)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))

    @property
    def summary(self) -> pd.DataFrame:
        se = self.se
        z = self.coef / se
        return pd.DataFrame({
            "term": self.names,
            "coef": self.coef,
            "hazard_ratio": np.exp(self.coef),
            "se": se,
            "z": z,
            "p_value": 2.0 * stats.norm.sf(np.abs(z)),
            "lower": np.exp(self.coef - self._z * se),
            "upper": np.exp(self.coef + self._z * se),
        })

    @property
    def lrt(self) -> tuple[float, int, float]:
        """Likelihood-ratio statistic against beta = 0, its df and p-value."""
        stat = 2.0 * (self.loglik - self.loglik_null)
        df = self.coef.shape[0]
        return stat, df, float(stats.chi2.sf(stat, df))


class _Design:
    """Sorted data and the pieces of the scan that do not depend on beta."""

    def __init__(self, t: np.ndarray, kind: np.ndarray, X: np.ndarray):
        order = np.argsort(t, kind="stable")
        self.t = t[order]
        self.kind = kind[order]  # 0 censored, 1 cause of interest, 2 competing cause
        self.X = X[order]
        self.X = self.X - self.X.mean(axis=0)  # centring leaves every estimate unchanged and keeps exp() finite
        self.order = order
        n = t.shape[0]
        uniq, first, inv = np.unique(self.t, return_index=True, return_inverse=True)
        inv = inv.ravel()
        at_risk = n - first  # number with T >= v at each distinct time v
        cens = np.bincount(inv, weights=(self.kind == 0).astype(float), minlength=uniq.size)
        # Kaplan-Meier of the censoring distribution, left limit at each distinct time
        g_after = np.cumprod(1.0 - cens / at_risk)
        g_before = np.concatenate([[1.0], g_after[:-1]])
        self.G = g_before[inv]  # G(T_j-) of every subject
        ev = self.kind == 1
        self.is_event, self.is_comp, self.is_cens = ev, self.kind == 2, self.kind == 0
        d = np.bincount(inv, weights=ev.astype(float), minlength=uniq.size)
        k = np.flatnonzero(d > 0)
        self.k_first = first[k]  # first sorted index at each event time
        self.k_d = d[k]
        self.k_G = g_before[k]  # G(t_k-)
        # for each subject, the number of event times <= T_j
        self.k_upto = np.searchsorted(uniq[k], self.t, side="right")
        # censoring part of psi: distinct times with a censoring
        c = np.flatnonzero(cens > 0)
        self.c_first, self.c_count, self.c_risk = first[c], cens[c], at_risk[c].astype(float)
        # for each censoring time, the number of event times < v (so events with t_k >= v follow)
        self.c_kstart = np.searchsorted(uniq[k], uniq[c], side="left")
        self.c_upto = np.searchsorted(uniq[c], self.t, side="right")  # censoring times <= T_j

    def sums(self, beta):
        """e, S0_k, xbar_k and the forward cumulative sums over competing failures."""
        X = self.X
        eta = X @ beta
        e = np.exp(eta)
        ex = e[:, None] * X
        back0 = np.concatenate([np.cumsum(e[::-1])[::-1], [0.0]])
        back1 = np.vstack([np.cumsum(ex[::-1], axis=0)[::-1], np.zeros((1, X.shape[1]))])
        a = np.where(self.is_comp, e / self.G, 0.0)
        fwd0 = np.concatenate([[0.0], np.cumsum(a)])  # fwd[i] = sum over j < i
        fwd1 = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(a[:, None] * X, axis=0)])
        f = self.k_first
        S0 = back0[f] + self.k_G * fwd0[f]
        S1 = back1[f] + self.k_G[:, None] * fwd1[f]
        return eta, e, S0, S1 / S0[:, None], fwd0, fwd1

    def loglik(self, beta) -> float:
        eta, _, S0, _, _, _ = self.sums(beta)
        return float(eta[self.is_event].sum() - (self.k_d * np.log(S0)).sum())

    def derivatives(self, beta):
        """Log-likelihood, score and information at beta."""
        X = self.X
        eta, e, S0, xbar, _, _ = self.sums(beta)
        ll = float(eta[self.is_event].sum() - (self.k_d * np.log(S0)).sum())
        U = X[self.is_event].sum(axis=0) - (self.k_d[:, None] * xbar).sum(axis=0)
        c0, _, d0, _ = self._kernels(S0, xbar)
        w = e * (c0 + np.where(self.is_comp, d0 / self.G, 0.0))
        info = (X * w[:, None]).T @ X - (xbar * self.k_d[:, None]).T @ xbar
        return ll, U, info

    def _kernels(self, S0, xbar):
        """Per subject: C(T_j) = sum_{t_k <= T_j} d_k / S0_k (and with xbar_k), D(T_j) = the same over t_k > T_j
        with G(t_k-)."""
        up = self.k_upto
        p = xbar.shape[1]
        r = self.k_d / S0
        cum0 = np.concatenate([[0.0], np.cumsum(r)])
        cum1 = np.vstack([np.zeros((1, p)), np.cumsum(r[:, None] * xbar, axis=0)])
        rg = r * self.k_G
        cg0 = np.concatenate([[0.0], np.cumsum(rg)])
        cg1 = np.vstack([np.zeros((1, p)), np.cumsum(rg[:, None] * xbar, axis=0)])
        c0, c1 = cum0[up], cum1[up]
        d0, d1 = cg0[-1] - cg0[up], cg1[-1] - cg1[up]
        return c0, c1, d0, d1

    def influence(self, beta):
        """eta_i + psi_i for every subject (sorted order)."""
        X = self.X
        _, e, S0, xbar, fwd0, fwd1 = self.sums(beta)
        c0, c1, d0, d1 = self._kernels(S0, xbar)
        resid = -e[:, None] * (X * c0[:, None] - c1)
        comp = self.is_comp
        resid[comp] -= (e[comp] / self.G[comp])[:, None] * (X[comp] * d0[comp, None] - d1[comp])
        ev = self.is_event
        resid[ev] += X[ev] - xbar[self.k_upto[ev] - 1]
        if self.c_first.size:
            # q(v) = A1(v) B0(v) - A0(v) B1(v): A over competing failures before v, B over event times >= v
            rg = self.k_d * self.k_G / S0
            b0 = np.concatenate([np.cumsum(rg[::-1])[::-1], [0.0]])
            b1 = np.vstack([np.cumsum((rg[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros((1, X.shape[1]))])
            ks = self.c_kstart
            q = fwd1[self.c_first] * b0[ks, None] - fwd0[self.c_first, None] * b1[ks]
            lam = np.vstack([np.zeros((1, X.shape[1])),
                             np.cumsum(q * (self.c_count / self.c_risk**2)[:, None], axis=0)])
            resid -= lam[self.c_upto]
            cens = self.is_cens
            j = self.c_upto[cens] - 1  # a censored subject's own time is the last censoring time <= T_j
            resid[cens] += q[j] / self.c_risk[j, None]
        return resid


def _as_kind(status, n: int, cause, cens_code) -> tuple[np.ndarray, np.ndarray]:
    raw = np.asarray(status)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"status: expected {n} values in a 1-d array, got shape {raw.shape}")
    miss = pd.isna(raw)
    if miss.any():
        i = int(np.flatnonzero(miss)[0])
        raise ValueError(f"status: value at position {i} is missing")
    is_event = raw == cause
    is_cens = raw == cens_code
    kind = np.where(is_event, 1, np.where(is_cens, 0, 2)).astype(np.int8)
    return kind, raw


def _as_matrix(X, n: int, names):
    if isinstance(X, pd.DataFrame):
        names = list(X.columns) if names is None else list(names)
        M = X.to_numpy()
    elif isinstance(X, pd.Series):
        names = [X.name if X.name is not None else "x1"] if names is None else list(names)
        M = X.to_numpy()[:, None]
    else:
        M = np.asarray(X)
        if M.ndim == 1:
            M = M[:, None]
    if M.ndim != 2 or M.shape[0] != n:
        raise ValueError(f"X: expected {n} rows, got shape {M.shape}")
    try:
        M = M.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("X: covariates must be numeric (code categories as indicator columns)") from None
    bad = ~np.isfinite(M)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(f"X: value at row {i}, column {j} is {M[i, j]!r}; covariates must be finite")
    if names is None:
        names = [f"x{j + 1}" for j in range(M.shape[1])]
    if len(names) != M.shape[1]:
        raise ValueError(f"names: {len(names)} names for {M.shape[1]} columns")
    return M, [str(s) for s in names]


def fine_gray(time, status, X, *, cause=1, cens_code=0, names=None, conf_level: float = 0.95,
              max_iter: int = 100, tol: float = 1e-12) -> FineGrayResult:
    """Fit the Fine-Gray model for ``cause`` (R ``cmprsk::crr(ftime, fstatus, cov1, failcode, cencode)``).

    Parameters
    ----------
    time : times >= 0.
    status : ``cens_code`` = censored, ``cause`` = the event of interest, any other value = a competing event.
    X : covariates, (n, p) numeric (a DataFrame's column names become the term names).

    Newton-Raphson from beta = 0 with step halving whenever the log-likelihood would fall; it stops when the
    largest step is below ``tol`` relative to max(1, |beta|). Coefficients and the sandwich variance equal crr's.
    A cause without events, a covariate with no variation, or perfect separation is an error, not a number.
    """
    t = as_times(time, "time")
    n = t.shape[0]
    if n == 0:
        raise ValueError("time: no records")
    kind, _ = _as_kind(status, n, cause, cens_code)
    M, names = _as_matrix(X, n, names)
    n_events = int((kind == 1).sum())
    if n_events == 0:
        raise ValueError(f"status: no events of cause {cause!r}; the Fine-Gray model needs at least one")
    const = np.flatnonzero(np.ptp(M, axis=0) == 0) if n else []
    if len(const):
        raise ValueError(f"X: column {names[int(const[0])]!r} is constant; it cannot be estimated")
    des = _Design(t, kind, M)
    p = M.shape[1]
    beta = np.zeros(p)
    ll0 = ll = des.loglik(beta)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        ll, U, info = des.derivatives(beta)
        try:
            step = np.linalg.solve(info, U)
        except np.linalg.LinAlgError:
            raise ValueError("X: the information matrix is singular (collinear covariates?)") from None
        new = beta + step
        ll_new = des.loglik(new)
        halvings = 0
        while not (np.isfinite(ll_new) and ll_new >= ll - 1e-12 * max(1.0, abs(ll))):
            step = step / 2.0
            new = beta + step
            ll_new = des.loglik(new)
            halvings += 1
            if halvings > 40:
                break
        beta = new
        if np.max(np.abs(step) / np.maximum(np.abs(beta), 1.0)) < tol:
            converged = True
            break
    if not converged or not np.all(np.isfinite(beta)):
        raise ValueError(f"fine_gray did not converge in {max_iter} iterations (monotone likelihood, "
                         "e.g. a covariate level with no events?)")
    ll, U, info = des.derivatives(beta)
    # monotone likelihood: the information of a coefficient running to infinity vanishes while the steps stop
    # (the score underflows); flag it instead of reporting a finite number
    _, _, info0 = des.derivatives(np.zeros(p))
    gone = np.flatnonzero(np.diag(info) < 1e-10 * np.diag(info0))
    if gone.size:
        raise ValueError(f"fine_gray did not converge: the coefficient of {names[int(gone[0])]!r} runs to "
                         "infinity (monotone likelihood, e.g. a covariate level with no events)")
    inv = np.linalg.inv(info)
    r = des.influence(beta)
    meat = r.T @ r
    var = inv @ meat @ inv
    var = (var + var.T) / 2.0
    return FineGrayResult(names=names, coef=beta, var=var, naive_var=inv, loglik=ll, loglik_null=ll0, score=U,
                          n=n, n_events=n_events, n_competing=int((kind == 2).sum()),
                          n_censored=int((kind == 0).sum()), iterations=it, converged=converged,
                          conf_level=conf_level)


__all__ = ["FineGrayResult", "fine_gray"]
