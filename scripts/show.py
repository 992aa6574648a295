"""Pretty-prints agent API answers for scripts/demo.sh: `show.py cases|alerts|count|why|waiting` < JSON."""
import json
import sys

what = sys.argv[1]
data = json.load(sys.stdin)
def sla_words(c):
    nxt = c.get("sla_next")
    if nxt:
        left = nxt["left_secs"]
        when = f"due in {left}s" if left >= 0 else f"overdue by {-left}s"
        return f"{nxt['target']} {when}"
    if not c["sla"]:
        return "no SLA clock yet"
    return ", ".join(f"{s['target']} {s['state']}" for s in c["sla"])


if what == "cases":
    for c in data["cases"]:
        who = c["assignee"] or "WAITING"
        snippet = (c.get("snippet") or "").replace("\n", " ")
        if len(snippet) > 50:
            snippet = snippet[:49] + "…"
        print(
            f"  {c['id']}  {c['status']:<8} {c['priority']}  {c['channel']:<9} lang={c['language'] or '?'}"
            f"  {who:<8} @{c.get('customer_handle') or '?'}: \"{snippet}\"  [{sla_words(c)}]"
        )
elif what == "waiting":
    for c in data["cases"]:
        if not c["assignee"] and c["status"] in ("new", "open"):
            print(c["id"])
elif what == "why":
    print(f"  {data['case_id']} waits: {data.get('why_waiting') or 'no decision yet'}")
elif what == "alerts":
    for a in data["alerts"]:
        print(
            f"  ALERT {a['level']} {a['target']} on {a['case_id']} ({a['priority']}, assignee {a['assignee']}),"
            f" due {a['due_at']}, {a['late_by_ms']} ms late"
        )
elif what == "count":
    print(len(data["alerts"]))
