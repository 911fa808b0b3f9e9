"""Would compiled, fused kernels bring GradientMonitor under its targets? An experiment.

Usage: .venv/bin/python benchmarks/monitor_fused_probe.py [--repeats 21] [--steps 20]

gradkit itself uses PyTorch operations only. This script builds three small C++ loops with
torch.utils.cpp_extension (needs a C++ compiler; the first build takes about 30 s and is
cached), puts them in place of the monitor's three reductions, and times the same training
steps as monitor_overhead.py: each monitor in its own pass, against a plain step timed
in the same interleaved repeats:

  - update norms: ||W - W_prev||, ||W|| and W_prev <- W in one pass over each weight
    (the PyTorch version needs four: subtract, norm, copy, norm);
  - a layer's output: its sum and its norm in one pass (PyTorch: two reductions);
  - the gradient norms of all layers in one call.

The loops keep 16 float32 partial sums (so the compiler can vectorise them) and add those
in float64. Before timing, it checks that both monitors record the same numbers on the
same steps. It prints figures and asserts nothing; nothing in the course depends on it.
"""
from __future__ import annotations

import argparse
import statistics
import sys

import torch

import gradkit as gk
from monitor_overhead import CASES, TARGETS, _setup, measure

_SOURCE = r"""
#include <torch/extension.h>
#include <cmath>
#include <vector>

// the loops read raw memory: only contiguous float32 CPU tensors will do
static void check(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous(),
              what, " must be a contiguous float32 CPU tensor");
}

// sum of x and sum of x^2 over n floats, 16 lanes at a time
static void sum_and_squares(const float* __restrict__ x, long n, double& s, double& q) {
  float ls[16] = {0}, lq[16] = {0};
  long i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) { float v = x[i + k]; ls[k] += v; lq[k] += v * v; }
  s = 0; q = 0;
  for (int k = 0; k < 16; ++k) { s += ls[k]; q += lq[k]; }
  for (; i < n; ++i) { s += x[i]; q += double(x[i]) * x[i]; }
}

// row 0: ||W_l - P_l||, row 1: ||W_l||; then P_l <- W_l. One pass per weight.
torch::Tensor update_norms(const std::vector<torch::Tensor>& W, std::vector<torch::Tensor>& P) {
  const long L = W.size();
  auto out = torch::empty({2, L}, torch::kFloat64);
  double* o = out.data_ptr<double>();
  for (long l = 0; l < L; ++l) {
    check(W[l], "W"); check(P[l], "W_prev");
    TORCH_CHECK(W[l].numel() == P[l].numel(), "W and W_prev must have the same size");
    const float* __restrict__ w = W[l].data_ptr<float>();
    float* __restrict__ p = P[l].data_ptr<float>();
    const long n = W[l].numel();
    float ld[16] = {0}, lw[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16)
      for (int k = 0; k < 16; ++k) {
        float v = w[i + k], d = v - p[i + k];
        ld[k] += d * d; lw[k] += v * v; p[i + k] = v;
      }
    double sd = 0, sw = 0;
    for (int k = 0; k < 16; ++k) { sd += ld[k]; sw += lw[k]; }
    for (; i < n; ++i) { double v = w[i], d = v - p[i]; sd += d * d; sw += v * v; p[i] = w[i]; }
    o[l] = std::sqrt(sd);
    o[L + l] = std::sqrt(sw);
  }
  return out;
}

// out[0][l] = sum(z), out[1][l] = ||z||
void sum_and_norm(const torch::Tensor& z, torch::Tensor& out, long l) {
  check(z, "z");
  TORCH_CHECK(out.scalar_type() == torch::kFloat && out.is_contiguous() && l < out.size(1),
              "out must be a contiguous float32 (2, L) tensor with l < L");
  double s, q;
  sum_and_squares(z.data_ptr<float>(), z.numel(), s, q);
  float* o = out.data_ptr<float>();
  o[l] = s;
  o[out.size(1) + l] = std::sqrt(q);
}

// ||G_l|| for every tensor of the list
torch::Tensor norms(const std::vector<torch::Tensor>& G) {
  auto out = torch::empty({(long)G.size()}, torch::kFloat32);
  float* o = out.data_ptr<float>();
  for (size_t l = 0; l < G.size(); ++l) {
    check(G[l], "a gradient");
    double s, q;
    sum_and_squares(G[l].data_ptr<float>(), G[l].numel(), s, q);
    o[l] = std::sqrt(q);
  }
  return out;
}
"""
# -fassociative-math lets the compiler vectorise the partial sums; unlike -ffast-math it
# keeps inf and NaN, which the monitor must report as they are
_FLAGS = ["-O3", "-march=native", "-fassociative-math", "-fno-signed-zeros",
          "-fno-trapping-math"]


