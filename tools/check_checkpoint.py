#!/usr/bin/env python3
"""Check that a safetensors file (e.g. a checkpoint written by jepa.c) opens in Python.

Opens the file twice, with safetensors.safe_open and with safetensors.torch.load_file, prints the
metadata and every tensor's name, dtype and shape, and checks that both readers agree and that
every float is finite. With --model pldm_ref|lewm_ref it also loads the tensors that are not
reference extras (input., output., grad., adamw., after.) into that PyTorch model from
tools/gen_reference.py with load_state_dict(strict=True) and runs its forward. With
--after REF (a tests/ref file) it prints the largest relative difference (max-norm per tensor)
of each parameter from REF's after.<name>, the weights PyTorch reached after its AdamW steps.
Exits 0 when every check passes, 1 otherwise.

Usage: python3 tools/check_checkpoint.py FILE [--model pldm_ref|lewm_ref] [--after REF] [--quiet]
"""
import argparse
import importlib.util
import os
import sys

EXTRA_PREFIXES = ("input.", "output.", "grad.", "adamw.", "after.")


def load_reference_models():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_reference.py")
    spec = importlib.util.spec_from_file_location("gen_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(path, model_name, after_path, quiet):
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
        names = list(f.keys())
        first = {k: f.get_tensor(k) for k in names}
    print(f"{path}: {len(names)} tensors")
    for k in sorted(meta):
        print(f"  metadata {k} = {meta[k][:200]}")
    tensors = load_file(path)
    failures = 0
    if sorted(tensors) != sorted(names):
        print("FAIL: safe_open and load_file list different tensors")
        failures += 1
    for k in sorted(tensors):
        t = tensors[k]
        if not quiet:
            print(f"  {k:60s} {str(t.dtype):15s} {tuple(t.shape)}")
        if not torch.equal(t, first[k]):
            print(f"FAIL: {k} differs between the two readers")
            failures += 1
        if t.is_floating_point() and not torch.isfinite(t).all():
            print(f"FAIL: {k} has non-finite values")
            failures += 1

    if model_name:
        ref = load_reference_models()
        cls, cfg, make_inputs = ref.MODELS[model_name]
        model = cls(cfg)
        state = {k: v for k, v in tensors.items() if not k.startswith(EXTRA_PREFIXES)}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as e:
            print(f"FAIL: load_state_dict(strict=True) into {model_name}: {e}")
            return 1
        model.eval()
        torch.manual_seed(0)
        with torch.no_grad():
            frames, actions = make_inputs(cfg)
            z, pred, loss, _ = model(frames, actions)
        if not torch.isfinite(loss):
            print(f"FAIL: {model_name} forward gives a non-finite loss")
            failures += 1
        print(f"  load_state_dict(strict=True) into {model_name}: ok; eval loss {loss.item():.6f}")
    if after_path:
        ref = load_file(after_path)
        worst, worst_name = 0.0, None
        for k, t in tensors.items():
            if k.startswith(EXTRA_PREFIXES):
                continue
            r = ref.get("after." + k)
            if r is None or r.shape != t.shape:
                print(f"FAIL: {after_path} has no after.{k} of shape {tuple(t.shape)}")
                failures += 1
                continue
            e = ((t - r).abs().max() / r.abs().max().clamp_min(1e-30)).item()
            if e >= worst:
                worst, worst_name = e, k
        print(f"  largest relative difference from {after_path} after.*: {worst:.2e} ({worst_name})")
    print("ok" if failures == 0 else f"{failures} failure(s)")
    return 0 if failures == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--model", choices=["pldm_ref", "lewm_ref"])
    ap.add_argument("--after", metavar="REF", help="compare with REF's after.<name> tensors")
    ap.add_argument("--quiet", action="store_true", help="do not list every tensor")
    args = ap.parse_args()
    try:
        return check(args.file, args.model, args.after, args.quiet)
    except Exception as e:  # any reader error is a failed check
        print(f"FAIL: {type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
