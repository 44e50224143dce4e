#!/usr/bin/env python3
"""PyTorch on the BM-1 conv layers, for a side-by-side ratio with build/bench/bench_kernels.

Same layers (4x4 kernel, stride 2, pad 1, no bias; 3->32->64->128->128 channels, 64x64 input),
same batch (64 frames), 1 and 2 threads, best of several runs; each layer in NCHW and in
channels-last memory format (PyTorch's oneDNN path often prefers the latter), the better one
reported. Passes: fwd (inference mode), bwd-dx, bwd-dw, bwd (dx + dw, one autograd call).
Optional: nothing in the build or the tests needs Python.

    python3 tools/bench_torch_conv.py
"""
import time

import torch

BATCH = 64
CHANNELS = [3, 32, 64, 128, 128]


def best_time(fn, budget=0.5, min_reps=3):
    fn()
    best, start, reps = float("inf"), time.perf_counter(), 0
    while reps < min_reps or (time.perf_counter() - start < budget and reps < 200):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return best


def layer_times(cin, cout, size, fmt):
    conv = torch.nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=False)
    x = torch.randn(BATCH, cin, size, size)
    if fmt == "channels_last":
        conv = conv.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    times = {}
    with torch.inference_mode():
        times["fwd"] = best_time(lambda: conv(x))
    xg = x.clone().requires_grad_(True)
    y = conv(xg)
    dy = torch.randn_like(y)

    def backward(need_x, need_w):
        inputs = ([xg] if need_x else []) + ([conv.weight] if need_w else [])
        torch.autograd.grad(y, inputs, dy, retain_graph=True)

    times["bwd"] = best_time(lambda: backward(True, True))
    times["bwd-dx"] = best_time(lambda: backward(True, False))
    times["bwd-dw"] = best_time(lambda: backward(False, True))
    return times


def main():
    print(f"PyTorch {torch.__version__}, batch {BATCH} frames, best of several runs, "
          "GFLOPS counted as 2*N*O*C*KH*KW*OH*OW per pass (bwd = 2 passes)")
    print(f"{'layer / pass':<34} {'threads':>7} {'ms':>10} {'GFLOPS':>9}  format")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        size = 64
        for layer in range(4):
            cin, cout, out = CHANNELS[layer], CHANNELS[layer + 1], size // 2
            flops = 2.0 * BATCH * cout * cin * 16 * out * out
            results = {fmt: layer_times(cin, cout, size, fmt)
                       for fmt in ("contiguous", "channels_last")}
            for name in ("fwd", "bwd", "bwd-dx", "bwd-dw"):
                fmt = min(results, key=lambda f: results[f][name])
                t = results[fmt][name]
                f = 2 * flops if name == "bwd" else flops
                label = f"conv{layer + 1} {cin}->{cout} {size}x{size} {name}"
                print(f"{label:<34} {threads:>7} {t * 1e3:>10.3f} {f / t * 1e-9:>9.1f}  {fmt}")
            size //= 2


if __name__ == "__main__":
    main()
