#!/usr/bin/env python3
"""Compares edgefleet's int8 quantizer with onnxruntime's quantize_static on the same fixtures and calibration data.

Every variant (ours and ORT's) is measured by this one script with the same onnxruntime session settings, so the
figures compare the quantizers, not two evaluators: size, top-1 accuracy on labelled samples, top-1 agreement and
output cosine against fp32, batch-1 latency (median, one thread) and quantization time.

Ours are made beforehand with the CLI (see `npm run bench:ort-compare`, which also fetches nothing: it needs
Python with onnxruntime and onnx installed, e.g. `pip install onnxruntime onnx`):
  edgefleet-compress quantize <fp32> -o <name>.ours.onnx --mode static --calib <calib.npz>            (auto: layers kept in float where int8 is slower)
  edgefleet-compress quantize <fp32> -o <name>.oursfull.onnx --mode static --no-auto --calib <calib.npz>

usage: compare-ort-quantizer.py WORKDIR [--json OUT] [--runs N]
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization.shape_inference import quant_pre_process
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

CASES = [
    {"name": "lenet5", "calib": "mnist-calib-1k.npz", "eval": "mnist-eval-9k.npz"},
    {"name": "lenet5bn", "calib": "mnist-bn-calib-1k.npz", "eval": "mnist-bn-eval-9k.npz"},
    {"name": "mnv2", "calib": "natural128-calib-100.npz", "eval": "natural128-eval-102.npz"},
]

ORT_CONFIGS = {
    "ort-qdq-per-tensor": dict(quant_format=QuantFormat.QDQ, per_channel=False),
    "ort-qdq-per-channel": dict(quant_format=QuantFormat.QDQ, per_channel=True),
    "ort-qoperator-per-channel": dict(quant_format=QuantFormat.QOperator, per_channel=True),
    # onnxruntime's recommended path: quant_pre_process (shape inference, graph optimisation: BN folding) first.
    "ort-preprocess+qdq-per-channel": dict(quant_format=QuantFormat.QDQ, per_channel=True, preprocess=True),
}


def session(path, threads=1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_input(fp32, wd, name):
    """ORT's per-channel QDQ needs opset >= 13 (DequantizeLinear `axis`): older models are converted first."""
    m = onnx.load(fp32)
    opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset >= 13:
        return fp32, opset
    path = os.path.join(wd, f"{name}.fp32-opset13.onnx")
    onnx.save(version_converter.convert_version(m, 13), path)
    return path, opset


def fixed_batch(sess):
    dim = sess.get_inputs()[0].shape[0]
    return dim if isinstance(dim, int) and dim > 0 else None


class NpzReader(CalibrationDataReader):
    def __init__(self, arrays, input_names, batch):
        self.arrays, self.names, self.batch = arrays, input_names, batch
        self.n = arrays[input_names[0]].shape[0]
        self.i = 0

    def get_next(self):
        if self.i + self.batch > self.n:
            return None
        feed = {k: self.arrays[k][self.i : self.i + self.batch] for k in self.names}
        self.i += self.batch
        return feed


def load_npz(path, input_names):
    z = np.load(path)
    arrays = {k: z[k].astype(np.float32) for k in input_names}
    labels = z["labels"].astype(np.int64) if "labels" in z.files else None
    return arrays, labels


def run_all(sess, arrays, batch):
    names = [i.name for i in sess.get_inputs()]
    n = arrays[names[0]].shape[0]
    if fixed_batch(sess):
        n -= n % batch  # a fixed-batch model cannot run the remainder
    outs = []
    for i in range(0, n, batch):
        outs.append(sess.run(None, {k: arrays[k][i : min(n, i + batch)] for k in names})[0])
    return np.concatenate(outs).reshape(n, -1)


