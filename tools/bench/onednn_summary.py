"""Sums oneDNN verbose 'exec' lines of ONE forward by primitive kind (conv by kernel size and implementation,
reorders). DynChan's log holds many forwards: the last complete one is cut out between the two last stem convs.
  ONEDNN_VERBOSE=1 ./dynchan bench --model resnet50 --batch 1 --threads 2 --iterations 3 --warmup 20 \
      --warmup-seconds 0 > ours.log
  python3 tools/bench/onednn_summary.py ours.log torch.log"""
import collections
import re
import sys


def one_forward(path):
    lines = [l for l in open(path) if ",exec," in l]
    stem = [i for i, l in enumerate(lines) if "ic3oc64_ih224" in l and "convolution" in l]
    return lines[stem[-2]:stem[-1]] if len(stem) >= 2 else lines


for path in sys.argv[1:]:
    total, count = collections.Counter(), collections.Counter()
    for l in one_forward(path):
        f = l.strip().split(",")
        kind = "reorder" if "reorder" in l else "other"
        if "convolution" in l:
            impl = f[6] if ",v1," in l else f[4]
            kind = "conv k%s %s" % (re.search(r"kh(\d+)", l).group(1), impl)
        total[kind] += float(f[-1])
        count[kind] += 1
    print("%s: %.2f ms" % (path, sum(total.values())))
    for k, v in total.most_common():
        print("   %-40s %3d  %.2f ms" % (k, count[k], v))