def build():
    from torch.utils.cpp_extension import load_inline
    print("building the C++ kernels (about 30 s the first time, then cached) ...", flush=True)
    return load_inline("gradkit_fused_probe", cpp_sources=_SOURCE,
                       functions=["update_norms", "sum_and_norm", "norms"],
                       extra_cflags=_FLAGS)


def fused_monitor(ext):
    """A GradientMonitor subclass whose three reductions are the C++ loops (float32, CPU,
    contiguous tensors only: this is an experiment, not a general implementation)."""

    class FusedMonitor(gk.GradientMonitor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._update_norms = _FusedUpdateNorms(ext, [W.detach() for W in self._weights])

        def _output_stats(self, l, z):
            if self._stats is None:
                self._stats = torch.full((2, len(self._weights)), float("nan"))
            ext.sum_and_norm(z, self._stats, l)
            self._counts[l] = z.numel()

        def _weight_grads(self):
            grads = [W.grad for W in self._weights]
            return grads, ext.norms(grads)

    return FusedMonitor


class _FusedUpdateNorms:
    def __init__(self, ext, weights):
        self._ext, self._weights, self._previous = ext, weights, None

    def reset(self):
        self._previous = None

    def __call__(self):
        if self._previous is None:
            self._previous = [W.clone() for W in self._weights]
            return None
        return self._ext.update_norms(self._weights, self._previous)


def same_records(Monitor, depth, width, steps=5):
    """Largest relative difference between what the plain and the fused monitor record
    over the same training steps (each statistic relative to its largest magnitude)."""
    records = []
    for cls in (gk.GradientMonitor, Monitor):
        model, step = _setup(depth, width)
        with cls(model) as mon:
            for _ in range(steps):
                step()
        records.append([mon.grad_norms(), mon.activation_means(), mon.activation_stds(),
                        mon.update_ratios()[1:]])
    return max(((a - b).abs().max() / a.abs().max()).item() for a, b in zip(*records))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if args.repeats < 1 or args.steps < 1:
        parser.error("--repeats and --steps must be >= 1")
    try:
        ext = build()
    except Exception as exc:       # no compiler, no Python headers, ...
        print(f"cannot build the C++ kernels here ({type(exc).__name__}: {exc}); "
              "nothing measured")
        return 1
    torch.set_num_threads(1)
    Fused = fused_monitor(ext)
    print(f"torch {torch.__version__}, 1 thread, {args.repeats} interleaved repeats of "
          f"{args.steps} steps, medians; each monitor measured in its own pass")
    for depth, width in CASES:
        print(f"\nMLP {depth} x {width}, batch 128: largest relative difference between the "
              f"two monitors' records {same_records(Fused, depth, width):.1e}")
        for name, cls in (("PyTorch operations", gk.GradientMonitor), ("fused C++ loops", Fused)):
            med, ratios = measure(depth, width, args.repeats, args.steps, monitor=cls)
            print(f"  {name:<19} plain step {med['plain'] * 1e3:.2f} ms: " + ", ".join(
                f"{k.split(' / ')[0]} {r:.3f}x (<= {TARGETS[k]})" for k, r in ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