def latency_ms(sess, arrays, batch, runs):
    names = [i.name for i in sess.get_inputs()]
    feed = {k: arrays[k][:batch] for k in names}
    for _ in range(20):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(path, ref_out, arrays, labels, batch, runs):
    sess = session(path)
    out = run_all(sess, arrays, batch)
    top = out.argmax(1)
    ref_top = ref_out.argmax(1)
    cos = np.sum(out * ref_out, 1) / (np.linalg.norm(out, axis=1) * np.linalg.norm(ref_out, axis=1) + 1e-12)
    res = {
        "bytes": os.path.getsize(path),
        "agreement": float(np.mean(top == ref_top)),
        "cosine": float(np.mean(cos)),
        "latencyMs": latency_ms(sess, arrays, batch, runs),
    }
    if labels is not None:
        ls = labels[: len(top)]
        mask = ls >= 0
        if mask.sum() > 0:
            res["accuracy"] = float(np.mean(top[mask] == ls[mask]))
            res["labelled"] = int(mask.sum())
    return res, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--json")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--cases", default=",".join(c["name"] for c in CASES))
    args = ap.parse_args()
    wd = args.workdir
    report = {"onnxruntime": ort.__version__, "python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count(), "cases": {}}
    print(f"onnxruntime {ort.__version__} on {platform.machine()} ({os.cpu_count()} CPUs); latency: batch of the model's first dim (1 if dynamic), 1 thread, median of {args.runs}")
    for case in CASES:
        name = case["name"]
        if name not in args.cases.split(","):
            continue
        fp32 = os.path.join(wd, f"{name}.fp32.onnx")
        ref_sess = session(fp32)
        input_names = [i.name for i in ref_sess.get_inputs()]
        calib, _ = load_npz(os.path.join(wd, case["calib"]), input_names)
        evals, labels = load_npz(os.path.join(wd, case["eval"]), input_names)
        fb = fixed_batch(ref_sess)
        eval_batch = fb or 100
        lat_batch = fb or 1
        ref_out = run_all(ref_sess, evals, eval_batch)
        rows = {}
        base, _ = measure(fp32, ref_out, evals, labels, eval_batch, args.runs)
        base["latencyMs"] = latency_ms(ref_sess, evals, lat_batch, args.runs)
        rows["fp32"] = base
        for variant in ("ours", "oursfull"):
            p = os.path.join(wd, f"{name}.{variant}.onnx")
            if os.path.exists(p):
                r, _ = measure(p, ref_out, evals, labels, eval_batch, args.runs)
                r["latencyMs"] = latency_ms(session(p), evals, lat_batch, args.runs)
                rows["edgefleet-auto" if variant == "ours" else "edgefleet-full-int8"] = r
        ort_src, opset = ort_input(fp32, wd, name)
        report.setdefault("notes", []).append(f"{name}: opset {opset}" + ("" if ort_src == fp32 else ", converted to opset 13 for ORT"))
        for label, cfg in ORT_CONFIGS.items():
            out_path = os.path.join(wd, f"{name}.{label}.onnx")
            cfg = dict(cfg)
            t = time.perf_counter()
            try:
                src = ort_src
                if cfg.pop("preprocess", False):
                    src = os.path.join(wd, f"{name}.ort-preprocessed.onnx")
                    quant_pre_process(ort_src, src)
                quantize_static(
                    src,
                    out_path,
                    NpzReader(calib, input_names, fb or 10),
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax,
                    **cfg,
                )
            except Exception as e:  # noqa: BLE001 — a failing configuration is a result too
                rows[label] = {"error": str(e)[:300]}
                continue
            qtime = time.perf_counter() - t
            try:
                r, _ = measure(out_path, ref_out, evals, labels, eval_batch, args.runs)
                r["latencyMs"] = latency_ms(session(out_path), evals, lat_batch, args.runs)
            except Exception as e:  # noqa: BLE001
                rows[label] = {"error": f"onnxruntime cannot run the result: {str(e)[:300]}"}
                continue
            r["quantizeS"] = qtime
            rows[label] = r
        report["cases"][name] = rows
        print(f"\n{name} (eval {ref_out.shape[0]} samples, calib {calib[input_names[0]].shape[0]})")
        print(f"  {'variant':28} {'bytes':>9} {'×fp32':>6} {'acc':>7} {'agree':>7} {'cosine':>8} {'ms':>7} {'speed-up':>8}")
        for label, r in rows.items():
            if "error" in r:
                print(f"  {label:28} failed: {r['error']}")
                continue
            acc = f"{r['accuracy'] * 100:6.2f}%" if "accuracy" in r else "      -"
            print(
                f"  {label:28} {r['bytes']:9d} {r['bytes'] / base['bytes']:6.3f} {acc} {r['agreement'] * 100:6.2f}% {r['cosine']:8.5f} "
                f"{r['latencyMs']:7.3f} {base['latencyMs'] / r['latencyMs']:7.2f}×"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
