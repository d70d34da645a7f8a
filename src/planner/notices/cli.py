"""`charterplan export notices PLAN --scenario DIR --out DIR_OR_FILE`: notices and reason letters as PDF or HTML.

Registered on the `export` command by `planner.cli.export` (docs/notices.md#command-line). `--out` ending in
.pdf or .html writes one document with every page; any other path is a folder that gets one file per
household (`notice-<household>.pdf`, `reasons-<household>.pdf`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

from planner.notices.facts import Notice, NoticeError, Page, pages_for


def add_notice_arguments(p: argparse.ArgumentParser) -> None:
    """The options only `export notices` reads; --flight, --format, --people and --out are shared."""
    p.add_argument("--scenario", dest="scenario_dir", metavar="DIR",
                   help="notices: the scenario folder the plan was made for (then the one positional is PLAN)")
    p.add_argument("--household", metavar="ID", help="notices: only this household's notice or reason letters")


def _paths(args: argparse.Namespace) -> tuple[str, str] | None:
    """(scenario folder, plan file) from `notices PLAN --scenario DIR` or `notices SCENARIO PLAN`."""
    if args.scenario_dir:
        return (args.scenario_dir, args.scenario) if args.plan is None else None
    return (args.scenario, args.plan) if args.plan is not None else None


def cmd_notices(args: argparse.Namespace) -> int:
    """Write the pages; exit 2 on bad input (no scenario, an unknown household or flight, nothing to write)."""
    from planner.cli.common import load, read_plan
    from planner.notices.render import RenderingUnavailable

    paths = _paths(args)
    if paths is None:
        print("export notices PLAN --scenario DIR --out DIR_OR_FILE (or: export notices SCENARIO PLAN --out ...)",
              file=sys.stderr)
        return 2
    if not args.out:
        print("export notices needs --out: a .pdf or .html file, or a folder", file=sys.stderr)
        return 2
    scenario = load(paths[0], args.people)
    plan = read_plan(paths[1])
    if plan is None:
        return 2
    try:
        pages = pages_for(scenario, plan, args.flight, args.household)
        if not pages:
            raise NoticeError("the plan has no notice or reason letter for this selection")
        written = _write(pages, args.out, args.format)
    except (NoticeError, RenderingUnavailable) as exc:
        print(f"cannot export notices: {exc}", file=sys.stderr)
        return 2
    print(f"{len(pages)} page(s) written to {written} file(s) under {args.out}", file=sys.stderr)
    return 0


def _format(out: str, wanted: str | None) -> str:
    if wanted in ("pdf", "html"):
        return wanted
    if wanted is not None:
        raise NoticeError(f"--format {wanted}: notices are pdf or html")
    return "html" if out.lower().endswith((".html", ".htm")) else "pdf"


def _write(pages: list[Page], out: str, wanted: str | None) -> int:
    fmt = _format(out, wanted)
    if out.lower().endswith((".pdf", ".html", ".htm")):
        _write_document(Path(out), pages, fmt, Path(out).stem)
        return 1
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        kind = "notice" if isinstance(page, Notice) else "reasons"
        groups[f"{kind}-{page.household_id}"].append(page)
    for name, group in groups.items():
        _write_document(folder / f"{name}.{fmt}", group, fmt, name)
    return len(groups)


def _write_document(path: Path, pages: list[Page], fmt: str, title: str) -> None:
    """Through a temporary file, so an interrupted export never leaves half a PDF."""
    from planner.notices.render import document_html, document_pdf

    data = document_pdf(pages, title) if fmt == "pdf" else document_html(pages, title).encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
