#!/usr/bin/env python3
"""bench-plot.py RAW OUTDIR - the SVG plots and markdown tables of cli/bench-curves.sh, from its result lines.

Standard library only. For each wire generation: throughput (MB/s of payload) against message size, and
ping latency (p50 solid, p99 dashed) against the number of concurrent clients; medians over the runs.
"""
import math
import statistics
import sys
from collections import defaultdict

PAIRS = ["C-C", "J-J", "J-C", "C-J"]
COLOURS = {"C-C": "#444444", "J-J": "#d62728", "J-C": "#1f77b4", "C-J": "#2ca02c"}
LABELS = {"C-C": "C → C", "J-J": "imsg4j → imsg4j", "J-C": "imsg4j → C", "C-J": "C → imsg4j"}


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
    return rows


def medians(rows, curve, gen, metric):
    values = defaultdict(list)
    for r in rows:
        if r["curve"] == curve and r["gen"] == gen and metric in r:
            values[(r["pair"], int(r["x"]))].append(float(r[metric]))
    return {k: statistics.median(v) for k, v in values.items()}


def svg_chart(title, xlabel, ylabel, xs, series, path, xfmt=str, ylog=False):
    """series: list of (label, colour, dashed, {x: y}); log-scaled x; y linear from 0, or log-scaled."""
    w, h, left, right, top, bottom = 640, 400, 70, 190, 40, 50
    pw, ph = w - left - right, h - top - bottom
    ys = [y for _, _, _, pts in series for y in pts.values() if y > 0]
    ymax = max(ys, default=1) * 1.1 or 1
    lx = [math.log(x) for x in xs]
    x0, x1 = min(lx), max(lx)
    if ylog:
        lo = 10 ** math.floor(math.log10(min(ys, default=1)))
        hi = 10 ** math.ceil(math.log10(ymax))

    def px(x):
        return left + (0 if x1 == x0 else (math.log(x) - x0) / (x1 - x0) * pw)

    def py(y):
        if ylog:
            return top + ph - (math.log10(max(y, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph
        return top + ph - y / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{title}</text>',
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>']
    for x in xs:
        out.append(f'<line x1="{px(x):.1f}" y1="{top + ph}" x2="{px(x):.1f}" y2="{top + ph + 5}" stroke="black"/>')
        out.append(f'<text x="{px(x):.1f}" y="{top + ph + 18}" text-anchor="middle">{xfmt(x)}</text>')
    if ylog:
        ticks = []
        decade = lo
        while decade <= hi:
            ticks += [decade * m for m in (1, 2, 5) if decade * m <= hi]
            decade *= 10
    else:
        step = 10 ** math.floor(math.log10(ymax / 5)) if ymax > 0 else 1
        for m in (1, 2, 5, 10):
            if ymax / (step * m) <= 6:
                step *= m
                break
        ticks = [i * step for i in range(int(ymax / step) + 1)]
    for y in ticks:
        out.append(f'<line x1="{left - 5}" y1="{py(y):.1f}" x2="{left + pw}" y2="{py(y):.1f}" stroke="#dddddd"/>')
        out.append(f'<text x="{left - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 10}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{ylabel}</text>')
    for i, (label, colour, dashed, pts) in enumerate(series):
        coords = " ".join(f"{px(x):.1f},{py(pts[x]):.1f}" for x in xs if x in pts)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x in xs:
            if x in pts:
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(pts[x]):.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + i * 18
        out.append(f'<line x1="{left + pw + 15}" y1="{ly}" x2="{left + pw + 40}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{left + pw + 45}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def size_label(x):
    return f"{x // 1024}K" if x >= 1024 and x % 1024 == 0 else str(x)


def main():
    raw, outdir = sys.argv[1], sys.argv[2]
    rows = parse(raw)
    for gen in ("current", "classic"):
        mb = medians(rows, "size", gen, "mb_per_s")
        sizes = sorted({x for (_, x) in mb})
        if sizes:
            svg_chart(f"Throughput, {gen} wire (send N SIZE, medians)", "payload size (bytes)", "MB/s of payload",
                      sizes, [(LABELS[p], COLOURS[p], False, {x: v for (q, x), v in mb.items() if q == p}) for p in PAIRS],
                      f"{outdir}/throughput-{gen}.svg", size_label)
            print(f"\n{gen}: MB/s by payload size (ratio to C → C)\n")
            print("| size | " + " | ".join(LABELS[p] for p in PAIRS) + " |")
            print("|---:|" + "---:|" * len(PAIRS))
            for x in sizes:
                base = mb.get(("C-C", x), 0)
                cells = [f"{mb[(p, x)]:.1f}" + ("" if p == "C-C" or not base else f" ({mb[(p, x)] / base:.2f}x)")
                         for p in PAIRS if (p, x) in mb]
                print(f"| {x} | " + " | ".join(cells) + " |")
        p50 = medians(rows, "clients", gen, "p50_us")
        p99 = medians(rows, "clients", gen, "p99_us")
        ks = sorted({x for (_, x) in p50})
        if ks:
            series = []
            for p in PAIRS:
                series.append((LABELS[p] + " p50", COLOURS[p], False, {x: v for (q, x), v in p50.items() if q == p}))
            for p in PAIRS:
                series.append((LABELS[p] + " p99", COLOURS[p], True, {x: v for (q, x), v in p99.items() if q == p}))
            svg_chart(f"Ping latency, {gen} wire (64 B, medians)", "concurrent clients", "round trip (µs, log scale)",
                      ks, series, f"{outdir}/latency-{gen}.svg", ylog=True)
            print(f"\n{gen}: ping p50 / p99 in µs by concurrent clients (lower is better)\n")
            print("| clients | " + " | ".join(LABELS[p] for p in PAIRS) + " |")
            print("|---:|" + "---:|" * len(PAIRS))
            for x in ks:
                cells = [f"{p50[(p, x)]:.1f} / {p99[(p, x)]:.1f}" for p in PAIRS if (p, x) in p50]
                print(f"| {x} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
