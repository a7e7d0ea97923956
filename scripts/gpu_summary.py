#!/usr/bin/env python3
"""The figures of scripts/gpu_check.sh run, from its results folder, as Markdown (the README's
"CUDA" figures come from this output). Standard library only (the GPU machine's python3 and
Debian's both run it).

Usage: gpu_summary.py RESULTS [--dry 0|1]

RESULTS holds machine.txt, greedy.jsonl, wrapper.jsonl and the bench datasets engines-gpu/ and
serve-gpu/ (runs/*.json, one run record each: docs/record.md). Formulas (docs/cuda.md):
  - J per output token (text) = the run's energy over its counted domains / its output tokens; J
    per image (classifiers) = energy / images; the GPU part counts the `gpu` domains (NVML), the
    CPU part the others; medians over the repeats;
  - GPU idle power = the idle baseline of the GPU domains (W), measured before the runs; its share
    of a run's GPU energy = idle W x run duration / the run's GPU joules (median over the runs);
  - serving: output tokens/s and J per output token per stream count (medians over repeats), the
    GPU and CPU parts being the GPU and CPU domains' shares of the run's energy times the latter;
  - wrapper ratio = median of wattserve's decode tokens/s / median of llama-bench's tg tokens/s
    (alternating pairs, same GGUF, context and threads); the goal is >= 0.97.
"""
import argparse
import glob
import json
import os
import statistics
import sys


def records(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*.json"))):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            print(f"gpu_summary.py: skipping {path}: {e}", file=sys.stderr)
            continue
        if r.get("status") == "ok" and not r.get("warmup"):
            out.append(r)
    return out


CPU_KINDS = {"cpu_package", "dram", "psys"}  # a "system" domain (external meter) is in neither part


def parts(r):
    """(GPU joules, CPU-side joules, GPU sources, CPU sources) of a record's counted domains."""
    gpu = cpu = 0.0
    gs, cs = set(), set()
    for d in r["energy"]["domains"]:
        if not d.get("counted", True):
            continue
        if d["kind"] == "gpu":
            gpu += d["joules"]
            gs.add(d["source"])
        elif d["kind"] in CPU_KINDS:
            cpu += d["joules"]
            cs.add(d["source"])
    return gpu, cpu, gs, cs


def unmeasured_gpu(rs):
    """A run on a GPU provider whose meter had no GPU domain: its energy leaves the GPU out."""
    return rs[0]["config"]["model"]["provider"] != "cpu" and not any(parts(r)[2] for r in rs)


def gpu_idle_watts(r):
    base = (r["energy"].get("idle_baseline") or {}).get("watts_by_domain") or {}
    gpu_ids = {d["id"] for d in r["energy"]["domains"] if d["kind"] == "gpu"}
    w = [v for k, v in base.items() if k in gpu_ids]
    return sum(w) if w else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=4):
    return "n/a" if x is None else f"{x:.{digits}g}"


def engines_table(recs, lines):
    groups = {}
    for r in recs:
        m = r["config"]["model"]
        groups.setdefault((m["model"], m["engine"], m["provider"]), []).append(r)
    lines.append("| model | engine | provider | runs | J per output token (or image) | GPU part | CPU part | "
                 "sources (GPU / CPU) | tokens (images)/s |")
    lines.append("|---|---|---|---:|---:|---:|---:|---|---:|")
    for (model, engine, provider), rs in sorted(groups.items()):
        text = "output_tokens" in rs[0]["metrics"]
        unit = "output_tokens" if text else "items"
        per, gp, cp, rate, gsrc, csrc = [], [], [], [], set(), set()
        for r in rs:
            n = r["metrics"].get(unit) or 0
            g, c, gs, cs = parts(r)
            gsrc |= gs
            csrc |= cs
            if n > 0:
                per.append(r["metrics"]["joules"] / n)
                gp.append(g / n if gs else None)
                cp.append(c / n)
            rate.append(r["metrics"].get("output_tokens_per_s" if text else "items_per_s"))
        if unmeasured_gpu(rs):
            print(f"{model} {engine} {provider}: no GPU domain in its records (NVML was not read): "
                  "its energy is not reported", file=sys.stderr)
            per = gp = cp = []
        lines.append(f"| {model} | {engine} | {provider} | {len(rs)} | {fmt(med(per))} | {fmt(med(gp))} | "
                     f"{fmt(med(cp))} | {'/'.join(sorted(gsrc)) or '-'} / {'/'.join(sorted(csrc))} | "
                     f"{fmt(med(rate), 5)} |")
    # GPU against CPU, per model and engine: the ratio of the medians.
    lines.append("")
    lines.append("| model | engine | J per output token (image): GPU / CPU |")
    lines.append("|---|---|---:|")
    for (model, engine, provider), rs in sorted(groups.items()):
        if provider == "cpu":
            continue
        cpu_rs = groups.get((model, engine, "cpu"))
        if not cpu_rs or unmeasured_gpu(rs):
            continue
        unit = "output_tokens" if "output_tokens" in rs[0]["metrics"] else "items"
        a = med([r["metrics"]["joules"] / r["metrics"][unit] for r in rs if r["metrics"].get(unit)])
        b = med([r["metrics"]["joules"] / r["metrics"][unit] for r in cpu_rs if r["metrics"].get(unit)])
        lines.append(f"| {model} | {engine} | {fmt(a / b if a and b else None, 3)} |")


