#!/usr/bin/env python3
"""Prints a short summary of a tools/bench.sh run to paste into an issue: the CPU, which SIMD
kernels it runs, per-face classification time (fp32 and int8, each shipped model) and face
detection time per 640x480 frame, all on one thread, from Google Benchmark's JSON files.

    bench-summary.py RESULTS_DIR     (tools/bench.sh writes build-bench/results/)
"""

import argparse
import glob
import json
import os
import platform
import sys


def cpu_description():
    """The CPU's name and the features fer's kernels choose by, from /proc/cpuinfo."""
    name, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key in ("model name", "Model") and not name:
                    name = value
                elif key == "CPU part" and not name:
                    name = f"ARM part {value}"
                elif key in ("flags", "Features"):
                    flags.update(value.split())
    except OSError:
        pass
    machine = platform.machine()
    if machine == "x86_64":
        kernels = "AVX2+FMA" if {"avx2", "fma"} <= flags else "plain C++ (no AVX2+FMA)"
        if {"avx2", "fma", "avx512f"} <= flags:
            kernels += ", AVX-512 (fp32 GEMM, depthwise, first layers)"
    elif machine == "aarch64":
        kernels = "NEON" + (", int8 dot product (SDOT)" if "asimddp" in flags else
                            ", no dot product (int8: plain kernel)")
    else:
        kernels = "plain C++"
    return f"{name or 'unknown CPU'} ({machine}, {os.cpu_count()} logical CPUs); fer kernels: {kernels}"


def read_times(folder):
    """Benchmark name -> median real time in ms (or the only run's)."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path) as f:
            data = json.load(f)
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            name = b.get("run_name", b["name"])
            scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
            runs[name] = b["real_time"] * scale
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    args = parser.parse_args()
    times = read_times(args.results)
    if not times:
        sys.exit(f"bench-summary: no benchmark results in {args.results}")

    def ms(name):
        value = times.get(name)
        return "-" if value is None else f"{value:.2f} ms"

    lines = ["fer benchmark summary (one thread; Google Benchmark, real time)",
             "CPU: " + cpu_description()]
    for label, model in (("Human's model", "human_emotion"),
                         ("face-api's model", "faceapi_expression"),
                         ("mini-Xception", "mini_xception")):
        if f"{model}/fp32" in times:
            lines.append(f"per face, {label}: fp32 {ms(model + '/fp32')}, "
                         f"int8 {ms(model + '/int8')}")
    lines.append("detection per 640x480 frame: "
                 f"Haar {ms('BM_fer_detect_640x480/1/real_time')}, "
                 f"BlazeFace one pass {ms('BM_fer_blazeface_detect_640x480/1/real_time')}, "
                 f"with the mirrored pass (default) "
                 f"{ms('BM_fer_blazeface_detect_640x480/2/real_time')}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
