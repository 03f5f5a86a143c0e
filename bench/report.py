"""report.html of scripts/bench: one self-contained page (inline SVG and CSS,
no script, no external URL) drawn from a summary.json: throughput and
p50/p90/p99 over time per route, errors by status, the server's CPU and
memory, the thresholds with pass/fail, the machine and the references.
Standard library only."""

import html
import math

PALETTE = ["#000091", "#e1000f", "#18753c", "#b34000", "#6a6af4", "#a558a0", "#009081", "#7d4e5b",
           "#3a3a3a", "#c3992a", "#0063cb", "#ce614a"]
W, H = 900, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 36


def esc(v):
    return html.escape(str(v), quote=True)


def nice_max(v):
    if v <= 0 or not math.isfinite(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def fmt_num(v):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return "{:,}".format(v).replace(",", " ")
    if abs(v) >= 100:
        return "{:,.0f}".format(v).replace(",", " ")
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.3f" % v


def legend_rows(names):
    """Legend entries as rows of (x, name) that fit the chart's width."""
    rows, x = [[]], LEFT
    for name in names:
        width = 22 + 7 * len(name)
        if x + width > W - RIGHT and rows[-1]:
            rows.append([])
            x = LEFT
        rows[-1].append((x, name))
        x += width
    return rows


def line_chart(title, unit, xs, series, events=(), y_max=None, log_y=False, lo=0.01):
    """series: [(name, ys)]; events: [{"t", "label"}] drawn as vertical lines;
    log_y: a log scale from `lo` (values below it drawn at the bottom)."""
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    legend = legend_rows([name for name, _ in series])
    height = H + 14 * (len(legend) - 1)
    x_max = max(xs) if xs else 1
    x_max = max(x_max, max((e["t"] for e in events), default=0), 1)
    values = [y for _, ys in series for y in ys if y is not None]
    top = y_max or nice_max(max(values) if values else 1)
    if log_y:
        top = 10 ** math.ceil(math.log10(max(max(values, default=1), lo * 10)))

    def sx(x):
        return LEFT + pw * x / x_max

    def sy(y):
        if log_y:
            y = max(y, lo)
            return TOP + ph * (1 - (math.log10(y) - math.log10(lo)) / (math.log10(top) - math.log10(lo)))
        return TOP + ph * (1 - min(y, top) / top)

    out = ['<figure><svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">' % (
        W, height, W, height, esc(title))]
    out.append('<text x="%d" y="18" class="title">%s</text>' % (LEFT, esc(title)))
    ticks = ([lo * 10 ** i for i in range(int(round(math.log10(top / lo))) + 1)] if log_y
             else [top * i / 4 for i in range(5)])
    for t in ticks:
        y = sy(t)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>' % (LEFT, W - RIGHT, y, y))
        out.append('<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>' % (LEFT - 6, y + 4, esc(fmt_num(t))))
    for i in range(6):
        x = x_max * i / 5
        label = ("%.0f" if x_max >= 10 else "%.1f") % x
        out.append('<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s s</text>' % (sx(x), H - BOTTOM + 16, label))
    out.append('<text x="12" y="%d" class="tick" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>' % (
        TOP + ph // 2, TOP + ph // 2, esc(unit)))
    for i, e in enumerate(events):
        x = sx(e["t"])
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="event"/>' % (x, x, TOP, TOP + ph))
        out.append('<text x="%.1f" y="%d" class="event-label">%s</text>' % (x + 3, TOP + 10 + 12 * i, esc(e["label"])))
    for i, (name, ys) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        pts = ["%.1f,%.1f" % (sx(x), sy(y)) for x, y in zip(xs, ys) if y is not None]
        if pts:
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"><title>%s</title></polyline>' % (
                color, " ".join(pts), esc(name)))
    i = 0
    for row_no, row in enumerate(legend):
        y = H - 12 + 14 * row_no
        for lx, name in row:
            color = PALETTE[i % len(PALETTE)]
            out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="legend">%s</text>' % (
                lx, y, color, lx + 14, y + 9, esc(name)))
            i += 1
    out.append("</svg></figure>")
    return "\n".join(out)


