"""The meeting sheet as CSV (for a spreadsheet) and as a printable HTML page."""

from __future__ import annotations

import csv
import html
import io

from ..core.qa_form import Form
from ..core.qa_sheet import MeetingSheet


def sheet_csv(sheet: MeetingSheet, form: Form, actions: list[dict], lang: str, texts: dict[str, str],
              figures: dict[str, tuple[str, str]] | None = None) -> str:
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
        w.writerow(["policy_did_not_fit", reason, texts.get(f"misfit_{reason}", reason), "", count,
                    ";".join(sheet.misfit_examples.get(reason, []))])
    for agent, count in sheet.misfit_agents.items():
        w.writerow(["policy_did_not_fit_by_agent", "", "", agent, count, ""])
    for a in actions:
        before, after = (figures or {}).get(a["id"], ("", ""))
        w.writerow(["action", a["kind"], a["title"], a.get("agent_id") or "", "",
                    f"{a['status']} · {a['owner']} · {a['due']} · {a['figure']} {before} → {after}"])
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
              table([t["sheet_reason"], t["sheet_calls"], t["sheet_examples"]],
                    [[t.get(f"misfit_{r}", r), n, ", ".join(x[:8] for x in sheet.misfit_examples.get(r, []))]
                     for r, n in sheet.misfits.items()])]
    parts += [f"<h2>{e(t['sheet_actions'])}</h2>",
              table([t["sheet_action"], t["sheet_kind"], t["sheet_owner"], t["sheet_due"], t["sheet_status"],
                     t["sheet_figure"], t["sheet_before"], t["sheet_after"]],
                    [[a["title"], t[f"kind_{a['kind']}"], a["owner"], a["due"], t[f"status_{a['status']}"],
                      t[f"figure_{a['figure']}"],
                      *figures.get(a["id"], ("–", "–"))] for a in actions])]
    style = ("body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:16mm;color:#111}"
             "table{border-collapse:collapse;margin:4px 0 14px;width:100%}"
             "th,td{border:1px solid #999;padding:3px 6px;text-align:left;font-size:11pt}"
             "th{background:#eee}h1{font-size:18pt}h2{font-size:13pt;margin-top:14px}"
             "@page{size:A4;margin:12mm}")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh_CN' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{e(t['sheet_title'])}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


FOLLOW_UP_DAYS = 28   # the "before" of an action: the four weeks before it was created


def action_figures(db, actions: list[dict], policy, today, utc_offset_minutes: int) -> dict[str, tuple[str, str]]:
    """Each action's figure before (the four weeks before it was made) and after (from when it was
    done, or made, until today), from the calls in this PC's file (a lead's holds the team's)."""
    from datetime import date, timedelta

    from ..core.qa_sheet import follow_up
    from ..store.reports import ReportQuery, build_report
    from .report_format import percent

    out = {}
    for a in actions:
        made = date.fromisoformat(a["created_at"][:10])
        since = date.fromisoformat((a.get("done_at") or a["created_at"])[:10])
        agents = (a["agent_id"],) if a.get("agent_id") else ()
        before = build_report(db, ReportQuery(made - timedelta(days=FOLLOW_UP_DAYS), made - timedelta(days=1), agents,
                                              (), utc_offset_minutes), policy).total
        after = build_report(db, ReportQuery(since, max(since, today), agents, (), utc_offset_minutes), policy).total
        moved = follow_up(a["figure"], before, after)
        out[a["id"]] = (percent(moved.before), percent(moved.after))
    return out


def sheet_pdf(page_html: str, path, title: str) -> int:
    """The printable sheet (sheet_html's page) as an A4 PDF, laid out by Qt's own text engine
    (QTextDocument on a QPdfWriter: no browser, no extra package). Needs a Qt GUI application
    (the command line makes an offscreen one). Returns the number of pages."""
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("Hangup Coach")
    writer.setPageSize(QPageSize(QPageSize.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Millimeter)
    writer.setResolution(96)                       # CSS pixels: the page's style sizes as on screen
    document = QTextDocument()
    document.setHtml(page_html)
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    document.print_(writer)
    return document.pageCount()
