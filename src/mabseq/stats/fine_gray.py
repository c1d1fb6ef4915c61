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
from .distributions import chi2_sf, norm_sf

from ._counting import time_codes
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
            "p_value": 2.0 * norm_sf(np.abs(z)),
            "lower": np.exp(self.coef - self._z * se),
            "upper": np.exp(self.coef + self._z * se),
        })

    @property
    def lrt(self) -> tuple[float, int, float]:
        """Likelihood-ratio statistic against beta = 0, its df and p-value."""
        stat = 2.0 * (self.loglik - self.loglik_null)
        df = self.coef.shape[0]
        return stat, df, float(chi2_sf(stat, df))


class _Design:
    """The data reduced to distinct times, and the parts of the scan that do not depend on beta.

    No record-level sort: each record carries the index of its distinct time, and every sum over a set of times is
    a weighted ``bincount`` over records followed by a cumulative sum over the T distinct times.
    """

    def __init__(self, t: np.ndarray, kind: np.ndarray, X: np.ndarray):
        self.X = np.asfortranarray(X - X.mean(axis=0))  # centring changes no estimate and keeps exp() finite
        uniq, inv = time_codes(t)
        self.inv = inv
        T = uniq.shape[0]
        self.T = T
        ev, comp, cens = kind == 1, kind == 2, kind == 0
        self.is_event, self.is_comp, self.is_cens = ev, comp, cens
        counts = np.bincount(inv, minlength=T).astype(float)
        at_risk = np.cumsum(counts[::-1])[::-1]  # number with T >= v
        n_cens = np.bincount(inv, weights=cens.astype(float), minlength=T)
        # Kaplan-Meier of the censoring distribution, left limit at each distinct time
        g_after = np.cumprod(1.0 - n_cens / at_risk)
        g_before = np.concatenate([[1.0], g_after[:-1]])
        self.G = g_before[inv]  # G(T_j-) of every subject
        d = np.bincount(inv, weights=ev.astype(float), minlength=T)
        is_k = d > 0
        self.k = np.flatnonzero(is_k)  # distinct-time index of each event time
        self.k_d = d[is_k]
        self.k_G = g_before[is_k]  # G(t_k-)
        self.k_upto_time = np.cumsum(is_k)  # per distinct time v: number of event times <= v
        is_c = n_cens > 0
        self.c = np.flatnonzero(is_c)
        self.c_count, self.c_risk = n_cens[is_c], at_risk[is_c]
        self.c_kstart = (np.cumsum(is_k) - is_k)[is_c]  # event times < v, so those with t_k >= v follow
        self.c_upto_time = np.cumsum(is_c)  # per distinct time v: number of censoring times <= v
        self.comp_rows = np.flatnonzero(comp)
        self.event_rows, self.cens_rows = np.flatnonzero(ev), np.flatnonzero(cens)
        self.inv_comp = inv[self.comp_rows]
        self.X_comp = self.X[self.comp_rows]
        self.comp_w = 1.0 / self.G[self.comp_rows]  # 1 / G(T_j-) of the competing failures
        self.sum_x_events = self.X[ev].sum(axis=0)

    def _by_time(self, w: np.ndarray, rows=None) -> np.ndarray:
        """(T, 1 + p) sums of w and w x over the records at each distinct time (only ``rows`` if given)."""
        X, inv, T = self.X, self.inv, self.T
        if rows is not None:
            X, inv = self.X_comp, self.inv_comp
        out = np.empty((T, 1 + X.shape[1]))
        out[:, 0] = np.bincount(inv, weights=w, minlength=T)
        for j in range(X.shape[1]):
            out[:, 1 + j] = np.bincount(inv, weights=w * X[:, j], minlength=T)
        return out

    def sums(self, beta):
        """e, S0_k, xbar_k, and the forward sums over competing failures before each time (A0, A1)."""
        eta = self.X @ beta
        e = np.exp(eta)
        at = self._by_time(e)
        back = np.cumsum(at[::-1], axis=0)[::-1]  # sums over T_j >= v
        comp = self._by_time(e[self.comp_rows] * self.comp_w, rows=True)
        fwd = np.cumsum(comp, axis=0) - comp  # sums over competing failures with T_j < v
        S = back[self.k] + self.k_G[:, None] * fwd[self.k]
        S0 = S[:, 0]
        return e, S0, S[:, 1:] / S0[:, None], fwd

    def derivatives(self, beta):
        """Log-likelihood, score and information at beta."""
        X = self.X
        e, S0, xbar, _ = self.sums(beta)
        ll = float(self.sum_x_events @ beta - (self.k_d * np.log(S0)).sum())
        U = self.sum_x_events - self.k_d @ xbar
        C, D = self._kernels(S0, xbar, with_x=False)
        w = e * C[self.inv, 0]
        w[self.comp_rows] += e[self.comp_rows] * self.comp_w * D[self.inv_comp, 0]
        info = (X * w[:, None]).T @ X - (xbar * self.k_d[:, None]).T @ xbar
        return ll, U, info

    def _kernels(self, S0, xbar, with_x=True):
        """Per distinct time v: C(v) = sum_{t_k <= v} d_k / S0_k (and with xbar_k), D(v) = the same over t_k > v
        with G(t_k-) as a factor. Arrays (T, 1 + p) (or (T, 1) without the xbar columns)."""
        r = self.k_d / S0
        cols = [r[:, None]] + ([r[:, None] * xbar] if with_x else [])
        rk = np.hstack(cols)
        cum = np.zeros((rk.shape[0] + 1, rk.shape[1]))
        np.cumsum(rk, axis=0, out=cum[1:])
        cg = np.zeros_like(cum)
        np.cumsum(rk * self.k_G[:, None], axis=0, out=cg[1:])
        up = self.k_upto_time
        return cum[up], cg[-1] - cg[up]

    def influence(self, beta):
        """eta_i + psi_i for every subject."""
        X = self.X
        e, S0, xbar, fwd = self.sums(beta)
        C, D = self._kernels(S0, xbar)
        inv, rows, p = self.inv, self.comp_rows, X.shape[1]
        ev = self.event_rows
        ev_k = self.k_upto_time[inv[ev]] - 1  # each event's own event time
        c0, d0 = C[:, 0][inv], D[:, 0][self.inv_comp]
        ec = e[rows] * self.comp_w
        resid = np.empty((X.shape[0], p), order="F")
        for j in range(p):  # column by column: 1-d gathers and contiguous columns
            x = X[:, j]
            r = -e * (x * c0 - C[:, 1 + j][inv])
            r[rows] -= ec * (self.X_comp[:, j] * d0 - D[:, 1 + j][self.inv_comp])
            r[ev] += x[ev] - xbar[ev_k, j]
            resid[:, j] = r
        if self.c.size:
            # q(v) = A1(v) B0(v) - A0(v) B1(v): A over competing failures before v, B over event times >= v
            rg = self.k_d * self.k_G / S0
            b = np.zeros((rg.shape[0] + 1, 1 + X.shape[1]))
            b[:-1, 0] = np.cumsum(rg[::-1])[::-1]
            b[:-1, 1:] = np.cumsum((rg[:, None] * xbar)[::-1], axis=0)[::-1]
            ks = self.c_kstart
            A = fwd[self.c]
            q = A[:, 1:] * b[ks, :1] - A[:, :1] * b[ks, 1:]
            lam = np.zeros((q.shape[0] + 1, X.shape[1]))
            lam[1:] = np.cumsum(q * (self.c_count / self.c_risk**2)[:, None], axis=0)
            # by distinct time: the censoring-hazard part, plus q / Y at a censoring time for the censored there
            psi = lam[self.c_upto_time]
            cens = self.cens_rows
            own = self.c_upto_time[inv[cens]] - 1  # a censored subject's own time is the last censoring time <= T
            for j in range(p):
                resid[:, j] -= psi[:, j][inv]
                resid[cens, j] += q[own, j] / self.c_risk[own]
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
        raise ValueError(f"X: value at row {i}, column {j} is {float(M[i, j])}; covariates must be finite")
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
    if cause == cens_code:
        raise ValueError(f"cause and cens_code are both {cause!r}; the event code must differ from the censoring code")
    kind, _ = _as_kind(status, n, cause, cens_code)
    M, names = _as_matrix(X, n, names)
    n_events = int((kind == 1).sum())
    if n_events == 0:
        raise ValueError(f"status: no events of cause {cause!r}; the Fine-Gray model needs at least one")
    M = np.asfortranarray(M)
    const = [j for j in range(M.shape[1]) if M[:, j].min() == M[:, j].max()]
    if len(const):
        raise ValueError(f"X: column {names[const[0]]!r} is constant; it cannot be estimated")
    des = _Design(t, kind, M)
    p = M.shape[1]
    beta = np.zeros(p)
    ll, U, info = des.derivatives(beta)
    ll0 = ll
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(info, U)
        except np.linalg.LinAlgError:
            raise ValueError("X: the information matrix is singular (collinear covariates, or a covariate that "
                             "separates the events perfectly)") from None
        for _ in range(40):  # halve the step while the log-likelihood would fall
            new = beta + step
            ll_new, U_new, info_new = des.derivatives(new)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            step = step / 2.0
        beta, ll, U, info = new, ll_new, U_new, info_new
        if np.max(np.abs(step) / np.maximum(np.abs(beta), 1.0)) < tol:
            converged = True
            break
    if not converged or not np.all(np.isfinite(beta)):
        raise ValueError(f"fine_gray did not converge in {max_iter} iterations (monotone likelihood, "
                         "e.g. a covariate level with no events?)")
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
