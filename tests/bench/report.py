#!/usr/bin/env python3
"""Turns the JSON lines of run_bench.sh into bench-report.md and bench-report.json.

Every figure is a median over the repetitions with its min-max spread; every
scenario is set against its floor from the same run and against the targets
in BENCHMARKS.md. Targets are reported, never asserted.

usage: report.py results.jsonl report.md report.json
       report.py --check report.md report.json   (exit 1 unless every scenario is present)
       report.py --scaling results.jsonl report.md report.json   (run_bench.sh --scaling)
       report.py --check-scaling report.md report.json
"""
import json
import math
import re
import statistics
import sys

SCENARIOS = ["a", "b", "c", "d", "e", "f"]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def pick(rows, **match):
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def ratio(a, b):
    if not a or not b or not b["median"]:
        return None
    return a["median"] / b["median"]


def fmt(x, digits=1):
    if x is None:
        return "n/a"
    if isinstance(x, dict):
        if x["n"] > 1:
            return f"{fmt(x['median'], digits)} ({fmt(x['min'], digits)}–{fmt(x['max'], digits)})"
        return fmt(x["median"], digits)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def main(src, md_path, json_path):
    rows = load(src)
    machine = next((r for r in rows if r["kind"] == "machine"), {})
    params = next((r for r in rows if r["kind"] == "params"), {})
    end = next((r for r in rows if r["kind"] == "end"), {})
    dataset = next((r for r in rows if r["kind"] == "dataset"), {})
    report = {"machine": machine, "params": params, "end": end, "dataset": dataset,
              "scenarios": {}, "targets": []}
    targets = report["targets"]

    def target(ident, text, value, met):
        targets.append({"id": ident, "target": text, "value": value,
                        "met": None if value is None else bool(met)})

    # (a) unary reads against the no-op floor.
    a = {}
    for method in ("summary", "recommendation"):
        peak = pick(rows, kind="load", label=f"a.service.{method}.peak")
        single = pick(rows, kind="single_call", label=f"a.service.{method}.single")
        if single and not peak:
            s = spread([r["s"] for r in single])
            more = "more than " if any(r.get("timed_out") for r in single) else ""
            a[method] = {"available": False, "single_call_s": s, "timed_out": bool(more),
                         "reason": f"one call takes {more}{fmt(s, 2)} s on this ledger, too slow "
                                   "for a bounded load run; sequential calls timed instead"}
            target(f"a.{method}.throughput", "≥ 0.7 of the no-op floor's throughput", 0.0, False)
            target(f"a.{method}.p99_half_load", "p99 < 5 ms at half the peak load (µs)",
                   s["max"] * 1e6, False)
            continue
        if not peak:
            a[method] = {"available": False,
                         "reason": "RecoveryService is not served by collectionsd in this build"
                         if method == "recommendation" else "not run"}
            continue
        floor = pick(rows, kind="load", label=f"a.floor.{method}.peak")
        half = pick(rows, kind="load", label=f"a.service.{method}.half")
        floor_half = pick(rows, kind="load", label=f"a.floor.{method}.half")
        m = {
            "available": True,
            "peak_qps": spread([r["qps"] for r in peak]),
            "peak_p50_us": spread([r["p50_us"] for r in peak]),
            "peak_p99_us": spread([r["p99_us"] for r in peak]),
            "floor_qps": spread([r["qps"] for r in floor]),
            "floor_p50_us": spread([r["p50_us"] for r in floor]),
            "floor_p99_us": spread([r["p99_us"] for r in floor]),
            "half_rate": half[0]["rate"] if half else None,
            "half_qps": spread([r["qps"] for r in half]),
            "half_p50_us": spread([r["p50_us"] for r in half]),
            "half_p99_us": spread([r["p99_us"] for r in half]),
            "floor_half_p99_us": spread([r["p99_us"] for r in floor_half]),
            "errors": sum(r["errors"] for r in peak + half),
            "shed": sum(r.get("shed", 0) for r in half),
            "concurrency": f"{peak[0]['channels']}x{peak[0]['inflight']}",
        }
        m["ratio_to_floor"] = ratio(m["peak_qps"], m["floor_qps"])
        a[method] = m
        target(f"a.{method}.throughput", "≥ 0.7 of the no-op floor's throughput",
               m["ratio_to_floor"], (m["ratio_to_floor"] or 0) >= 0.7)
        p99 = m["half_p99_us"]["median"] if m["half_p99_us"] else None
        target(f"a.{method}.p99_half_load", "p99 < 5 ms at half the peak load (µs)", p99,
               p99 is not None and p99 < 5000)
    report["scenarios"]["a"] = a

    # (b) SyncLedger ingest against raw SQLite inserts.
    ingest = {ph: spread([r["rows_per_s"] for r in pick(rows, kind="ingest", phase=ph)])
              for ph in ("customers", "invoices", "payments")}
    raw = spread([r["rows_per_s"] for r in pick(rows, kind="raw_insert")])
    b = {"service_rows_per_s": ingest, "floor_rows_per_s": raw,
         "ratio_to_floor": ratio(ingest["invoices"], raw),
         "invoice_seconds": spread([r["rpc_s"] for r in pick(rows, kind="ingest", phase="invoices")])}
    report["scenarios"]["b"] = b
    target("b.ingest", "≥ 0.5 of the raw SQLite insert rate", b["ratio_to_floor"],
           (b["ratio_to_floor"] or 0) >= 0.5)

    # (c) aging report and RunCollections against plain SQL.
    rpc = spread([r["s"] for r in pick(rows, kind="aging_rpc", group_by="customer_first_page")])
    rpc_ccy = spread([r["s"] for r in pick(rows, kind="aging_rpc", group_by="currency")])
    variants = {}
    for r in pick(rows, kind="sql_aging"):
        variants.setdefault(r["variant"], []).append(r["s"])
    variants = {k: spread(v) for k, v in variants.items()}
    best_name = min((k for k in variants if k != "store_sql_asof_replay"),
                    key=lambda k: variants[k]["median"], default=None)
    best = variants.get(best_name)
    open_inv = next((r["open_invoices"] for r in pick(rows, kind="sql_aging")), None)
    rc_rows = [r for r in pick(rows, kind="run_collections") if r.get("phase") in (None, "first")]
    rc_avail = any(r.get("available") for r in rc_rows)
    rc = spread([r["s"] for r in rc_rows if r.get("available")])
    rc_timed_out = any(r.get("timed_out") for r in rc_rows)
    c = {"aging_rpc_s": rpc, "aging_rpc_by_currency_s": rpc_ccy, "sql_floor_s": variants,
         "best_sql": best_name, "ratio_to_best_sql": ratio(rpc, best),
         "open_invoices": open_inv,
         "run_collections": {"available": rc_avail, "s": rc, "timed_out": rc_timed_out,
                             "evaluated": next((r.get("reply", {}).get("evaluated")
                                                for r in rc_rows if r.get("available")), None),
                             "reason": None if rc_avail else
                             next((r.get("reason") for r in rc_rows), "not run")}}
    report["scenarios"]["c"] = c
    target("c.aging", "GetAgingReport ≤ 2× the best plain SQL aging query", c["ratio_to_best_sql"],
           (c["ratio_to_best_sql"] or 99) <= 2)
    target("c.run_collections", "RunCollections over the ledger ≤ 5 s",
           rc["median"] if rc else None, rc is not None and rc["median"] <= 5)

    # (d) connector parsers against reading the file.
    d = {}
    for r in pick(rows, kind="connector"):
        f = r["format"]
        if not r.get("available"):
            d[f] = {"available": False, "reason": r.get("reason")}
            continue
        size = r["bytes"]
        parse = pick(rows, kind="exec", label=f"d.{f}.parse")
        small = pick(rows, kind="exec", label=f"d.{f}.parse_small")
        floor = pick(rows, kind="read_file", label=f"d.{f}.floor")
        mbps = spread([size / 1e6 / p["s"] for p in parse if p["exit"] == 0])
        # On a shared machine wall time measures the CPU share the process
        # got; MB per CPU-second (user + sys) is the figure that travels.
        cpu_mbps = spread([size / 1e6 / max(1e-9, p["user_s"] + p["sys_s"])
                           for p in parse if p["exit"] == 0])
        floor_mbps = spread([p["mb_per_s"] for p in floor])
        rss = spread([p["peak_rss_kb"] for p in parse])
        rss_small = small[0]["peak_rss_kb"] if small else None
        xml = f in ("camt", "ubl", "gnucash")
        d[f] = {"available": True, "bytes": size, "small_bytes": r["small_bytes"],
                "mb_per_s": mbps, "mb_per_cpu_s": cpu_mbps, "floor_mb_per_s": floor_mbps,
                "ratio_to_floor": ratio(mbps, floor_mbps),
                "peak_rss_kb": rss, "peak_rss_kb_quarter_file": rss_small,
                "exit_codes": sorted({p["exit"] for p in parse}),
                "rss_growth": (rss["median"] / rss_small) if rss and rss_small else None}
        want = 60 if xml else 200
        v = mbps["median"] if mbps else None
        target(f"d.{f}.throughput", f"≥ {want} MB/s", v, v is not None and v >= want)
        g = d[f]["rss_growth"]
        target(f"d.{f}.flat_rss", "peak RSS independent of file size (4× file: ≤ 1.25× RSS)", g,
               g is not None and g <= 1.25)
    report["scenarios"]["d"] = d

    # (e) memory of collectionsd holding the ledger.
    open_count = dataset.get("open_invoices") or open_inv
    after = spread([r["vmhwm_kb"] for r in pick(rows, kind="rss", label="e.after_ingest")])
    at_end = next((r for r in pick(rows, kind="rss", label="e.end")), None)
    peak_kb = at_end["vmhwm_kb"] if at_end else None
    per = (peak_kb / open_count) if peak_kb and open_count else None
    db_size = next((r["bytes"] for r in pick(rows, kind="db_size")), None)
    e = {"peak_rss_kb": peak_kb, "rss_at_end_kb": at_end["vmrss_kb"] if at_end else None,
         "peak_rss_after_ingest_kb": after, "open_invoices": open_count,
         "kb_per_open_invoice": per, "db_bytes": db_size}
    report["scenarios"]["e"] = e
    target("e.memory", "≤ 1 KB resident per open invoice", per, per is not None and per <= 1.0)

    # (f) every call one at a time, with the server's CPU per call.
    report["scenarios"]["f"] = scaling_point(
        [dict(r, label=r.get("label", "").replace("c.service", "s.x.0")) for r in rows], "x", 0)

    with open(json_path, "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    with open(md_path, "w") as f:
        f.write(render(report))


def header(title, rep):
    """The title, the command and the machine's conditions of a report."""
    m, p, e = rep["machine"], rep["params"], rep["end"]
    return [title, "",
            f"Command: `{p.get('command')}` · git {m.get('git')} · {m.get('started')} → "
            f"{e.get('finished')}",
            f"Machine: {m.get('nproc')} CPUs, {m.get('cpu')}, "
            f"{(m.get('mem_kb') or 0) / 1048576:.1f} GiB RAM; load average at start "
            f"{m.get('loadavg_start')}, at end {e.get('loadavg_end')} (shared machine)."]


def render(rep):
    p = rep["params"]
    out = header("# Benchmark report", rep)
    ds = rep["dataset"]
    out.append(f"Data: seed {p.get('seed')}, {ds.get('customers')} customers, "
               f"{ds.get('invoices')} invoices ({ds.get('open_invoices')} open), "
               f"{ds.get('payments')} payments; as of {p.get('as_of')}. "
               f"{p.get('reps')} repetitions, {p.get('duration_s')} s measured after "
               f"{p.get('warmup_s')} s warm-up per load run; log_requests={p.get('log_requests')}.")
    out.append("Figures: median (min–max) over the repetitions.")
    out += ["", "## Targets", "", "| id | target | value | met |", "|---|---|---|---|"]
    for t in rep["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        out.append(f"| {t['id']} | {t['target']} | {fmt(t['value'], 2)} | {met} |")

    out += ["", "## a. Unary reads vs the no-op gRPC floor", ""]
    for method, s in rep["scenarios"]["a"].items():
        if not s.get("available"):
            out.append(f"- {method}: not measured — {s.get('reason')}")
            continue
        out += [f"### {method} ({s['concurrency']} in flight, closed loop)", "",
                "| | service | no-op floor | ratio |", "|---|---|---|---|",
                f"| throughput (calls/s) | {fmt(s['peak_qps'])} | {fmt(s['floor_qps'])} | "
                f"{fmt(s['ratio_to_floor'], 2)} |",
                f"| p50 (µs) | {fmt(s['peak_p50_us'])} | {fmt(s['floor_p50_us'])} | |",
                f"| p99 (µs) | {fmt(s['peak_p99_us'])} | {fmt(s['floor_p99_us'])} | |",
                f"| paced at {fmt(s['half_rate'])}/s (half the service peak): p50 (µs) | "
                f"{fmt(s['half_p50_us'])} | | |",
                f"| same: p99 (µs) | {fmt(s['half_p99_us'])} | {fmt(s['floor_half_p99_us'])} | |",
                "", f"Errors: {s['errors']}; paced calls shed: {s['shed']}.", ""]

    b = rep["scenarios"]["b"]
    out += ["## b. SyncLedger ingest vs raw SQLite inserts", "",
            "| | rows/s |", "|---|---|",
            f"| SyncLedger customers | {fmt(b['service_rows_per_s']['customers'])} |",
            f"| SyncLedger invoices | {fmt(b['service_rows_per_s']['invoices'])} |",
            f"| SyncLedger payments (with allocation) | {fmt(b['service_rows_per_s']['payments'])} |",
            f"| floor: same invoice rows, store schema, one prepared INSERT, one transaction | "
            f"{fmt(b['floor_rows_per_s'])} |",
            f"| ratio (invoices / floor) | {fmt(b['ratio_to_floor'], 3)} |", ""]

    c = rep["scenarios"]["c"]
    out += ["## c. Aging over the open invoices vs plain SQL", "",
            f"Open invoices: {c['open_invoices']}.", "", "| | seconds |", "|---|---|",
            f"| GetAgingReport by customer (first page of 1000; aggregates all) | "
            f"{fmt(c['aging_rpc_s'], 3)} |",
            f"| GetAgingReport by currency | {fmt(c['aging_rpc_by_currency_s'], 3)} |"]
    for k, v in c["sql_floor_s"].items():
        out.append(f"| plain SQL: {k} | {fmt(v, 3)} |")
    out += [f"| ratio to the best plain SQL ({c['best_sql']}) | {fmt(c['ratio_to_best_sql'], 2)} |"]
    rc = c["run_collections"]
    if rc["available"]:
        more = "more than " if rc.get("timed_out") else ""
        out.append(f"| RunCollections ({rc['evaluated'] or 'all'} accounts) | {more}{fmt(rc['s'], 3)} |")
    else:
        out += ["", f"RunCollections: not measured — {rc['reason']}."]
    out.append("")

    out += ["## d. Connector parsers vs reading the file", ""]
    d = rep["scenarios"]["d"]
    if not d:
        out.append("No connector executables in this build.")
    else:
        out += ["| format | file MB | parse MB/s (wall) | parse MB per CPU-s | read floor MB/s | "
                "ratio (wall) | peak RSS MB | peak RSS MB, ¼ file |",
                "|---|---|---|---|---|---|---|---|"]
        for f, s in d.items():
            if not s["available"]:
                out.append(f"| {f} | — | not measured: {s['reason']} | | | | | |")
                continue
            rss = s["peak_rss_kb"]
            out.append(
                f"| {f} | {s['bytes'] / 1e6:.0f} | {fmt(s['mb_per_s'])} | {fmt(s['mb_per_cpu_s'])} | "
                f"{fmt(s['floor_mb_per_s'])} | {fmt(s['ratio_to_floor'], 3)} | "
                f"{fmt(rss['median'] / 1024 if rss else None)} | "
                f"{fmt((s['peak_rss_kb_quarter_file'] or 0) / 1024)} |")
    out.append("")

    f = rep["scenarios"]["f"]
    out += ["## f. Every call, one at a time", "",
            "| call | server CPU ms per call | wall ms per call | calls | errors |",
            "|---|---|---|---|---|"]
    for method, title in CALLS:
        x = f["calls"].get(method)
        if x:
            out.append(f"| {title} | {ms(x.get('server_cpu_ms'))} | {ms(x.get('wall_ms'))} | "
                       f"{x.get('calls')} | {x.get('errors')} |")
    for w, x in f["walks"].items():
        out.append(f"| {w}: {x['pages']} pages{'' if x['complete'] else ' (incomplete)'} | "
                   f"{ms(x.get('server_cpu_ms_per_page'))} per page | "
                   f"{fmt(x.get('wall_s'), 2)} s in all | | |")
    for phase, title in RC_PHASES:
        x = f["runs"].get(phase)
        if x:
            out.append(f"| RunCollections, {title}: reply {x.get('reply_bytes')} B "
                       f"{x.get('error') or ''} | {ms(x.get('server_cpu_ms'))} | "
                       f"{ms((x.get('s') or 0) * 1000)} | 1 | |")
    if f["rss_repeat"]:
        r = f["rss_repeat"]
        warm = (f" (after {r['warmup_calls']} calls of warm-up, from "
                f"{fmt(r['rss_before_warmup_kb'] / 1024)} MB)" if r.get("warmup_calls") else "")
        out += ["", f"Memory over {r['calls']} repeated recovery calls{warm}: VmRSS "
                f"{fmt(r['rss_start_kb'] / 1024)} → {fmt(r['rss_end_kb'] / 1024)} MB, "
                f"{fmt(r['growth_bytes_per_call'], 1)} bytes per call (least squares)."]
    out.append("")

    e = rep["scenarios"]["e"]
    out += ["## e. Memory of collectionsd holding the ledger", "",
            f"Peak RSS (VmHWM) at the end of the run: {fmt((e['peak_rss_kb'] or 0) / 1024)} MB "
            f"for {e['open_invoices']} open invoices = **{fmt(e['kb_per_open_invoice'], 3)} KB per "
            f"open invoice**; RSS at the end {fmt((e['rss_at_end_kb'] or 0) / 1024)} MB; peak right "
            f"after ingest {fmt(e['peak_rss_after_ingest_kb'])} KB. Database on disk "
            f"(file + WAL): {fmt((e['db_bytes'] or 0) / 1e6)} MB.", ""]
    return "\n".join(out)


def check(md_path, json_path):
    """The smoke test's only assertion: both files exist and hold every scenario."""
    with open(json_path) as f:
        rep = json.load(f)
    with open(md_path) as f:
        md = f.read()
    missing = [s for s in SCENARIOS if s not in rep.get("scenarios", {})]
    missing += [f"md:{s}" for s in SCENARIOS if f"## {s}. " not in md]
    if not rep["scenarios"].get("a", {}).get("summary", {}).get("available"):
        missing.append("a.summary measurement")
    for key, what in (("b", "ratio_to_floor"), ("c", "ratio_to_best_sql"),
                      ("e", "kb_per_open_invoice")):
        if rep["scenarios"].get(key, {}).get(what) is None:
            missing.append(f"{key}.{what}")
    if missing:
        print("bench report incomplete: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"bench report complete: {len(rep['targets'])} targets reported")
    return 0


# ------------------------------------------------------------ scaling mode

# The scaling run's calls, in the order of BENCHMARKS.md's table; per-customer calls are held to
# "at 1M at most 1.5x what they cost at 10k, within 3x of GetAccountSummary".
CALLS = [("summary", "GetAccountSummary (one customer)"),
         ("recommendation", "GetRecommendation (one customer)"),
         ("payment_risk", "GetPaymentRisk (one customer)"),
         ("render_message", "RenderMessage (one customer)"),
         ("export_case_file", "ExportCaseFile (one customer)"),
         ("get_case", "GetCase (one customer)"),
         ("work_queue_page", "ListWorkQueue, one page of 50 at a random point"),
         ("list_cases_page", "ListCases, one page of 50 at a random point"),
         ("aging", "GetAgingReport by customer, first page of 1000")]
PER_CUSTOMER = ["recommendation", "payment_risk", "render_message", "export_case_file",
                "get_case"]
RC_PHASES = [("dry", "dry run, first day"), ("first", "first daily run (live)"),
             ("rerun", "same-day re-run"), ("next_day", "the next day's run (live)")]


def growth_exponent(points):
    """Least-squares slope of log(y) over log(x): y grows as x^slope."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def one(rows, **match):
    found = pick(rows, **match)
    return found[-1] if found else None


def scaling_point(rows, backend, n):
    label = f"s.{backend}.{n}"
    p = {"invoices": n, "customers": n // 10, "calls": {}, "walks": {}, "runs": {}}
    for method, _ in CALLS:
        r = one(rows, kind="call", label=label, method=method)
        if r:
            p["calls"][method] = {k: r.get(k) for k in ("server_cpu_ms", "wall_ms", "p50_ms",
                                                         "p90_ms", "calls", "errors", "bytes",
                                                         "first_error")}
    for w in ("work_queue_walk", "list_cases_walk"):
        r = one(rows, kind="walk", label=label, method=w)
        if r:
            p["walks"][w] = {k: r.get(k) for k in ("pages", "items", "complete", "wall_s",
                                                    "server_cpu_s", "server_cpu_ms_per_page",
                                                    "error")}
    for phase, _ in RC_PHASES:
        r = one(rows, kind="run_collections", label=label, phase=phase)
        if r:
            run = {k: r.get(k) for k in ("s", "server_cpu_ms", "reply_bytes", "reply",
                                         "repeated_sizes", "error", "timed_out")}
            # A reply over the message limit: gRPC's error names its size.
            over = re.search(r"larger than max \((\d+) vs", r.get("error") or "")
            if over:
                run["reply_bytes"] = int(over.group(1))
            p["runs"][phase] = run
    ing = one(rows, kind="ingest", label=label, phase="invoices")
    floor = one(rows, kind="raw_insert", label=f"{label}.floor")
    p["ingest_rows_per_s"] = ing and ing["rows_per_s"]
    p["ingest_server_cpu_ms_per_row"] = ing and ing.get("server_cpu_ms_per_row")
    p["ingest_floor_rows_per_s"] = floor and floor["rows_per_s"]
    p["ingest_ratio"] = (ing["rows_per_s"] / floor["rows_per_s"]) if ing and floor else None
    # The same ratio by CPU: the floor's CPU per row over the server's.
    p["ingest_floor_cpu_ms_per_row"] = floor and floor.get("cpu_ms_per_row")
    p["ingest_cpu_ratio"] = (floor["cpu_ms_per_row"] / ing["server_cpu_ms_per_row"]
                             if ing and floor and floor.get("cpu_ms_per_row")
                             and ing.get("server_cpu_ms_per_row") else None)
    # The floor of the service's own write set (bench_ingest.cc RawInsert,
    # --write_set=service): the most any design that keeps a per-record
    # audit event and a case per customer can reach against the plain floor.
    ws = one(rows, kind="raw_insert", label=f"{label}.floor_write_set")
    p["write_set_rows_per_s"] = ws and ws["rows_per_s"]
    p["write_set_cpu_ms_per_row"] = ws and ws.get("cpu_ms_per_row")
    p["write_set_commit_rows"] = ws and ws.get("commit_rows")
    p["write_set_bound"] = ((ws["rows_per_s"] / floor["rows_per_s"],
                             floor["cpu_ms_per_row"] / ws["cpu_ms_per_row"])
                            if ws and floor and ws.get("cpu_ms_per_row") else None)
    p["ingest_vs_write_set"] = ((ing["rows_per_s"] / ws["rows_per_s"],
                                 ws["cpu_ms_per_row"] / ing["server_cpu_ms_per_row"])
                                if ws and ing and ing.get("server_cpu_ms_per_row") else None)
    for ph in ("customers", "payments"):
        r = one(rows, kind="ingest", label=label, phase=ph)
        p[f"ingest_{ph}_rows_per_s"] = r and r["rows_per_s"]
    svc = one(rows, kind="load", label=f"{label}.summary")
    noop = one(rows, kind="load", label=f"{label}.floor.summary")
    p["summary_qps"] = svc and svc["qps"]
    p["summary_noop_qps"] = noop and noop["qps"]
    p["summary_ratio"] = (svc["qps"] / noop["qps"]) if svc and noop and noop["qps"] else None
    # By CPU: the no-op server's per call over collectionsd's, and the bound
    # that one account's reads in plain SQL (sql-summary) leave any server.
    noop_cpu = noop and noop.get("server_cpu_ms_per_call")
    svc_cpu = svc and svc.get("server_cpu_ms_per_call")
    p["summary_cpu_ms"] = (noop_cpu, svc_cpu)
    p["summary_cpu_ratio"] = noop_cpu / svc_cpu if noop_cpu and svc_cpu else None
    sqs = one(rows, kind="sql_summary", label=f"{label}.floor")
    p["summary_sql_cpu_ms"] = sqs and sqs["cpu_ms_per_call"]
    p["summary_cpu_bound"] = (noop_cpu / (noop_cpu + sqs["cpu_ms_per_call"])
                              if noop_cpu and sqs else None)
    case = one(rows, kind="load", label=f"{label}.case")
    p["case_qps"] = case and case["qps"]
    p["case_ratio"] = (case["qps"] / noop["qps"]) if case and noop and noop["qps"] else None
    sql = [r for r in pick(rows, kind="sql_aging", label=f"{label}.floor")
           if r["variant"] != "store_sql_asof_replay"]
    best = min((statistics.median([x["s"] for x in sql if x["variant"] == v])
                for v in {x["variant"] for x in sql}), default=None)
    aging = p["calls"].get("aging")
    p["aging_best_sql_ms"] = best * 1000 if best is not None else None
    p["aging_ratio"] = (aging["wall_ms"] / p["aging_best_sql_ms"]
                        if aging and p["aging_best_sql_ms"] else None)
    for key, lab in (("rss_after_ingest", f"{label}.after_ingest"),
                     ("rss_after_every_call", f"{label}.after_every_call")):
        r = one(rows, kind="rss", label=lab)
        p[key] = r and {"vmhwm_kb": r["vmhwm_kb"], "vmrss_kb": r["vmrss_kb"]}
    hwm = p["rss_after_every_call"] and p["rss_after_every_call"]["vmhwm_kb"]
    p["peak_kb_per_invoice"] = hwm / n if hwm and n else None
    rep = one(rows, kind="rss_repeat", label=label)
    p["rss_repeat"] = rep and {k: rep.get(k) for k in ("warmup_calls", "rss_before_warmup_kb",
                                                       "calls", "errors", "rss_start_kb",
                                                       "rss_end_kb", "growth_bytes_per_call")}
    db = one(rows, kind="db_size", label=label)
    p["db_bytes"] = db and db["bytes"]
    return p


def scaling_main(src, md_path, json_path):
    rows = load(src)
    sc = next((r for r in rows if r["kind"] == "scaling"), {})
    rep = {"machine": next((r for r in rows if r["kind"] == "machine"), {}),
           "params": next((r for r in rows if r["kind"] == "params"), {}),
           "end": next((r for r in rows if r["kind"] == "end"), {}),
           "sizes": sc.get("sizes", []), "backends": {}, "targets": []}
    for backend in sc.get("backends", "").split(","):
        points = [scaling_point(rows, backend, n) for n in rep["sizes"]]
        points = [p for p in points if p["calls"] or p["ingest_rows_per_s"]]
        if not points:
            continue
        fits = {}
        for method, _ in CALLS:
            fits[method] = growth_exponent([(p["invoices"], (p["calls"].get(method) or {})
                                             .get("server_cpu_ms")) for p in points])
        for w in ("work_queue_walk", "list_cases_walk"):
            fits[w] = growth_exponent([(p["invoices"], (p["walks"].get(w) or {})
                                        .get("server_cpu_s")) for p in points
                                       if (p["walks"].get(w) or {}).get("complete")])
        for phase, _ in RC_PHASES:
            fits[f"run_collections.{phase}"] = growth_exponent(
                [(p["invoices"], (p["runs"].get(phase) or {}).get("server_cpu_ms"))
                 for p in points])
        rep["backends"][backend] = {"points": points, "exponents": fits}
        scaling_targets(rep["targets"], backend, points)
    with open(json_path, "w") as f:
        json.dump(rep, f, indent=2, sort_keys=True)
    with open(md_path, "w") as f:
        f.write(render_scaling(rep))


def scaling_targets(targets, backend, points):
    """The scaling targets (BENCHMARKS.md), judged at the largest size measured."""
    small, big = points[0], points[-1]
    at = f"{backend}, {big['invoices']:,} invoices"

    def add(ident, text, value, met):
        targets.append({"id": f"{backend}.{ident}", "target": f"{text} ({at})", "value": value,
                        "met": None if value is None else bool(met)})

    def cpu(p, m):
        return (p["calls"].get(m) or {}).get("server_cpu_ms")

    for m in PER_CUSTOMER:
        a, b, s = cpu(small, m), cpu(big, m), cpu(big, "summary")
        g = b / a if a and b and big is not small else None
        add(f"{m}.growth", f"{m}: server CPU at the largest size ≤ 1.5× the smallest", g,
            g is not None and g <= 1.5)
        r = b / s if b and s else None
        add(f"{m}.vs_summary", f"{m}: ≤ 3× GetAccountSummary's server CPU", r,
            r is not None and r <= 3)
    v = cpu(big, "work_queue_page")
    add("work_queue_page", "ListWorkQueue page: ≤ 20 ms server CPU", v, v is not None and v <= 20)
    runs = big["runs"]
    nd = (runs.get("next_day") or {})
    v = nd.get("s") if not nd.get("error") else None
    add("run_collections.next_day", "RunCollections, next day's due accounts: ≤ 10 s", v,
        v is not None and v <= 10)
    rr = (runs.get("rerun") or {})
    v = rr.get("s") if not rr.get("error") else None
    add("run_collections.rerun", "RunCollections same-day re-run: ≤ 1 s", v,
        v is not None and v <= 1)
    sizes = [r.get("reply_bytes") for r in runs.values() if r.get("reply_bytes") is not None]
    v = max(sizes) if sizes else None
    add("run_collections.reply", "RunCollections reply < 64 KB (bytes, largest of the runs)", v,
        v is not None and v < 65536)
    add("ingest", "Ingest ≥ 0.5 of the raw SQLite floor", big["ingest_ratio"],
        (big["ingest_ratio"] or 0) >= 0.5)
    add("summary", "GetAccountSummary ≥ 0.5 of the no-op gRPC floor", big["summary_ratio"],
        (big["summary_ratio"] or 0) >= 0.5)
    # Not targets: what the two ratios above can reach at all here (the
    # write set's floor by rows/s; one account's plain-SQL reads by CPU).
    for ident, text, value in (
            ("ingest.bound", "the most any ingest with a per-record audit event and a case per "
             "customer reaches against the raw floor (write-set floor, by rows/s)",
             (big["write_set_bound"] or (None,))[0]),
            ("summary.bound", "the most any GetAccountSummary reaches against the no-op floor "
             "by CPU (plain-SQL reads of one account)", big["summary_cpu_bound"])):
        targets.append({"id": f"{backend}.{ident}", "target": f"{text} ({at})", "value": value,
                        "met": None})
    add("aging", "GetAgingReport ≤ 1.5× the best plain SQL", big["aging_ratio"],
        big["aging_ratio"] is not None and big["aging_ratio"] <= 1.5)
    add("memory", "Peak RSS ≤ 1 KB per invoice after every call", big["peak_kb_per_invoice"],
        big["peak_kb_per_invoice"] is not None and big["peak_kb_per_invoice"] <= 1)
    g = (big["rss_repeat"] or {}).get("growth_bytes_per_call")
    add("memory.flat", "RSS flat over 1,000 repeated recovery calls after the warm-up "
        "(growth bytes per call ≤ 64)", g,
        g is not None and g <= 64)


def ms(x):
    return "n/a" if x is None else fmt(x, 3 if x < 10 else 1)


def render_scaling(rep):
    p = rep["params"]
    out = header("# Scaling report", rep)
    out.append(f"Ledgers: seed {p.get('seed')}, invoices {', '.join(f'{n:,}' for n in rep['sizes'])}"
               f" with a tenth as many customers; as of {p.get('as_of')}. Server CPU = "
               "utime+stime of collectionsd over the phase / calls (one call in flight); "
               "wall = client-side mean.")
    out += ["", "## Targets (at the largest size of each backend)", "",
            "| id | target | value | met |", "|---|---|---|---|"]
    for t in rep["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        out.append(f"| {t['id']} | {t['target']} | {fmt(t['value'], 2)} | {met} |")
    for backend, b in rep["backends"].items():
        pts = b["points"]
        head = " | ".join(f"{q['invoices']:,}" for q in pts)
        sep = "|".join(["---"] * (len(pts) + 2))
        out += ["", f"## {backend}", "",
                "Server CPU per call in ms (client wall time per call in ms).", "",
                f"| call | {head} | grows as N^ |", f"|{sep}|"]
        for method, title in CALLS:
            cells = []
            for q in pts:
                c = q["calls"].get(method)
                if not c:
                    cells.append("—")
                elif c.get("errors") and c.get("errors") == c.get("calls"):
                    cells.append(f"fails: {c.get('first_error', '')[:60]}")
                else:
                    cells.append(f"{ms(c.get('server_cpu_ms'))} ({ms(c.get('wall_ms'))})")
            out.append(f"| {title} | {' | '.join(cells)} | {fmt(b['exponents'].get(method), 2)} |")
        for w, title in (("work_queue_walk", "ListWorkQueue, whole queue walked"),
                         ("list_cases_walk", "ListCases, all cases walked")):
            cells = []
            for q in pts:
                x = q["walks"].get(w)
                if not x:
                    cells.append("—")
                    continue
                done = "" if x["complete"] else " **incomplete** (time bound)"
                cells.append(f"{fmt(x.get('server_cpu_s'), 2)} s CPU, {x['pages']} pages, "
                             f"{ms(x.get('server_cpu_ms_per_page'))} ms/page{done}")
            out.append(f"| {title} | {' | '.join(cells)} | {fmt(b['exponents'].get(w), 2)} |")
        out += ["", "RunCollections: wall seconds, server CPU seconds, reply bytes; the reply's "
                "counts as returned.", "", f"| run | {head} | grows as N^ |", f"|{sep}|"]
        for phase, title in RC_PHASES:
            cells = []
            for q in pts:
                r = q["runs"].get(phase)
                if not r:
                    cells.append("—")
                elif r.get("timed_out"):
                    cells.append(f"more than {fmt(r['s'])} s")
                elif r.get("error"):
                    cells.append(f"{fmt(r['s'], 2)} s, **fails**: {r['error'][:80]}")
                else:
                    cpu = r.get("server_cpu_ms")
                    counts = ", ".join(f"{k} {v}" for k, v in (r.get("reply") or {}).items()
                                       if isinstance(v, (int, float, str)) and str(v).isdigit())
                    reps = ", ".join(f"{k}[{v}]" for k, v in (r.get("repeated_sizes") or {}).items())
                    share = ""
                    if (r.get("reply") or {}).get("evaluated") is not None and q["customers"]:
                        share = f" ({r['reply']['evaluated'] / q['customers']:.1%} of accounts)"
                    cells.append(f"{fmt(r['s'], 3)} s, CPU {fmt(cpu / 1000 if cpu is not None else None, 3)} s, "
                                 f"{r.get('reply_bytes'):,} B; {counts}{share}"
                                 f"{'; ' + reps if reps else ''}")
            out.append(f"| {title} | {' | '.join(cells)} | "
                       f"{fmt(b['exponents'].get('run_collections.' + phase), 2)} |")
        out += ["", "Floors measured in the same run, and memory.", "",
                f"| | {head} |", "|" + "|".join(["---"] * (len(pts) + 1)) + "|"]

        def row(title, f):
            out.append(f"| {title} | {' | '.join(f(q) for q in pts)} |")

        row("SyncLedger invoices, rows/s (server CPU ms per row)",
            lambda q: f"{fmt(q['ingest_rows_per_s'])} ({ms(q['ingest_server_cpu_ms_per_row'])})")
        row("raw SQLite inserts, same rows and schema, rows/s",
            lambda q: fmt(q["ingest_floor_rows_per_s"]))
        row("raw SQLite floor, CPU ms per row", lambda q: ms(q["ingest_floor_cpu_ms_per_row"]))
        row("**ingest ratio** (target ≥ 0.5): by rows/s, and by CPU per row",
            lambda q: f"{fmt(q['ingest_ratio'], 3)}, {fmt(q['ingest_cpu_ratio'], 3)}")
        row("raw SQLite inserts of the service's write set (each invoice's audit event too, "
            "each customer's case, a commit per SyncLedger chunk), rows/s (CPU ms per row)",
            lambda q: f"{fmt(q['write_set_rows_per_s'])} ({ms(q['write_set_cpu_ms_per_row'])})")
        row("the most that write set allows against the raw floor: by rows/s, by CPU",
            lambda q: "—" if not q["write_set_bound"] else
            f"{fmt(q['write_set_bound'][0], 3)}, {fmt(q['write_set_bound'][1], 3)}")
        row("SyncLedger against that write-set floor: by rows/s, by CPU",
            lambda q: "—" if not q["ingest_vs_write_set"] else
            f"{fmt(q['ingest_vs_write_set'][0], 3)}, {fmt(q['ingest_vs_write_set'][1], 3)}")
        row("SyncLedger customers / payments, rows/s",
            lambda q: f"{fmt(q['ingest_customers_rows_per_s'])} / "
                      f"{fmt(q['ingest_payments_rows_per_s'])}")
        row("GetAccountSummary closed loop, calls/s (no-op floor)",
            lambda q: f"{fmt(q['summary_qps'])} ({fmt(q['summary_noop_qps'])})")
        row("**summary ratio** (target ≥ 0.5)", lambda q: fmt(q["summary_ratio"], 3))
        row("server CPU ms per call: no-op floor / GetAccountSummary (ratio)",
            lambda q: f"{ms(q['summary_cpu_ms'][0])} / {ms(q['summary_cpu_ms'][1])} "
                      f"({fmt(q['summary_cpu_ratio'], 3)})")
        row("one account's reads in plain SQL, CPU ms (the most a server can reach by CPU: "
            "no-op / (no-op + SQL))",
            lambda q: f"{ms(q['summary_sql_cpu_ms'])} ({fmt(q['summary_cpu_bound'], 3)})")
        row("GetCase closed loop, calls/s (ratio to the same no-op floor): one keyed row",
            lambda q: f"{fmt(q['case_qps'])} ({fmt(q['case_ratio'], 3)})")
        row("GetAgingReport ms (best plain SQL ms)",
            lambda q: f"{ms((q['calls'].get('aging') or {}).get('wall_ms'))} "
                      f"({ms(q['aging_best_sql_ms'])})")
        row("**aging ratio** (target ≤ 1.5)", lambda q: fmt(q["aging_ratio"], 2))
        row("collectionsd VmHWM after ingest / after every call, MB",
            lambda q: f"{fmt(((q['rss_after_ingest'] or {}).get('vmhwm_kb') or 0) / 1024)} / "
                      f"{fmt(((q['rss_after_every_call'] or {}).get('vmhwm_kb') or 0) / 1024)}")
        row("**peak KB per invoice** (target ≤ 1)", lambda q: fmt(q["peak_kb_per_invoice"], 3))
        row("RSS over repeated recovery calls: (before the warm-up →) start → end MB, "
            "growth B/call",
            lambda q: "—" if not q["rss_repeat"] else
            (f"({fmt(q['rss_repeat']['rss_before_warmup_kb'] / 1024)} → "
             f"{q['rss_repeat']['warmup_calls']} calls →) "
             if q["rss_repeat"].get("rss_before_warmup_kb") else "") +
            f"{fmt(q['rss_repeat']['rss_start_kb'] / 1024)} → "
            f"{fmt(q['rss_repeat']['rss_end_kb'] / 1024)} over {q['rss_repeat']['calls']}, "
            f"{fmt(q['rss_repeat']['growth_bytes_per_call'], 1)}")
        row("database on disk, MB (SQLite file + WAL)",
            lambda q: fmt(q["db_bytes"] / 1e6) if q["db_bytes"] else "—")
    out.append("")
    return "\n".join(out)


def check_scaling(md_path, json_path):
    """The smoke test's check of the scaling path: every call measured."""
    with open(json_path) as f:
        rep = json.load(f)
    missing = []
    if not rep.get("backends"):
        missing.append("backends")
    for backend, b in rep.get("backends", {}).items():
        for q in b["points"]:
            for method, _ in CALLS:
                c = q["calls"].get(method)
                if not c or c.get("server_cpu_ms") is None:
                    missing.append(f"{backend}.{q['invoices']}.{method}")
            for phase, _ in RC_PHASES:
                if (q["runs"].get(phase) or {}).get("reply_bytes") is None:
                    missing.append(f"{backend}.{q['invoices']}.run_collections.{phase}")
            for key in ("ingest_ratio", "summary_ratio", "peak_kb_per_invoice", "rss_repeat"):
                if q.get(key) is None:
                    missing.append(f"{backend}.{q['invoices']}.{key}")
    with open(md_path) as f:
        if "grows as N^" not in f.read():
            missing.append("md table")
    if missing:
        print("scaling report incomplete: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"scaling report complete: {len(rep['targets'])} targets reported")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "--check-scaling":
        sys.exit(check_scaling(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "--scaling":
        scaling_main(*sys.argv[2:5])
        sys.exit(0)
    main(*sys.argv[1:4])
