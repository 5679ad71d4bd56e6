#!/usr/bin/python3
"""Summarize ONNX Runtime's per-node trace (written by a benchmark run with FER_ORT_PROFILE set).

    FER_ORT_PROFILE=/tmp/ort build-bench/bench/fer_bench_models --benchmark_filter=human_emotion/onnxruntime
    tools/ort-profile.py /tmp/ort_*.json

Each session writes its own file (sessions that ran nothing are skipped). Prints, per node, its operator, output shape and median kernel time over the runs (the first
tenth left out as warm-up), then the total by operator: the counterpart of fer_profile_layers.
"""
import argparse
import collections
import json
import statistics
import sys


def summarize(path):
    """Prints one trace's table; returns whether it held any run."""
    try:
        with open(path) as f:
            events = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"ort-profile: cannot read {path}: {e}")
    times = collections.defaultdict(list)
    info = {}
    runs = []
    for e in events:
        if e.get("cat") == "Session" and e.get("name") == "model_run":
            runs.append(e["dur"])
        elif e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            node = e["name"][: -len("_kernel_time")]
            times[node].append(e["dur"])
            shape = e.get("args", {}).get("output_type_shape", [{}])
            info[node] = (e.get("args", {}).get("op_name", "?"), list(shape[0].values())[0] if shape else [])
    if not runs:
        return False
    skip = len(runs) // 10
    print(f"{path}: {len(runs)} runs, median {statistics.median(runs[skip:]) / 1000:.3f} ms")
    by_op = collections.Counter()
    print(f"{'node':40s} {'operator':20s} {'us':>8s}  output")
    for node, durations in times.items():
        median = statistics.median(durations[len(durations) // 10:])
        op, shape = info[node]
        by_op[op] += median
        print(f"{node[:40]:40s} {op:20s} {median:8.1f}  {'x'.join(map(str, shape))}")
    total = sum(by_op.values())
    print("by operator: " + "  ".join(f"{op} {100 * t / total:.1f}%" for op, t in by_op.most_common()))
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces", nargs="+", help="JSON files ONNX Runtime wrote")
    args = parser.parse_args()
    if not [path for path in args.traces if summarize(path)]:
        sys.exit("ort-profile: no model runs in " + " ".join(args.traces))


if __name__ == "__main__":
    main()
