#!/usr/bin/env python3
"""PyTorch reference models for the layer parity test (tests/test_parity.c).

Builds two small models (docs: /work/parity-spec.md, summarised in tools/README.md), runs them
on fixed inputs in train() mode, and writes tests/ref/pldm_ref.safetensors and
tests/ref/lewm_ref.safetensors holding:
  <state_dict name>   the initial parameters and buffers (float32)
  input.frames, input.actions
  output.z, output.pred, output.loss [1], output.loss_terms [k]
  grad.<param>        the gradient of output.loss for every trainable parameter
  adamw.losses [5]    the loss before each of 5 AdamW steps (adamw.losses[0] == output.loss)
  after.<name>        every parameter and buffer after the 5 steps
The forward/backward that gives output.* and grad.* is AdamW step 0, so BatchNorm running
statistics are updated 5 times in all. num_batches_tracked (an int64 counter that has no
effect when momentum is set) is left out; PyTorch's BatchNorm fills it in on load.

Usage: python3 tools/gen_reference.py [--out tests/ref]
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

STEPS = 5
LR, BETAS, EPS, WEIGHT_DECAY = 1e-3, (0.9, 0.999), 1e-8, 0.01


# ---- (a) pldm_ref: IMPALA CNN encoder, GRU predictor, VICReg ----

PLDM_CONFIG = dict(batch=4, frames=3, channels=3, image=16, action_dim=2, stages=[8, 16],
                   latent=32, var_coeff=1.0, cov_coeff=0.04, var_eps=1e-4)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv0 = nn.Conv2d(c, c, 3, 1, 1)
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return x + self.conv1(F.relu(self.conv0(F.relu(x))))


class ImpalaStage(nn.Module):
    def __init__(self, c_in, c):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c, 3, 1, 1)
        self.res = nn.ModuleList([ResBlock(c), ResBlock(c)])

    def forward(self, x):
        x = F.max_pool2d(self.conv(x), 3, stride=2, padding=1)
        for block in self.res:
            x = block(x)
        return x


class ImpalaEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        stages, c = [], cfg["channels"]
        for width in cfg["stages"]:
            stages.append(ImpalaStage(c, width))
            c = width
        self.stages = nn.ModuleList(stages)
        side = cfg["image"] // 2 ** len(cfg["stages"])
        self.fc = nn.Linear(c * side * side, cfg["latent"])

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return self.fc(F.relu(x).flatten(1))


class GRUPredictor(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gru = nn.GRUCell(cfg["action_dim"], cfg["latent"])

    def forward(self, z0, actions):
        h, out = z0, []
        for t in range(actions.shape[1]):
            h = self.gru(actions[:, t], h)
            out.append(h)
        return torch.stack(out, 1)


class PLDM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = ImpalaEncoder(cfg)
        self.predictor = GRUPredictor(cfg)

    def forward(self, frames, actions):
        B, T = frames.shape[:2]
        z = self.encoder(frames.flatten(0, 1)).reshape(B, T, -1)
        pred = self.predictor(z[:, 0], actions)
        cfg = self.cfg
        l_pred = F.mse_loss(pred, z[:, 1:])
        Z = z.reshape(B * T, -1)
        N, D = Z.shape
        Zc = Z - Z.mean(0)
        l_var = F.relu(1 - torch.sqrt(Zc.var(0, unbiased=True) + cfg["var_eps"])).mean()
        cov = Zc.T @ Zc / (N - 1)
        off = cov - torch.diag(torch.diagonal(cov))
        l_cov = off.pow(2).sum() / D
        loss = l_pred + cfg["var_coeff"] * l_var + cfg["cov_coeff"] * l_cov
        return z, pred, loss, torch.stack([l_pred, l_var, l_cov])


def pldm_inputs(cfg):
    B, T = cfg["batch"], cfg["frames"]
    frames = torch.rand(B, T, cfg["channels"], cfg["image"], cfg["image"])
    actions = torch.rand(B, T - 1, cfg["action_dim"]) * 2 - 1
    return frames, actions


# ---- (b) lewm_ref: tiny ViT encoder + projector, AdaLN-zero transformer predictor ----

LEWM_CONFIG = dict(batch=2, frames=3, channels=3, image=16, patch=4, action_dim=2, dim=32,
                   heads=2, mlp_hidden=64, proj_hidden=64, latent=32, ln_eps=1e-6)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, causal):
        B, N, E = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, E // self.heads).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=causal)
        return self.proj(o.transpose(1, 2).reshape(B, N, E))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block; with cond, AdaLN-zero (DiT) and non-affine norms."""

    def __init__(self, cfg, cond):
        super().__init__()
        dim, eps = cfg["dim"], cfg["ln_eps"]
        self.norm1 = nn.LayerNorm(dim, eps=eps, elementwise_affine=not cond)
        self.attn = Attention(dim, cfg["heads"])
        self.norm2 = nn.LayerNorm(dim, eps=eps, elementwise_affine=not cond)
        self.mlp = Mlp(dim, cfg["mlp_hidden"])
        self.cond = cond
        if cond:
            self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
            nn.init.zeros_(self.adaLN_modulation[1].weight)
            nn.init.zeros_(self.adaLN_modulation[1].bias)

    def forward(self, x, c=None, causal=False):
        if not self.cond:
            x = x + self.attn(self.norm1(x), causal)
            return x + self.mlp(self.norm2(x))
        shift1, scale1, gate1, shift2, scale2, gate2 = self.adaLN_modulation(c).chunk(6, dim=-1)
        x = x + gate1 * self.attn(self.norm1(x) * (1 + scale1) + shift1, causal)
        return x + gate2 * self.mlp(self.norm2(x) * (1 + scale2) + shift2)


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.proj = nn.Conv2d(cfg["channels"], cfg["dim"], cfg["patch"], stride=cfg["patch"])

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViTEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim = cfg["dim"]
        tokens = (cfg["image"] // cfg["patch"]) ** 2 + 1
        self.patch_embed = PatchEmbed(cfg)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList([Block(cfg, cond=False)])
        self.norm = nn.LayerNorm(dim, eps=cfg["ln_eps"])

    def forward(self, x):
        t = self.patch_embed(x)
        t = torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], 1) + self.pos_embed
        for block in self.blocks:
            t = block(t)
        return self.norm(t)[:, 0]


