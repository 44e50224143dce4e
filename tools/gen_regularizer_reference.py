#!/usr/bin/env python3
"""Reference values for tests/test_regularizers.c, computed independently of jepa.c.

SIGReg, the VICReg terms and the temporal smoothness with PyTorch autograd in float64
(following, as jepa.c does, the definitions of LeWM's SIGReg (lucas-maes/le-wm, module.py)
and PLDM's VICRegObjective (pldm/objectives/vicreg.py)); the embedding std and the effective
rank with numpy (SVD). Inputs are drawn here with a fixed numpy seed and stored with the
expected values and gradients, so the C test needs neither Python nor the RNG of numpy.

    python3 tools/gen_regularizer_reference.py   # writes tests/ref/regularizers.safetensors
"""
import math
import os

import numpy as np
import torch
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "ref", "regularizers.safetensors")


def sigreg(z, dirs, knots, t_max):
    """z (N, D) or (G, N, D); dirs (D, M) unit columns -> mean Epps-Pulley statistic."""
    t = torch.linspace(0, t_max, knots, dtype=torch.float64)
    dt = t_max / (knots - 1)
    w = torch.full((knots,), 2 * dt, dtype=torch.float64)
    w[0] = dt
    w[-1] = dt
    phi = torch.exp(-t.square() / 2)
    x_t = (z @ dirs).unsqueeze(-1) * t  # (..., N, M, K)
    err = (x_t.cos().mean(-3) - phi).square() + x_t.sin().mean(-3).square()
    return ((err @ (w * phi)) * z.size(-2)).mean()


def vicreg_variance(z, gamma, eps):
    std = torch.sqrt(z.var(dim=-2) + eps)  # unbiased
    return torch.relu(gamma - std).mean()


def vicreg_covariance(z):
    n, d = z.shape[-2], z.shape[-1]
    x = z - z.mean(dim=-2, keepdim=True)
    cov = x.transpose(-1, -2) @ x / (n - 1)
    off = cov - torch.diag_embed(torch.diagonal(cov, dim1=-2, dim2=-1))
    return (off.square().sum(dim=(-1, -2)) / d).mean()


def temporal_smoothness(z):  # z (B, T, D)
    return (z[:, 1:] - z[:, :-1]).pow(2).mean()


def effective_rank(z):
    s = np.linalg.svd(z - z.mean(axis=0), compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    return math.exp(-(p * np.log(p)).sum())


def value_and_grad(fn, z_np, *args):
    z = torch.tensor(z_np, dtype=torch.float64, requires_grad=True)
    v = fn(z, *args)
    v.backward()
    return np.array([v.item()], dtype=np.float32), z.grad.numpy().astype(np.float32)


def main():
    rng = np.random.default_rng(20261128)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)
    out = {}

    # SIGReg on (N, D) and grouped (G, N, D), 16 unit directions, 17 knots on [0, 3]
    def unit_dirs(d, m):
        a = rng.standard_normal((d, m))
        return f32(a / np.linalg.norm(a, axis=0))

    cases = {
        "sigreg2": (f32(1.3 * rng.standard_normal((33, 6)) + 0.2), unit_dirs(6, 16), 17, 3.0),
        "sigreg3": (f32(0.8 * rng.standard_normal((3, 11, 5)) - 0.1), unit_dirs(5, 16), 17, 3.0),
        "sigreg_k9": (f32(rng.standard_normal((20, 4))), unit_dirs(4, 8), 9, 2.5),
    }
    for name, (z, dirs, knots, t_max) in cases.items():
        v, g = value_and_grad(lambda zz: sigreg(zz, torch.tensor(dirs, dtype=torch.float64),
                                                knots, t_max), z)
        out.update({f"{name}.z": z, f"{name}.dirs": dirs, f"{name}.value": v, f"{name}.grad": g})
        out[f"{name}.params"] = np.array([knots, t_max], dtype=np.float32)

    # VICReg: per-dim scales on both sides of the margin (std 0.3 .. 2), none near 1
    scales = np.array([0.3, 2.0, 0.6, 1.5, 0.45, 1.8, 0.8], dtype=np.float64)
    vic2 = f32(rng.standard_normal((9, 7)) * scales + rng.standard_normal(7))
    vic3 = f32(rng.standard_normal((2, 9, 7)) * scales)
    for name, z in (("vic2", vic2), ("vic3", vic3)):
        v, g = value_and_grad(vicreg_variance, z, 1.0, 1e-4)
        out.update({f"{name}.z": z, f"{name}.var_value": v, f"{name}.var_grad": g})
        v, g = value_and_grad(vicreg_covariance, z)
        out.update({f"{name}.cov_value": v, f"{name}.cov_grad": g})

    # temporal smoothness of (B, T, D)
    z = f32(rng.standard_normal((3, 5, 4)))
    v, g = value_and_grad(temporal_smoothness, z)
    out.update({"smooth.z": z, "smooth.value": v, "smooth.grad": g})

    # monitors: anisotropic data with correlated dims
    z = rng.standard_normal((50, 12)) @ np.diag(np.linspace(0.2, 3.0, 12))
    z = f32(z @ np.linalg.qr(rng.standard_normal((12, 12)))[0] + 0.7)
    zd = z.astype(np.float64)
    out["monitor.z"] = z
    out["monitor.std"] = np.array([zd.std(axis=0, ddof=1).mean()], dtype=np.float32)
    out["monitor.erank"] = np.array([effective_rank(zd)], dtype=np.float32)
    # fewer samples than dims (the Gram-matrix path)
    z = f32(rng.standard_normal((9, 14)) * np.linspace(0.5, 2.0, 14))
    out["monitor_wide.z"] = z
    out["monitor_wide.erank"] = np.array([effective_rank(z.astype(np.float64))], dtype=np.float32)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(out, OUT, metadata={"generator": "tools/gen_regularizer_reference.py"})
    print(f"wrote {len(out)} tensors to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
