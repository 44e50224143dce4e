#!/usr/bin/env python3
"""BM-1 training step in PyTorch (shared/BENCH.md), the anchor bench/bench_train.c compares to.

Prints `samples_per_s X`. Same model, batch and loss as configs/bm1.json: 4 x [conv 4x4 s2 p1 no
bias -> GroupNorm(8) -> ReLU] 3->32->64->128->128, linear 2048->256; EMA target encoder; predictor
h + MLP([h, a]) 258->512->512->256 rolled out 4 steps; MSE to the targets + VICReg variance +
0.04 covariance per frame; AdamW(3e-4, wd 0.01).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def encoder():
    layers, c = [], 3
    for w in (32, 64, 128, 128):
        layers += [nn.Conv2d(c, w, 4, 2, 1, bias=False), nn.GroupNorm(8, w), nn.ReLU()]
        c = w
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(2048, 256))


def vicreg(z):
    zc = z - z.mean(0)
    std = torch.sqrt(zc.var(0) + 1e-4)
    var = F.relu(1 - std).mean()
    cov = zc.T @ zc / (z.shape[0] - 1)
    off = cov - torch.diag(torch.diag(cov))
    return var, off.pow(2).sum() / z.shape[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    enc, pred = encoder(), nn.Sequential(nn.Linear(258, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 256))
    target = encoder()
    target.load_state_dict(enc.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(list(enc.parameters()) + list(pred.parameters()), lr=3e-4, weight_decay=0.01)
    B, T = args.batch, 5
    frames = torch.rand(B * T, 3, 64, 64).contiguous(memory_format=torch.channels_last)
    actions = torch.rand(B, T - 1, 2) * 2 - 1

    def step():
        z = enc(frames).view(B, T, 256)
        with torch.no_grad():  # the targets of frames 1..T-1, the ones the predictions meet
            later = frames.view(B, T, 3, 64, 64)[:, 1:].reshape(B * (T - 1), 3, 64, 64)
            zt = target(later.contiguous(memory_format=torch.channels_last)).view(B, T - 1, 256)
        h, loss = z[:, 0], 0.0
        for k in range(T - 1):
            h = h + pred(torch.cat([h, actions[:, k]], 1))
            loss = loss + F.mse_loss(h, zt[:, k]) / (T - 1)
        for t in range(T):
            v, c = vicreg(z[:, t])
            loss = loss + v / T + 0.04 * c / T
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pt, po in zip(target.parameters(), enc.parameters()):
                pt.mul_(0.99).add_(po, alpha=0.01)

    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    print(f"samples_per_s {args.steps * B / (time.perf_counter() - t0):.2f}")


if __name__ == "__main__":
    main()
