"""Pretty-prints agent API answers for scripts/demo.sh: `show.py cases|alerts|count` < JSON."""
import json
import sys

what = sys.argv[1]
data = json.load(sys.stdin)
if what == "cases":
    for c in data["cases"]:
        sla = c["sla"][0] if c["sla"] else {}
        print(
            f"  {c['id']}  {c['status']:<8} {c['priority']}  lang={c['language'] or '?'}"
            f"  assignee={c['assignee'] or '(waiting)'}  posts={len(c['post_ids'])}  sla={sla.get('state', '-')}"
        )
elif what == "alerts":
    for a in data["alerts"]:
        print(
            f"  ALERT {a['level']} {a['target']} on {a['case_id']} ({a['priority']}, assignee {a['assignee']}),"
            f" due {a['due_at']}, {a['late_by_ms']} ms late"
        )
elif what == "count":
    print(len(data["alerts"]))
