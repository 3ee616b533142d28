#!/usr/bin/env bash
# Quantizes the fixtures with edgefleet-compress, then has scripts/compare-ort-quantizer.py quantize the same
# models with onnxruntime's quantize_static on the same calibration data and measure every variant the same way.
# Needs python3 with onnxruntime and onnx (`pip install onnxruntime onnx`); nothing else in the repo does.
set -euo pipefail
ARGS=("$@")
cd "$(dirname "$0")/.."
F="${FIXTURES:-../shared/fixtures}"
W="$(mktemp -d "${TMPDIR:-/tmp}/edgefleet-ort-compare.XXXXXX")"
trap 'rm -rf "$W"' EXIT
if ! python3 -c 'import onnxruntime, onnx' 2>/dev/null; then
  echo "bench:ort-compare needs python3 with onnxruntime and onnx: pip install onnxruntime onnx" >&2
  exit 2
fi
C="node packages/compress/dist/cli/main.js"
cp "$F/models/mnist-lenet5/model.onnx" "$W/lenet5.fp32.onnx"
cp "$F/models/mnist-lenet5-bn/model.onnx" "$W/lenet5bn.fp32.onnx"
cp "$F/models/person-mobilenetv2/model.onnx" "$W/mnv2.fp32.onnx"
cp "$F"/npz/mnist-calib-1k.npz "$F"/npz/mnist-eval-9k.npz "$F"/npz/mnist-bn-calib-1k.npz "$F"/npz/mnist-bn-eval-9k.npz \
  "$F"/npz/natural128-calib-100.npz "$F"/npz/natural128-eval-102.npz "$W/"
for m in "lenet5 mnist-calib-1k" "lenet5bn mnist-bn-calib-1k" "mnv2 natural128-calib-100"; do
  set -- $m
  $C quantize "$W/$1.fp32.onnx" -o "$W/$1.ours.onnx" --mode static --calib "$W/$2.npz" >/dev/null
  $C quantize "$W/$1.fp32.onnx" -o "$W/$1.oursfull.onnx" --mode static --no-auto --calib "$W/$2.npz" >/dev/null
done
python3 scripts/compare-ort-quantizer.py "$W" "${ARGS[@]}" 2>&1 | grep -v -e 'W:onnxruntime' -e '^WARNING:root'
