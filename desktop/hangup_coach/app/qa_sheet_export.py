"""The meeting sheet as CSV (for a spreadsheet) and as a printable HTML page."""

from __future__ import annotations

import csv
import html
import io

from ..core.qa_form import Form
from ..core.qa_sheet import MeetingSheet


def sheet_csv(sheet: MeetingSheet, form: Form, actions: list[dict], lang: str) -> str:
    """One table: part, key, label, agent, count, calls. Every count of the sheet is one row."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["part", "key", "label", "agent", "count", "calls"])
    w.writerow(["reviewed", "", "", "", sheet.reviewed, ""])
    causes, techniques, verdict = form.by_role("root_causes"), form.by_role("technique"), form.by_role("verdict")
    for key, count in sheet.root_causes.items():
        w.writerow(["root_cause", key, causes.option(key).label(lang), "", count, ""])
    for key, calls in sheet.techniques.items():
        w.writerow(["technique", key, techniques.option(key).label(lang), "", len(calls), ";".join(calls)])
    for agent, row in sheet.verdicts.items():
        for key, count in row.items():
            w.writerow(["verdict", key, verdict.option(key).label(lang), agent, count, ""])
    for reason, count in sheet.misfits.items():
        w.writerow(["policy_did_not_fit", reason, reason, "", count, ";".join(sheet.misfit_examples.get(reason, []))])
    for agent, count in sheet.misfit_agents.items():
        w.writerow(["policy_did_not_fit_by_agent", "", "", agent, count, ""])
    for a in actions:
        w.writerow(["action", a["kind"], a["title"], a.get("agent_id") or "", "",
                    f"{a['status']} · {a['owner']} · {a['due']} · {a['figure']}"])
    return out.getvalue()


def sheet_html(sheet: MeetingSheet, form: Form, actions: list[dict], texts: dict[str, str], lang: str,
               batch: dict, figures: dict[str, tuple[str, str]] | None = None) -> str:
    """A self-contained page that prints on A4 (no scripts, no outside files)."""
    e = html.escape
    t = texts
    causes, techniques, verdict = form.by_role("root_causes"), form.by_role("technique"), form.by_role("verdict")
    figures = figures or {}

    def table(heads: list[str], rows: list[list]) -> str:
        head = "".join(f"<th>{e(str(h))}</th>" for h in heads)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [f"<h1>{e(t['sheet_title'])}</h1>",
             f"<p>{e(t['batch_line'].format(batch=batch['id'][:8], purpose=t['purpose_' + batch['purpose']], form=form.title(lang), version=form.version))}"
             f" · {e(t['sheet_reviewed'].format(count=sheet.reviewed))}</p>"]
    if causes:
        parts += [f"<h2>{e(t['sheet_root_causes'])}</h2>",
                  table([t["sheet_cause"], t["sheet_count"]],
                        [[causes.option(k).label(lang), n] for k, n in sheet.root_causes.items()])]
    if techniques:
        parts += [f"<h2>{e(t['sheet_techniques'])}</h2>",
                  table([t["sheet_technique"], t["sheet_count"], t["sheet_calls"]],
                        [[techniques.option(k).label(lang), len(c), ", ".join(x[:8] for x in c)]
                         for k, c in sheet.techniques.items()])]
    if verdict:
        keys = [o.key for o in verdict.options]
        parts += [f"<h2>{e(t['sheet_verdicts'])}</h2>",
                  table([t["agent"], *[verdict.option(k).label(lang) for k in keys]],
                        [[agent, *[row[k] for k in keys]] for agent, row in sheet.verdicts.items()])]
    parts += [f"<h2>{e(t['sheet_misfits'])}</h2>",
              table([t["sheet_reason"], t["sheet_count"], t["sheet_examples"]],
                    [[r, n, ", ".join(x[:8] for x in sheet.misfit_examples.get(r, []))]
                     for r, n in sheet.misfits.items()])]
    parts += [f"<h2>{e(t['sheet_actions'])}</h2>",
              table([t["sheet_action"], t["sheet_kind"], t["sheet_owner"], t["sheet_due"], t["sheet_status"],
                     t["sheet_figure"], t["sheet_before"], t["sheet_after"]],
                    [[a["title"], a["kind"], a["owner"], a["due"], a["status"], a["figure"],
                      *figures.get(a["id"], ("–", "–"))] for a in actions])]
    style = ("body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:16mm;color:#111}"
             "table{border-collapse:collapse;margin:4px 0 14px;width:100%}"
             "th,td{border:1px solid #999;padding:3px 6px;text-align:left;font-size:11pt}"
             "th{background:#eee}h1{font-size:18pt}h2{font-size:13pt;margin-top:14px}"
             "@page{size:A4;margin:12mm}")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh_CN' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{e(t['sheet_title'])}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")
