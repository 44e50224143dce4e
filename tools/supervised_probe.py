#!/usr/bin/env python3
"""How readable each state variable is from one frame, given labels: a supervised upper bound
for `jepa probe`.

Trains BM-1's conv encoder (4 x [conv 4x4 stride 2, GroupNorm(8), ReLU], 3 -> 32 -> 64 -> 128
-> 128) with a 2-layer head to regress a dataset's state variables from single frames (angles as
cos and sin), on the training episodes, and prints the held-out R^2 of each variable every
--every steps (angles pooled over cos and sin, as `jepa probe` scores them). A variable that
this reaches quickly but the world model's probe does not is one the JEPA objective leaves out.

    python3 tools/supervised_probe.py --data DIR [--vars NAME,...] [--steps 600] [--every 200]
                                      [--threads 2] [--autoencode SIDE [--latent 128 | --keypoints K]]

--autoencode SIDE: no labels. The same encoder, its last layer giving a latent of --latent
values, learns to reconstruct each frame in grey at SIDE x SIDE pixels through an MLP decoder
(latent -> 1024 -> ReLU -> SIDE^2, mean squared error); what is printed is then a linear probe's
held-out R^2 of each variable from the latent (ridge, fitted on 4,000 training frames, scored on
2,000 held-out ones), and every 2,500 steps a 2-layer MLP probe's too: whether reconstructing
the pixels, rather than predicting latents, makes the encoder hold a variable.

--keypoints K (with --autoencode): a deep spatial autoencoder instead (Finn et al., 2016): three
convolutions at half the frame's resolution end in K feature maps, each turned by a spatial
softmax into the expected (x, y) of its activation, and those 2K coordinates are the latent the
decoder reconstructs the frame from. A keypoint that settles on a rigid object moves with it, so
two on one body give its angle linearly (their difference is the body's rotation applied to a
fixed vector).

DIR is a dataset of `jepa collect` (docs/datasets.md); the frames are memory-mapped.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def load(data):
    try:
        manifest = json.load(open(os.path.join(data, "manifest.json")))
        frames = np.load(os.path.join(data, "frames.npy"), mmap_mode="r")
        states = np.load(os.path.join(data, "states.npy"), mmap_mode="r")
    except (OSError, ValueError) as e:
        sys.exit(f"supervised_probe: {data}: {e}")
    names = manifest.get("state_names") or [f"state[{i}]" for i in range(states.shape[-1])]
    return frames, states, names, set(manifest.get("angle_states", []))


def columns(n, angles):
    """the target columns of each of n variables: an angle has two (cosine, sine)"""
    cols = []
    for i in range(n):
        first = sum(len(c) for c in cols)
        cols.append([first, first + 1] if i in angles else [first])
    return cols


def targets(s, angles):
    """state rows (n, S) -> regression targets, an angle as its cosine and sine"""
    out = []
    for i in range(s.shape[1]):
        out += [np.cos(s[:, i]), np.sin(s[:, i])] if i in angles else [s[:, i]]
    return np.stack(out, 1)


def encoder(k, image):
    layers, c = [], 3
    for o in (32, 64, 128, 128):
        layers += [nn.Conv2d(c, o, 4, 2, 1, bias=False), nn.GroupNorm(8, o), nn.ReLU()]
        c = o
    flat = c * (image // 16) ** 2  # four stride-2 stages
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, k))


class KeypointEncoder(nn.Module):
    """frames -> K keypoints' expected (x, y) in [-1, 1], by a spatial softmax of K feature maps"""

    def __init__(self, k):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 32, 5, 2, 2), nn.ReLU(), nn.Conv2d(32, 32, 3, 1, 1),
                                  nn.ReLU(), nn.Conv2d(32, k, 3, 1, 1))
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        f = self.conv(x)
        n, k, h, w = f.shape
        p = torch.softmax(f.flatten(2) / self.log_temperature.exp(), -1).view(n, k, h, w)
        ys, xs = torch.linspace(-1, 1, h), torch.linspace(-1, 1, w)
        return torch.cat([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], 1)


class KeypointDecoder(nn.Module):
    """K keypoints -> a grey side x side frame: a Gaussian map at each keypoint, then convolutions
    that draw what lies around the keypoints (their reach, 13 pixels, spans the T)"""

    def __init__(self, k, side):
        super().__init__()
        self.k, self.side = k, side
        self.conv = nn.Sequential(nn.Conv2d(k, 32, 5, 1, 2), nn.ReLU(), nn.Conv2d(32, 32, 5, 1, 2),
                                  nn.ReLU(), nn.Conv2d(32, 1, 5, 1, 2))

    def forward(self, z):
        g = torch.linspace(-1, 1, self.side)
        x, y = z[:, :self.k, None, None], z[:, self.k:, None, None]
        maps = torch.exp(-((g[None, None, None, :] - x) ** 2 + (g[None, None, :, None] - y) ** 2)
                         / (2 * 0.1 ** 2))
        return self.conv(maps).flatten(1)


def r2(p, y, cols):
    """each variable's R^2 of predictions p against targets y, over its columns"""
    return [1 - ((p[:, c] - y[:, c]) ** 2).sum() / ((y[:, c] - y[:, c].mean(0)) ** 2).sum()
            for c in cols]


def linear_probe(ztr, ytr, zte):
    """ridge regression from latents to targets, fitted on (ztr, ytr), applied to zte"""
    a = np.c_[ztr, np.ones(len(ztr))]
    w = np.linalg.solve(a.T @ a + 1e-3 * np.eye(a.shape[1]), a.T @ ytr)
    return np.c_[zte, np.ones(len(zte))] @ w


