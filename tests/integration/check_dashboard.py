#!/usr/bin/python3
"""Checks a Grafana dashboard against a scrape of /metrics.

    check_dashboard.py DASHBOARD.json METRICS.txt

- the dashboard is JSON with panels (rows' nested panels included), every non-row panel has
  targets and every target a PromQL `expr`; panels and targets use the `datasource` template
  variable; there is an `instance` variable and every query that reads a scraped family filters
  on it;
- every metric name in every `expr` (and in the template variables' queries) is a family of the
  scrape: a histogram's `_bucket`, `_sum` and `_count` series belong to it, a histogram used
  bare is an error; `up` and the other series Prometheus itself records per target are allowed;
- every family of the scrape appears in at least one panel.

Exit 0 when all holds; else 1 with one line per problem. Only the Python 3 standard library.
"""

import json
import re
import sys

# Series Prometheus records itself for each scrape target (never in /metrics).
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan", "atan2"}
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def parse_scrape(text):
    """Returns (families: name -> type, samples: sample name -> family name)."""
    families, samples = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                families[parts[2]] = parts[3].strip()
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if not m:
            raise ValueError("line %d of the scrape is not a sample: %r" % (n, line))
        samples[m.group(1)] = None
    owner = {}
    for fam, typ in families.items():
        names = [fam]
        if typ == "histogram":
            names = [fam + "_bucket", fam + "_sum", fam + "_count"]
        elif typ == "summary":
            names = [fam, fam + "_sum", fam + "_count"]
        elif typ == "counter" and not fam.endswith("_total"):
            names = [fam, fam + "_total"]  # OpenMetrics-style family names
        for s in names:
            owner[s] = fam
    for s in samples:
        if s not in owner:
            # A sample without a TYPE line: an untyped family of its own.
            families.setdefault(s, "untyped")
            owner[s] = s
    return families, owner


def strip_promql(expr):
    """The expression without strings, label matchers, ranges, grouping clauses and variables."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^{}]*\}", " ", e)                     # {label matchers}
    e = re.sub(r"\[[^\]]*\]", " ", e)                     # [5m], [$__rate_interval], subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{[^}]*\}|\$\w+", " ", e)              # Grafana variables outside matchers
    return e


def metric_names(expr):
    """Metric names an expression reads (functions, keywords and numbers left out)."""
    e = strip_promql(expr)
    names = []
    for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        # a duration after `offset` or a number such as 1e3 is excluded by the look-behind
        names.append(word)
    # A selector with no name: {__name__="x"}
    for m in re.finditer(r'__name__\s*=\s*"([^"]+)"', expr):
        names.append(m.group(1))
    return names


def walk_panels(panels, out):
    for p in panels:
        out.append(p)
        walk_panels(p.get("panels") or [], out)
    return out


def uses_datasource_variable(ds):
    if ds is None:
        return True  # inherits the panel's
    uid = ds.get("uid") if isinstance(ds, dict) else ds
    return isinstance(uid, str) and uid in ("${datasource}", "$datasource", "${DS_PROMETHEUS}")


def main(argv):
    if len(argv) != 3:
        print("usage: check_dashboard.py DASHBOARD.json METRICS.txt", file=sys.stderr)
        return 2
    problems = []
    try:
        with open(argv[1], encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print("FAIL %s is not a readable JSON file: %s" % (argv[1], e))
        return 1
    try:
        with open(argv[2], encoding="utf-8") as f:
            families, owner = parse_scrape(f.read())
    except (OSError, ValueError) as e:
        print("FAIL %s is not a readable scrape: %s" % (argv[2], e))
        return 1
    if not families:
        problems.append("the scrape %s holds no metric families" % argv[2])

    if not isinstance(dash, dict) or not isinstance(dash.get("panels"), list) or not dash["panels"]:
        print("FAIL %s: no top-level \"panels\" list, or it is empty" % argv[1])
        return 1
    variables = {v.get("name"): v for v in (dash.get("templating") or {}).get("list", [])}
    if "datasource" not in variables or variables["datasource"].get("type") != "datasource":
        problems.append("no template variable \"datasource\" of type datasource")
    if "instance" not in variables:
        problems.append("no template variable \"instance\"")

    used = {}  # family -> [panel titles]
    absent = {}  # metric name not in the scrape -> [where it is used], reported once per name

    def check_expr(expr, where, need_instance):
        names = metric_names(expr)
        if not names:
            problems.append("%s: no metric in expr %r" % (where, expr))
        for name in names:
            if name in SYNTHETIC:
                continue
            fam = owner.get(name)
            if fam is None:
                if families.get(name) == "histogram":
                    problems.append("%s: histogram %s used bare (use %s_bucket, _sum or _count)" % (where, name, name))
                else:
                    absent.setdefault(name, [])
                    if where not in absent[name]:
                        absent[name].append(where)
                continue
            used.setdefault(fam, []).append(where)
        if need_instance and any(n not in SYNTHETIC for n in names) and "$instance" not in expr:
            problems.append("%s: expr does not filter on $instance: %r" % (where, expr))

    ids = set()
    panels = walk_panels(dash["panels"], [])
    graphs = 0
    for p in panels:
        title = p.get("title") or "(untitled)"
        where = "panel %r" % title
        if "id" in p:
            if p["id"] in ids:
                problems.append("%s: duplicate panel id %s" % (where, p["id"]))
            ids.add(p["id"])
        if "gridPos" not in p:
            problems.append("%s: no gridPos" % where)
        if p.get("type") in ("row", "text"):
            continue
        graphs += 1
        if not uses_datasource_variable(p.get("datasource")):
            problems.append("%s: datasource %r is not the ${datasource} variable" % (where, p.get("datasource")))
        targets = p.get("targets") or []
        if not targets:
            problems.append("%s: no targets" % where)
        for t in targets:
            tw = "%s target %s" % (where, t.get("refId", "?"))
            if not uses_datasource_variable(t.get("datasource")):
                problems.append("%s: datasource %r is not the ${datasource} variable" % (tw, t.get("datasource")))
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.append("%s: no PromQL expr" % tw)
                continue
            check_expr(expr, tw, need_instance=True)
    if graphs == 0:
        problems.append("no panels with queries")

    for name, v in variables.items():
        q = v.get("query")
        if v.get("type") != "query":
            continue
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$", q or "")
        if m:
            for n in metric_names(m.group(1)):
                if n not in SYNTHETIC and n not in owner:
                    absent.setdefault(n, []).append("variable %r" % name)

    for name in sorted(absent):
        places = absent[name]
        shown = ", ".join(places[:3]) + (" and %d more" % (len(places) - 3) if len(places) > 3 else "")
        problems.append("metric %s is not in the scrape; used by %s" % (name, shown))

    missing = sorted(f for f in families if f not in used)
    for f in missing:
        problems.append("family %s (%s) of the scrape is in no panel" % (f, families[f]))

    if problems:
        for line in problems:
            print("FAIL " + line)
        print("dashboard check: %d problem(s); %d panels, %d families in the scrape, %d of them shown"
              % (len(problems), graphs, len(families), len(used)))
        if absent:
            print("(metrics missing from the scrape: is the server older than the dashboard, or was a metric renamed?)")
        return 1
    print("ok   dashboard: %d panels, every expr reads scraped families, all %d families shown"
          % (graphs, len(families)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
