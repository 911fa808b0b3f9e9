"""What does GradientMonitor cost? Medians of interleaved repeats, CPU, one thread.

Usage: .venv/bin/python benchmarks/monitor_overhead.py [--repeats 21] [--steps 20]

For a 20-layer x 256 MLP and a 50-layer x 64 MLP (batch 128) it times:
  - the gradient-norm recorder alone (per-layer norms, read out once) against
    torch.nn.utils.clip_grad_norm_ on the same gradients (target: <= 0.75x);
  - a full training step with the monitor at every=1 and every=10 against a plain step
    (targets: <= 1.15x and <= 1.03x).
Variants are interleaved within each repeat so that machine noise hits them alike.
With --breakdown it also times what a recorded step is made of, each part right after a
real training step (so with the caches as training leaves them): the per-layer forward
hooks with their activation statistics, the gradient norms, the update-to-data ratios.
With --floor it times the memory traffic that even a single fused kernel would cause.
It also counts the minor page faults per step of each variant (where the OS reports them):
glibc's malloc can hand a few MB back to the OS at the end of a step and fault them in
again in the next one. That costs about a millisecond on the 20 x 256 MLP, and whether it
happens depends on the exact pattern of allocations, so a ratio is only a fair comparison
when both variants show about 0 faults per step.
It prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import gradkit as gk

CASES = [(20, 256), (50, 64)]
TARGETS = {"recorder / clip_grad_norm_": 0.75, "monitor every=1 / plain step": 1.15,
           "monitor every=10 / plain step": 1.03}


def _setup(depth, width, seed=0):
    torch.manual_seed(seed)
    model = gk.MLP(depth, width, in_features=width, out_features=10, activation="relu",
                   init="kaiming")
    x, y = torch.randn(128, width), torch.randint(10, (128,))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model, step


try:
    import resource
except ImportError:                    # not on Windows
    resource = None

FAULTS: collections.Counter = collections.Counter()   # minor page faults, by variant
CALLS: collections.Counter = collections.Counter()    # timed calls, by variant


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def _time(fn, n, name=None):
    """Seconds per call of fn over n calls; with a name, also counts its page faults."""
    f0 = _minor_faults()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    seconds = (time.perf_counter() - t0) / n
    if name is not None:
        FAULTS[name] += _minor_faults() - f0
        CALLS[name] += n
    return seconds


def measure(depth, width, repeats, steps, monitor=None):
    """Medians and target ratios; ``monitor`` is the monitor class (default
    gk.GradientMonitor)."""
    Monitor = gk.GradientMonitor if monitor is None else monitor
    model, step = _setup(depth, width)
    for _ in range(10):
        step()
    monitors = {e: Monitor(model, every=e) for e in (1, 10)}
    F.cross_entropy(model(torch.randn(128, width)), torch.randint(10, (128,))).backward()
    params = list(model.parameters())
    recorder = Monitor(model)          # never attached: only its norm routine

    def read_norms():
        recorder._weight_grads()[1].tolist()

    def clip():
        torch.nn.utils.clip_grad_norm_(params, 1e9)

    times = {k: [] for k in ("plain", "every=1", "every=10", "recorder", "clip")}
    for _ in range(repeats):
        times["plain"].append(_time(step, steps, (depth, width, "plain")))
        for e in (1, 10):
            with monitors[e]:
                times[f"every={e}"].append(_time(step, steps, (depth, width, f"every={e}")))
        F.cross_entropy(model(torch.randn(128, width)), torch.randint(10, (128,))).backward()
        times["recorder"].append(_time(read_norms, 5 * steps))
        times["clip"].append(_time(clip, 5 * steps))
    med = {k: statistics.median(v) for k, v in times.items()}
    return med, {"recorder / clip_grad_norm_": med["recorder"] / med["clip"],
                 "monitor every=1 / plain step": med["every=1"] / med["plain"],
                 "monitor every=10 / plain step": med["every=10"] / med["plain"]}


def breakdown(depth, width, repeats, steps):
    """Microseconds per recorded step of each part of the monitor's work."""
    model, step = _setup(depth, width)
    for _ in range(10):
        step()
    mon = gk.GradientMonitor(model, every=1)
    hooks_only = gk.GradientMonitor(model, every=1)
    hooks_only._record = lambda _step: None     # hooks and in-hook statistics, no record

    def then(part):
        def run():
            step()
            part().tolist()
        return run

    def ratio_parts():
        parts = mon._update_norms()             # None on the first call (buffers made)
        return torch.zeros(0) if parts is None else parts

    variants = {"plain": step,
                "grad norms": then(lambda: mon._weight_grads()[1]),
                "update ratios": then(ratio_parts)}
    times = {k: [] for k in (*variants, "layer hooks + activation stats")}
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(_time(fn, steps))
        with hooks_only:
            times["layer hooks + activation stats"].append(_time(step, steps))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {k: (v - med["plain"]) * 1e6 for k, v in med.items() if k != "plain"}, med["plain"]


