#!/usr/bin/env python3
"""PyTorch on the BM-1 conv layers and the keypoint autoencoder's, for a side-by-side ratio with
build/bench/bench_kernels.

Same layers (BM-1: 4x4 kernel, stride 2, pad 1, no bias; 3->32->64->128->128 channels, 64x64
input; keypoints: 5x5 stride 2 3->32 at 64x64, then at 32x32 3x3 32->32 and 32->16, 5x5 16->32,
32->32 and 32->3, padding k/2),
same batch (64 frames), 1 and 2 threads, best of several runs; each layer in NCHW and in
channels-last memory format (PyTorch's oneDNN path often prefers the latter), the better one
reported. Passes: fwd (inference mode), bwd-dx, bwd-dw, bwd (dx + dw, one autograd call).
Optional: nothing in the build or the tests needs Python.

    python3 tools/bench_torch_conv.py
"""
import time

import torch

BATCH = 64
# (name, input channels, output channels, input size, kernel, stride)
LAYERS = [(f"conv{i + 1}", c, o, 64 >> i, 4, 2)
          for i, (c, o) in enumerate([(3, 32), (32, 64), (64, 128), (128, 128)])]
LAYERS += [(f"kp{i + 1}", c, o, s, k, st) for i, (c, o, s, k, st) in enumerate(
    [(3, 32, 64, 5, 2), (32, 32, 32, 3, 1), (32, 16, 32, 3, 1), (16, 32, 32, 5, 1),
     (32, 32, 32, 5, 1), (32, 3, 32, 5, 1)])]


def best_time(fn, budget=0.5, min_reps=3):
    fn()
    best, start, reps = float("inf"), time.perf_counter(), 0
    while reps < min_reps or (time.perf_counter() - start < budget and reps < 200):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return best


def layer_times(cin, cout, size, k, stride, fmt):
    conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2 - (k % 2 == 0), bias=False)
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
        for layer, cin, cout, size, k, stride in LAYERS:
            out = size // stride
            flops = 2.0 * BATCH * cout * cin * k * k * out * out
            results = {fmt: layer_times(cin, cout, size, k, stride, fmt)
                       for fmt in ("contiguous", "channels_last")}
            for name in ("fwd", "bwd", "bwd-dx", "bwd-dw"):
                fmt = min(results, key=lambda f: results[f][name])
                t = results[fmt][name]
                f = 2 * flops if name == "bwd" else flops
                label = f"{layer} {cin}->{cout} {size}x{size} k{k} {name}"
                print(f"{label:<34} {threads:>7} {t * 1e3:>10.3f} {f / t * 1e-9:>9.1f}  {fmt}")


if __name__ == "__main__":
    main()