def table(headers, rows, classes=None):
    out = ["<table><thead><tr>" + "".join("<th>%s</th>" % esc(h) for h in headers) + "</tr></thead><tbody>"]
    for i, r in enumerate(rows):
        cls = ' class="%s"' % classes[i] if classes and classes[i] else ""
        out.append("<tr%s>" % cls + "".join("<td>%s</td>" % c for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def detail_tables(s):
    """The server's figures, the kill and restart, the delivery check, the import."""
    parts = []
    srv = s.get("server") or {}
    rows = [[esc(k), esc(fmt_num(srv.get(k)))] for k in ("cpu_s", "cpu_us_per_request", "bytes_written_per_request",
                                                         "rss_mb_max", "start_s", "exited_by_itself") if k in srv]
    if rows:
        parts.append("<h2>Server (sampled from /proc)</h2>")
        parts.append(table(["", ""], rows))
    for key, title in (("kill", "Kill and restart"), ("store_check", "sesame check after the kills"),
                       ("recovery", "Delivery check (every 202 in the outbox)"), ("import", "Import")):
        if key in s:
            parts.append("<h2>%s</h2>" % esc(title))
            parts.append(table(["", ""], [[esc(k), esc(fmt_num(v) if not isinstance(v, list) else ", ".join(str(x) for x in v) or "–")]
                                          for k, v in s[key].items()]))
    return parts


def render(s, events=()):
    routes = s.get("routes", {})
    series = s.get("series") or {}
    xs = series.get("t", [])
    parts = []
    verdict = all(t["ok"] for t in s.get("thresholds", []))
    parts.append("<h1>Sésame bench: %s</h1>" % esc(s["scenario"]))
    parts.append("<p class=lead>%s</p>" % esc(s.get("description", "")))
    parts.append('<p class="verdict %s">%s: %d/%d thresholds hold</p>' % (
        "pass" if verdict else "fail", "PASS" if verdict else "FAIL",
        sum(t["ok"] for t in s.get("thresholds", [])), len(s.get("thresholds", []))))
    for note in s.get("notes", []):
        parts.append("<p class=note>%s</p>" % esc(note))
    m = s.get("machine", {})
    info = [("started", s.get("started_at")), ("duration", "%s s" % fmt_num(s.get("duration_s"))),
            ("target", str(s.get("target") or "").replace("http://", "")), ("mode", s.get("mode")), ("connections", s.get("connections")),
            ("accounts", s.get("accounts")), ("machine", "%s cores, %s" % (m.get("cores"), m.get("cpu_model"))),
            ("load before", m.get("load_avg_1m_before")),
            ("CPU taken by loadgen / by other processes", "%s %% / %s %%" % (fmt_num(m.get("loadgen_cpu_pct")),
                                                                            fmt_num(m.get("other_cpu_pct"))))]
    parts.append(table(["", ""], [[esc(k), esc(v if v is not None else "–")] for k, v in info]))

    parts.append("<h2>Thresholds</h2>")
    rows, cls = [], []
    for t in s.get("thresholds", []):
        rows.append([esc(t["name"]), "<code>%s</code>" % esc(t["metric"]), esc(t["target"]), esc(fmt_num(t["measured"])),
                     "pass" if t["ok"] else "<strong>FAIL</strong>"])
        cls.append("pass" if t["ok"] else "fail")
    parts.append(table(["threshold", "metric", "target", "measured", ""], rows, cls) if rows else "<p>No threshold.</p>")

    parts.append("<h2>Routes</h2>")
    steady = any("latency_ms_steady" in r for r in routes.values())
    rows = []
    for name, r in routes.items():
        lat = r.get("latency_ms") or {}
        errs = ", ".join("%s: %s" % (k, fmt_num(v)) for k, v in (r.get("errors") or {}).items()) or "0"
        row = [esc(name), esc(fmt_num(r.get("requests"))), esc(fmt_num(r.get("rps"))),
               esc(fmt_num(lat.get("p50"))), esc(fmt_num(lat.get("p90"))), esc(fmt_num(lat.get("p99")))]
        if steady:
            row.append(esc(fmt_num((r.get("latency_ms_steady") or {}).get("p99"))))
        rows.append(row + [esc(fmt_num(lat.get("p999"))), esc(fmt_num(lat.get("max"))), esc(errs)])
    head = ["route", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms"] + (["p99 ms w/o kill"] if steady else [])
    parts.append(table(head + ["p99.9 ms", "max ms", "errors by status"], rows))

    refs = s.get("references") or {}
    ratios = s.get("ratios") or {}
    if refs or ratios:
        parts.append("<h2>References and ratios (same machine, same run)</h2>")
        rows = [[esc(k), esc(fmt_num(v)), "requests/s" if k.startswith("nginx") else "per second"] for k, v in refs.items()]
        rows += [[esc(k), esc(fmt_num(v)), "ratio"] for k, v in ratios.items()]
        parts.append(table(["name", "value", ""], rows))

    if s.get("rounds"):
        parts.append("<h2>Rounds (references and load in turn; the best of each side is kept)</h2>")
        names = sorted({k for r in s["rounds"] for k in r["references"]})
        routes_names = sorted({k for r in s["rounds"] for k in r["rps_ok"]})
        rows = [[str(i + 1)] + [esc(fmt_num(r["references"].get(k))) for k in names] +
                [esc(fmt_num(r["rps_ok"].get(k))) for k in routes_names] for i, r in enumerate(s["rounds"])]
        parts.append(table(["round"] + names + ["%s (expected answers/s)" % k for k in routes_names], rows))
    srv = s.get("server") or {}
    if xs and series.get("routes"):
        parts.append("<h2>Over time</h2>")
        rs = series["routes"]
        parts.append(line_chart("Throughput per route (responses/s)", "req/s", xs,
                                [(n, v["requests"]) for n, v in rs.items()], events))
        level = series.get("level")
        if level and any(v != level[0] for v in level):
            parts.append(line_chart("Offered load (share of the peak)", "level", xs, [("level", level)], events))
        errs = series.get("errors") or {}
        parts.append(line_chart("Errors by status (per second, log scale)", "errors/s", xs,
                                [(k, v) for k, v in sorted(errs.items())] or [("none", [0] * len(xs))], events,
                                log_y=True, lo=0.5))
        srv_series = srv.get("series") or {}
        if srv_series.get("t"):
            parts.append(line_chart("Server CPU (% of one core, from /proc)", "% CPU", srv_series["t"],
                                    [("cpu", srv_series["cpu_pct"])], events))
            parts.append(line_chart("Server resident memory (MB, from /proc)", "MB", srv_series["t"],
                                    [("rss", srv_series["rss_mb"])], events))
        parts += detail_tables(s)
        parts.append("<h2>Latency per route (p50, p90, p99; ms, log scale)</h2>")
        for n, v in rs.items():
            parts.append(line_chart("%s: latency" % n, "ms", xs, [("p50", v["p50"]), ("p90", v["p90"]), ("p99", v["p99"])],
                                    events, log_y=True))
    else:
        parts += detail_tables(s)
    return PAGE % {"title": esc("Sésame bench: %s" % s["scenario"]), "body": "\n".join(parts)}


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #161616; margin: 24px auto; max-width: 940px; padding: 0 12px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #000091; }
.lead { color: #3a3a3a; margin-top: 0; }
.verdict { font-weight: 700; padding: 6px 10px; display: inline-block; border-radius: 4px; }
.verdict.pass { background: #b8fec9; color: #18753c; } .verdict.fail { background: #ffe9e9; color: #ce0500; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
td:not(:first-child) { text-align: right; } th { background: #f6f6f6; }
tr.fail td { background: #fff4f4; } tr.pass td:last-child { color: #18753c; }
figure { margin: 8px 0; } svg { max-width: 100%%; height: auto; background: #fff; }
.title { font-weight: 700; font-size: 13px; } .tick, .legend { font-size: 11px; fill: #3a3a3a; }
.grid { stroke: #e5e5e5; } .event { stroke: #e1000f; stroke-dasharray: 4 3; } .event-label { font-size: 11px; fill: #e1000f; }
.note { color: #b34000; } code { font-size: 12px; }
</style>
</head>
<body>
%(body)s
</body>
</html>
"""