class Projector(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg["dim"], cfg["proj_hidden"]),
                                 nn.BatchNorm1d(cfg["proj_hidden"]), nn.ReLU(),
                                 nn.Linear(cfg["proj_hidden"], cfg["latent"]))

    def forward(self, x):
        return self.net(x)


class TransformerPredictor(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim = cfg["dim"]
        self.action_embed = nn.Linear(cfg["action_dim"], dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, cfg["frames"], dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList([Block(cfg, cond=True)])
        # AdaLN-zero makes the block the identity at init, with zero gradients: re-draw it
        for block in self.blocks:
            nn.init.normal_(block.adaLN_modulation[1].weight, std=0.02)
            nn.init.normal_(block.adaLN_modulation[1].bias, std=0.02)
        self.norm = nn.LayerNorm(dim, eps=cfg["ln_eps"])
        self.head = nn.Linear(dim, cfg["latent"])

    def forward(self, z, actions):
        c = self.action_embed(actions)
        x = z + self.pos_embed[:, : z.shape[1]]
        for block in self.blocks:
            x = block(x, c, causal=True)
        return self.head(self.norm(x))


class LeWM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = ViTEncoder(cfg)
        self.projector = Projector(cfg)
        self.predictor = TransformerPredictor(cfg)

    def forward(self, frames, actions):
        B, T = frames.shape[:2]
        z = self.projector(self.encoder(frames.flatten(0, 1))).reshape(B, T, -1)
        pred = self.predictor(z, actions)
        l_pred = F.mse_loss(pred[:, :-1], z[:, 1:])
        return z, pred, l_pred, l_pred.reshape(1)


def lewm_inputs(cfg):
    B, T = cfg["batch"], cfg["frames"]
    frames = torch.rand(B, T, cfg["channels"], cfg["image"], cfg["image"])
    actions = torch.rand(B, T, cfg["action_dim"]) * 2 - 1
    return frames, actions


MODELS = {
    "pldm_ref": (PLDM, PLDM_CONFIG, pldm_inputs),
    "lewm_ref": (LeWM, LEWM_CONFIG, lewm_inputs),
}


# ---- the run: 5 AdamW steps; step 0 gives the outputs and gradients ----

def no_decay(name, param):
    return param.ndim <= 1 or name.endswith("cls_token") or name.endswith("pos_embed")


def state(model, prefix=""):
    return {prefix + k: v.detach().clone().float().contiguous()
            for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def generate(name):
    cls, cfg, make_inputs = MODELS[name]
    torch.manual_seed(0)
    model = cls(cfg).float()
    frames, actions = make_inputs(cfg)
    model.train()
    out = state(model)
    out["input.frames"] = frames.contiguous()
    out["input.actions"] = actions.contiguous()

    params = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in params if not no_decay(n, p)], "weight_decay": WEIGHT_DECAY},
        {"params": [p for n, p in params if no_decay(n, p)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=LR, betas=BETAS, eps=EPS)
    losses = []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=False)
        z, pred, loss, terms = model(frames, actions)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            out["output.z"] = z.detach().clone().contiguous()
            out["output.pred"] = pred.detach().clone().contiguous()
            out["output.loss"] = loss.detach().reshape(1).clone()
            out["output.loss_terms"] = terms.detach().clone()
            for n, p in params:
                assert p.grad is not None and torch.isfinite(p.grad).all(), n
                out["grad." + n] = p.grad.detach().clone().contiguous()
        opt.step()
    out["adamw.losses"] = torch.tensor(losses, dtype=torch.float32)
    out.update(state(model, "after."))
    assert all(math.isfinite(v) for v in losses)
    meta = {"model": name, "config": json.dumps(cfg, sort_keys=True), "torch": torch.__version__}
    return out, meta, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref")))
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    os.makedirs(args.out, exist_ok=True)
    for name in MODELS:
        tensors, meta, losses = generate(name)
        path = os.path.join(args.out, name + ".safetensors")
        save_file(tensors, path, metadata=meta)
        print(f"{path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes, "
              f"losses {', '.join(f'{x:.6f}' for x in losses)}")


if __name__ == "__main__":
    main()
