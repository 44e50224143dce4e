#!/usr/bin/env python3
"""PyTorch on BM-1's plan workload, for a side-by-side ratio with build/bench/bench_plan.

The BM-1 predictor (MLP [256 + 2] -> 512 -> ReLU -> 512 -> ReLU -> 256, random weights), CEM
with 300 samples x horizon 5 x 10 iterations, top-30 elites, Gaussian refit, actions in [-1, 1]^2,
cost |z_5 - z_goal|^2; MPPI with the same budget (temperature 0.5, noise std 0.5). Inference mode,
the given thread count, best of several plans; in fp32, and in bf16 (a bf16 copy of the weights,
the latents and actions in bf16, the cost in fp32: PyTorch's fastest bf16 form of this loop, faster
than autocast here). Prints one line per (planner, threads): "torch <planner> <threads> <ms>", the
planner's name ending in "-bf16" for bf16. Optional: nothing in the build or the tests needs Python.

    python3 tools/bench_torch_plan.py [threads...]
    python3 tools/bench_torch_plan.py --serve    # "ready", then one result per "<planner> <threads>" line read

The serving mode lets build/bench/bench_plan alternate its own runs with PyTorch's, so that both
see the same load on a shared machine.
"""
import copy
import sys
import time

import torch

D, A, HID, N, H, ITERS, ELITES = 256, 2, 512, 300, 5, 10, 30

torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Linear(D + A, HID), torch.nn.ReLU(),
    torch.nn.Linear(HID, HID), torch.nn.ReLU(),
    torch.nn.Linear(HID, D))
z0 = torch.randn(1, D)
goal = torch.randn(D)
net16 = copy.deepcopy(net).to(torch.bfloat16)
z0_16 = z0.to(torch.bfloat16)


def rollout(actions):  # (N, H, A) -> cost (N)
    z = z0.expand(actions.shape[0], D)
    for k in range(H):
        z = net(torch.cat([z, actions[:, k]], dim=1))
    return ((z - goal) ** 2).sum(dim=1)


def rollout_bf16(actions):  # the same in bf16, the cost in fp32
    z, a = z0_16.expand(actions.shape[0], D), actions.to(torch.bfloat16)
    for k in range(H):
        z = net16(torch.cat([z, a[:, k]], dim=1))
    return ((z.float() - goal) ** 2).sum(dim=1)


def cem(rollout=rollout):
    mean, std = torch.zeros(H, A), torch.ones(H, A)
    for _ in range(ITERS):
        x = (mean + std * torch.randn(N, H, A)).clamp(-1, 1)
        idx = torch.topk(rollout(x), ELITES, largest=False).indices
        el = x[idx]
        mean, std = el.mean(0), el.std(0, unbiased=False).clamp_min(0.05)
    return mean


def mppi(rollout=rollout):
    mean = torch.zeros(H, A)
    for _ in range(ITERS):
        x = (mean + 0.5 * torch.randn(N, H, A)).clamp(-1, 1)
        c = rollout(x)
        w = torch.softmax(-(c - c.min()) / 0.5, dim=0)
        mean = (w[:, None, None] * x).sum(0)
    return mean


def best_ms(fn, reps=7):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return 1e3 * best


PLANNERS = {"cem": cem, "mppi": mppi, "cem-bf16": lambda: cem(rollout_bf16),
            "mppi-bf16": lambda: mppi(rollout_bf16)}


def serve():
    print("ready", flush=True)
    for line in sys.stdin:
        name, t = line.split()
        torch.set_num_threads(int(t))
        print(f"torch {name} {t} {best_ms(PLANNERS[name]):.2f}", flush=True)


if __name__ == "__main__":
    with torch.inference_mode():
        if sys.argv[1:] == ["--serve"]:
            serve()
        else:
            for t in [int(t) for t in sys.argv[1:]] or [1, 2]:
                torch.set_num_threads(t)
                for name, fn in PLANNERS.items():
                    print(f"torch {name} {t} {best_ms(fn):.2f}", flush=True)