def idle_table(recs, lines):
    idle = med([gpu_idle_watts(r) for r in recs])
    shares = {}
    for r in recs:
        w = gpu_idle_watts(r)
        g, _, gs, _ = parts(r)
        if w is None or not gs or g <= 0:
            continue
        m = r["config"]["model"]
        shares.setdefault((m["model"], m["engine"]), []).append(w * r["energy"]["duration_s"] / g)
    lines.append(f"GPU idle power (idle baseline of the GPU domains, median over runs): {fmt(idle)} W")
    if shares:
        lines.append("")
        lines.append("| model | engine | idle share of the GPU energy (median) |")
        lines.append("|---|---|---:|")
        for (model, engine), xs in sorted(shares.items()):
            lines.append(f"| {model} | {engine} | {fmt(med(xs), 3)} |")


def serve_table(recs, lines):
    groups = {}
    for r in recs:
        groups.setdefault(r["config"]["serving"]["load.streams"], []).append(r)
    lines.append("| streams | runs | output tokens/s | J per output token | GPU part | CPU part | SLO attainment |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|")
    for streams, rs in sorted(groups.items()):
        # The load generator's J per output token is over the measured window (docs/bench-serving.md);
        # its GPU and CPU parts are the domains' shares of the run's energy applied to it.
        gp, cp = [], []
        for r in rs:
            jpot = r["metrics"].get("joules_per_output_token")
            g, c, gs, _ = parts(r)
            if jpot is not None and g + c > 0:
                gp.append(jpot * g / (g + c) if gs else None)
                cp.append(jpot * c / (g + c))
        lines.append(f"| {streams} | {len(rs)} | {fmt(med(r['metrics'].get('output_tokens_per_s') for r in rs), 5)} | "
                     f"{fmt(med(r['metrics'].get('joules_per_output_token') for r in rs))} | {fmt(med(gp))} | "
                     f"{fmt(med(cp))} | {fmt(med(r['metrics'].get('slo_attainment') for r in rs), 3)} |")


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def greedy_table(rows, lines):
    """Rows per model in gpu_check.sh's order: llama on the GPU provider, torch on it, llama on
    cpu. The acceptance pair is the first two (llama.cpp CUDA against LibTorch CUDA)."""
    by_model = {}
    for r in rows:
        by_model.setdefault((r["model"], r.get("prompt", 0)), []).append(r)
    ok = True
    lines.append("| model | prompt | distinct tokens | llama.cpp vs LibTorch (same provider) | "
                 "first difference | llama.cpp GPU provider vs cpu | first difference |")
    lines.append("|---|---:|---:|---|---:|---|---:|")
    for (model, prompt), rs in sorted(by_model.items()):
        if len(rs) < 3:
            lines.append(f"| {model} | {prompt} | | incomplete ({len(rs)} runs) | | | |")
            ok = False
            continue
        d1 = first_difference(rs[0]["token_ids"], rs[1]["token_ids"])
        d2 = first_difference(rs[0]["token_ids"], rs[2]["token_ids"])
        ok &= d1 is None
        lines.append(f"| {model} | {prompt} | {len(set(rs[0]['token_ids']))} | "
                     f"{rs[0]['engine']} {rs[0]['provider']} / {rs[1]['engine']} {rs[1]['provider']}: "
                     f"{'identical' if d1 is None else 'differ'} | {'-' if d1 is None else d1} | "
                     f"{'identical' if d2 is None else 'differ'} | {'-' if d2 is None else d2} |")
    return ok


def wrapper_table(rows, lines):
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], {}).setdefault(r["side"], []).append(r["tokens_per_s"])
    lines.append("| model | pairs | wattserve tokens/s | llama-bench tokens/s | ratio (goal >= 0.97) |")
    lines.append("|---|---:|---:|---:|---:|")
    for model, sides in sorted(by_model.items()):
        a, b = med(sides.get("wattserve", [])), med(sides.get("llama-bench", []))
        lines.append(f"| {model} | {len(sides.get('wattserve', []))} | {fmt(a, 5)} | {fmt(b, 5)} | "
                     f"{fmt(a / b if a and b else None, 3)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results")
    ap.add_argument("--dry", default="0", choices=["0", "1"])
    a = ap.parse_args()
    if not os.path.isdir(a.results):
        sys.exit(f"gpu_summary.py: {a.results} is not a folder")
    lines = ["# wattserve GPU check", ""]
    if a.dry == "1":
        lines += ["**DRY REHEARSAL on a machine without a GPU: every `cuda` cell ran on `cpu`. "
                  "No figure below is a GPU figure.**", ""]
    with open(os.path.join(a.results, "machine.txt")) as f:
        lines += ["```", f.read().rstrip(), "```", ""]
    lines += ["## Greedy tokens (f32, 64 tokens)", ""]
    same = greedy_table(read_jsonl(os.path.join(a.results, "greedy.jsonl")), lines)
    eng = records(os.path.join(a.results, "engines-gpu"))
    lines += ["", "## Energy per output token (image), GPU against CPU", ""]
    engines_table(eng, lines)
    lines += ["", "## GPU idle power", ""]
    idle_table(eng, lines)
    lines += ["", "## Serving (closed loop)", ""]
    serve_table(records(os.path.join(a.results, "serve-gpu")), lines)
    lines += ["", "## Wrapper cost against llama-bench", ""]
    wrapper_table(read_jsonl(os.path.join(a.results, "wrapper.jsonl")), lines)
    print("\n".join(lines))
    if not same:
        print("\ngreedy tokens differ between engines (see the table above)", file=sys.stderr)


if __name__ == "__main__":
    main()