def mlp_probe(ztr, ytr, zte, steps=1500):
    """a 2-layer MLP (256 hidden) from standardized latents to standardized targets"""
    mu, sd, ym, ys = ztr.mean(0), ztr.std(0) + 1e-6, ytr.mean(0), ytr.std(0) + 1e-8
    x, y = torch.tensor((ztr - mu) / sd).float(), torch.tensor((ytr - ym) / ys).float()
    g = torch.Generator().manual_seed(0)
    net = nn.Sequential(nn.Linear(x.shape[1], 256), nn.ReLU(), nn.Linear(256, y.shape[1]))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(steps):
        i = torch.randint(0, len(x), (256,), generator=g)
        loss = ((net(x[i]) - y[i]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return net(torch.tensor((zte - mu) / sd).float()).double().numpy() * ys + ym


def autoencode(a, batch, cols, names, image):
    """train the encoder and a decoder on grey frames; probe the latent for the variables"""
    if image % a.autoencode:
        sys.exit(f"supervised_probe: --autoencode {a.autoencode} does not divide the frames' "
                 f"{image} pixels")
    net = KeypointEncoder(a.keypoints) if a.keypoints else encoder(a.latent, image)
    latent = 2 * a.keypoints if a.keypoints else a.latent
    dec = KeypointDecoder(a.keypoints, a.autoencode) if a.keypoints else \
        nn.Sequential(nn.Linear(latent, 1024), nn.ReLU(), nn.Linear(1024, a.autoencode ** 2))
    opt = torch.optim.AdamW(list(net.parameters()) + list(dec.parameters()), 3e-4,
                            weight_decay=0.01)
    xtr, ytr = batch(True, 4000)
    xte, yte = batch(False, 2000)

    def grey(x):  # (n, 3, H, W) -> (n, SIDE^2)
        return nn.functional.avg_pool2d(x.mean(1, keepdim=True), image // a.autoencode).flatten(1)

    def latents(x):
        with torch.no_grad():
            return torch.cat([net(x[i:i + 500]) for i in range(0, len(x), 500)]).double().numpy()

    t0 = time.time()
    for step in range(1, a.steps + 1):
        x, _ = batch(True, 64)
        loss = ((dec(net(x)) - grey(x)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % a.every == 0 or step == a.steps:
            ztr, zte = latents(xtr), latents(xte)
            line = ", ".join(f"{n} {v:.3f}" for n, v in
                             zip(names, r2(linear_probe(ztr, ytr, zte), yte, cols)))
            if step % 2500 == 0 or step == a.steps:
                line += "; MLP probe: " + ", ".join(
                    f"{n} {v:.3f}" for n, v in zip(names, r2(mlp_probe(ztr, ytr, zte), yte, cols)))
            print(f"step {step} ({time.time() - t0:.0f} s, loss {loss.item():.5f}): linear probe: "
                  f"{line}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--vars", help="the state variables to read, by name (default: all)")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--autoencode", type=int, metavar="SIDE",
                    help="no labels: reconstruct grey SIDE x SIDE frames, probe the latent")
    ap.add_argument("--latent", type=int, default=128, help="the latent's size with --autoencode")
    ap.add_argument("--keypoints", type=int, metavar="K",
                    help="with --autoencode: a latent of K keypoints (x, y) by a spatial softmax")
    a = ap.parse_args()
    if a.keypoints is not None and (not a.autoencode or a.keypoints < 1):
        sys.exit("supervised_probe: --keypoints needs --autoencode and at least 1 keypoint")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    frames, states, names, angles = load(a.data)
    keep = list(range(len(names)))
    if a.vars:
        wanted = a.vars.split(",")
        unknown = [v for v in wanted if v not in names]
        if unknown:
            sys.exit(f"supervised_probe: no state variable {unknown[0]!r} (the dataset has "
                     f"{', '.join(names)})")
        keep = [names.index(v) for v in wanted]
    angles = {keep.index(i) for i in angles if i in keep}
    names = [names[i] for i in keep]
    cols = columns(len(keep), angles)
    episodes, steps = frames.shape[0], frames.shape[1]
    held = max(1, episodes // 10)  # the last tenth of the episodes is held out
    rng = np.random.default_rng(a.seed)

    def batch(first, count, n):
        e, t = rng.integers(first, first + count, n), rng.integers(0, steps, n)
        x = np.stack([frames[i, j] for i, j in zip(e, t)])
        y = targets(np.stack([states[i, j][keep] for i, j in zip(e, t)]).astype(np.float64), angles)
        return torch.tensor(x).permute(0, 3, 1, 2).float() / 255, y

    if a.autoencode:
        def split(training, n):
            return batch(0, episodes - held, n) if training else batch(episodes - held, held, n)
        autoencode(a, split, cols, names, frames.shape[2])
        return
    xv, yv = batch(episodes - held, held, 1000)
    y_scale = batch(0, episodes - held, 1000)[1]  # targets standardized on training rows
    mean, std = y_scale.mean(0), y_scale.std(0) + 1e-8
    net = encoder(yv.shape[1], frames.shape[2])
    opt = torch.optim.AdamW(net.parameters(), 5e-4, weight_decay=0.01)
    t0 = time.time()

    def report(step):
        with torch.no_grad():
            p = net(xv).double().numpy() * std + mean
        print(f"step {step} ({time.time() - t0:.0f} s): " +
              ", ".join(f"{n} {v:.3f}" for n, v in zip(names, r2(p, yv, cols))), flush=True)

    report(0)
    for step in range(1, a.steps + 1):
        x, y = batch(0, episodes - held, 64)
        loss = ((net(x) - torch.tensor((y - mean) / std).float()) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % a.every == 0 or step == a.steps:
            report(step)

if __name__ == "__main__":
    main()
