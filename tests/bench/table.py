"""The Markdown table a bench script prints when it is run on its own."""

HEADS = ("figure", "value (median, spread min–max)", "baseline", "ratio", "budget", "ok", "note")


def print_table(rows, heads=HEADS) -> None:
    """rows: (figure, value, baseline, ratio, budget, ok: bool | None, note)."""
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for figure, value, baseline, ratio, budget, ok, note in rows:
        mark = "—" if ok is None else ("✅" if ok else "❌")
        print("| " + " | ".join((figure, value, baseline, ratio, budget, mark, note.replace("|", "/"))) + " |")