def memory_floor(depth, width, repeats):
    """Microseconds of the memory traffic any exact monitor must cause, from cold caches:
    the update ratio must at least read W and W_prev and write W_prev (one fused pass,
    timed here as an in-place subtraction over all weights at once); the gradient norms
    must read every gradient once."""
    model, _ = _setup(depth, width)
    n = sum(m.weight.numel() for m in model.layers)
    w, prev, grad = torch.randn(n), torch.randn(n), torch.randn(n)
    evict = torch.zeros(16 << 20)              # 64 MB, larger than any L2 here

    def cold(fn):
        times = []
        for _ in range(repeats):
            evict.add_(1.0)
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1e6
    return {"update ratio: read W, W_prev, write W_prev": cold(lambda: prev.sub_(w)),
            "gradient norms: read every gradient": cold(lambda: torch.linalg.vector_norm(grad))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--breakdown", action="store_true",
                        help="also time each part of a recorded step")
    parser.add_argument("--floor", action="store_true",
                        help="also time the memory traffic a fused monitor could not avoid")
    args = parser.parse_args()
    if args.repeats < 1 or args.steps < 1:
        parser.error("--repeats and --steps must be >= 1")
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, {args.repeats} interleaved repeats of "
          f"{args.steps} steps, medians")
    for depth, width in CASES:
        med, ratios = measure(depth, width, args.repeats, args.steps)
        print(f"\nMLP {depth} x {width}, batch 128: plain step {med['plain'] * 1e3:.2f} ms, "
              f"every=1 {med['every=1'] * 1e3:.2f} ms, every=10 {med['every=10'] * 1e3:.2f} ms, "
              f"recorder {med['recorder'] * 1e6:.0f} us, clip_grad_norm_ {med['clip'] * 1e6:.0f} us")
        for name, r in ratios.items():
            verdict = "meets" if r <= TARGETS[name] else "MISSES"
            print(f"  {name:<32} {r:6.3f}x   target <= {TARGETS[name]}x: {verdict}")
        if resource is not None:
            print("  minor page faults per step: " + ", ".join(
                f"{v} {FAULTS[depth, width, v] / CALLS[depth, width, v]:.1f}"
                for v in ("plain", "every=1", "every=10")))
        if args.breakdown:
            parts, plain = breakdown(depth, width, args.repeats, args.steps)
            print(f"  parts of a recorded step (added to a plain step of {plain * 1e3:.2f} ms):")
            for name, us in parts.items():
                print(f"    {name:<32} {us:6.0f} us  ({us / (plain * 1e6):.1%})")
        if args.floor:
            print(f"  memory traffic no implementation avoids (cold caches, plain step "
                  f"{med['plain'] * 1e3:.2f} ms):")
            for name, us in memory_floor(depth, width, args.repeats).items():
                print(f"    {name:<44} {us:6.0f} us  ({us / (med['plain'] * 1e6):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
