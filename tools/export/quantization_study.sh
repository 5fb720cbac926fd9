#!/usr/bin/env bash
# How int8 quantization choices change accuracy, measured in ONNX Runtime
# (docs/export.md), post-training and with one epoch of quantization-aware
# training: the N (at most 20) networks of the schedule study (the
# first of the mbv3_small_input sample), each trained as the dataset's
# one_pass schedule trains it, then exported once per choice. Resumes: trained
# and exported networks are kept.
#
#   tools/export/quantization_study.sh WORK_FOLDER [N]
set -euo pipefail
work="${1:?usage: quantization_study.sh WORK_FOLDER [N]}"
count="${2:-20}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
edgenas="$root/build/cli/edgenas"
networks="$root/predictors/data/mbv3_small_input_schedule_study/long_seed0.csv"
mkdir -p "$work"

variants=("per_channel_p99.99:--percentile 99.99" "per_channel_minmax:--percentile 0"
          "per_channel_p99.999:--percentile 99.999" "per_tensor_minmax:--percentile 0 --per-tensor-weights"
          "per_channel_p99.99_qat1:--qat 1")
tail -n +2 "$networks" | head -n "$count" | cut -d, -f1 | while read -r arch; do
  [ -f "$work/train/$arch/metrics.json" ] ||
    "$edgenas" train -s mbv3_small_input -a "$arch" --epochs 1 --warmup-epochs 0.1 --threads 1 \
      -o "$work/train/$arch" --force > /dev/null
  for variant in "${variants[@]}"; do
    name="${variant%%:*}"
    [ -d "$work/$name/$arch" ] ||
      "$edgenas" export --weights "$work/train/$arch" --out "$work/$name/$arch" --timing-runs 20 ${variant#*:} > /dev/null
  done
done

python3 - "$work" "${variants[@]%%:*}" <<'PY'
import json, os, statistics, sys
work, names = sys.argv[1], sys.argv[2:]
print("| choice | networks | int8 - fp32, mean | median | worst | within 0.2 point | top-1 agreement |")
print("|---|---|---|---|---|---|---|")
for name in names:
    folder = os.path.join(work, name)
    reports = [json.load(open(os.path.join(folder, a, "report.json"))) for a in sorted(os.listdir(folder))]
    d = [r["onnxruntime_int8"]["test_top1"] - r["onnxruntime_fp32"]["test_top1"] for r in reports]
    agree = statistics.mean(r["int8_fp32_top1_agreement"] for r in reports)
    print(f"| {name} | {len(d)} | {statistics.mean(d):+.3f} | {statistics.median(d):+.3f} | {min(d):+.2f} "
          f"| {sum(abs(x) <= 0.2 + 1e-9 for x in d)} of {len(d)} | {agree:.2f}% |")

for name in names:
    if "qat" not in name:
        continue
    folder = os.path.join(work, name)
    reports = [json.load(open(os.path.join(folder, a, "report.json"))) for a in sorted(os.listdir(folder))]
    gain = [r["onnxruntime_int8"]["test_top1"] - r["quantization"]["ptq_int8_test_top1"] for r in reports]
    print(f"\n{name}: QAT int8 - PTQ int8: mean {statistics.mean(gain):+.3f}, median {statistics.median(gain):+.3f}, "
          f"{min(gain):+.2f} to {max(gain):+.2f}; at least as good as PTQ on {sum(g >= 0 for g in gain)} of {len(gain)}")

reports = [json.load(open(os.path.join(work, names[0], a, "report.json")))
           for a in sorted(os.listdir(os.path.join(work, names[0])))]
same = sum(r["onnxruntime_fp32"]["test_top1"] == r["libtorch_fp32"]["test_top1"] for r in reports)
sizes = [r["onnxruntime_int8"]["file_bytes"] / r["onnxruntime_fp32"]["file_bytes"] for r in reports]
print(f"\n{names[0]}: ONNX Runtime's fp32 top-1 equals LibTorch's on {same} of {len(reports)} networks; "
      f"int8 file / fp32 file: median {100 * statistics.median(sizes):.0f}%, "
      f"{100 * min(sizes):.0f}-{100 * max(sizes):.0f}%")
PY
