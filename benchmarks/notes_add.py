"""``notes add`` figures: many tiny files, deep HTML, a 5 MB line, the builtin corpus (issue 24 rows 9, 11; issue 23).

Every case runs in a child process of the code on ``PYTHONPATH`` (so the same script measures another
checkout: ``PYTHONPATH=/path/to/main-worktree python benchmarks/notes_add.py``), with a fresh
``TUI_AGENT_HOME`` and memory directory, and a time limit (a case over it prints ``> N s``):

* ``files``: ``tui-agent notes add DIR`` of 1,000 and 10,000 one-line ``.txt`` files (the real embedding
  model): wall time, the child's peak RSS, the notes directory's size on disk, the notes table's versions
  (for a case over its time limit: the files stored when it was stopped);
* ``html``: parse and chunk HTML of 2,000 and 20,000 nested ``<div><span>`` levels and a 5 MB nested file;
* ``line``: parse and chunk a 5 MB one-line text file;
* ``builtin``: ``tui-agent notes add --builtin python-docs``: wall time and when the first progress line
  appeared on stderr (not a terminal: the plain ``notes: k/N files`` lines).

Usage::

    python benchmarks/notes_add.py [--cases files,html,line,builtin] [--limit 600] [--json out.json]

Budgets (checked here, never in unit tests): the builtin corpus in ≤ 60 s on an idle 2-core machine;
the HTML and one-line cases linear (20,000 levels ≈ 10 × 2,000); versions after 10,000 files ≤ 20.
The machine's load average is printed beside the figures: on a shared machine they vary several-fold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CHILD_PARSE = r"""
import sys, time
from tui_agent.notes.ingest import chunk_document, parse_text
kind, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
start = time.perf_counter()
chunks = list(chunk_document(parse_text(text, kind), kind))
print(time.perf_counter() - start, len(chunks), max((len(t) for _h, t in chunks), default=0))
"""


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def table_figures(memory: Path) -> tuple[int, int]:
    """(versions, rows) of the notes table, (0, 0) when there is none."""
    import lancedb

    try:
        table = lancedb.connect(str(memory)).open_table("notes")
    except Exception:  # noqa: BLE001 - no table yet
        return 0, 0
    return len(table.list_versions()), table.count_rows()


def run_cli(args: list[str], home: Path, limit: float) -> dict:
    """Run ``python -m tui_agent ARGS``; wall time, first stderr line's time, peak RSS (MB), timed out."""
    env = dict(os.environ, TUI_AGENT_HOME=str(home))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tui_agent", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=home.parent)  # not a checkout: PYTHONPATH wins
    first: list[float] = []
    lines: list[str] = []

    def read_err() -> None:
        for line in proc.stderr:
            if not first:
                first.append(time.perf_counter() - start)
            lines.append(line)

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    out = proc.stdout.read()
    reader.join(5)
    return {"seconds": round(wall, 1), "first_line_s": round(first[0], 1) if first else None,
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "timed_out": wall >= limit and proc.returncode != 0,
            "exit": proc.returncode, "stdout": out.strip()[-300:], "stderr_tail": "".join(lines[-3:]).strip()}


def case_files(n: int, work: Path, limit: float) -> dict:
    folder = work / f"files{n}"
    folder.mkdir()
    for i in range(n):
        (folder / f"note{i:05d}.txt").write_text(f"tiny note number {i}: the kettle is in cupboard {i % 97}.\n")
    memory = work / f"mem{n}"
    result = run_cli(["notes", "add", str(folder), "--memory-dir", str(memory)], work / f"home{n}", limit)
    versions, rows = table_figures(memory)
    result.update(files=n, disk_mb=round(dir_size(memory) / 1e6, 1), versions=versions, rows=rows)
    return result


def case_parse(name: str, kind: str, text: str, work: Path, limit: float) -> dict:
    path = work / f"{name}.{kind}"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", CHILD_PARSE, kind, str(path)], capture_output=True, text=True,
                             timeout=limit, check=True, cwd=work).stdout.split()
    except subprocess.TimeoutExpired:
        return {"case": name, "bytes": len(text.encode()), "seconds": None, "timed_out": True}
    except subprocess.CalledProcessError as exc:
        return {"case": name, "bytes": len(text.encode()), "error": exc.stderr.strip().splitlines()[-1:]}
    return {"case": name, "bytes": len(text.encode()), "seconds": round(float(out[0]), 2), "chunks": int(out[1]),
            "max_chunk_chars": int(out[2]), "wall_s": round(time.perf_counter() - start, 1)}


def nested(depth: int) -> str:
    return ("<html><body><h1>Deep</h1>" + "<div><span>word " * depth + "<p>bottom</p>" + "</span></div>" * depth
            + "</body></html>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="files,html,line,builtin")
    parser.add_argument("--sizes", default="1000,10000", help="file counts of the 'files' case")
    parser.add_argument("--no-5mb-html", action="store_true", help="leave out the 5 MB nested HTML (hours on old code)")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per case before it is stopped")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    import tui_agent

    print(f"code: {Path(tui_agent.__file__).parent.parent}  load average: {load()}  cores: {os.cpu_count()}")
    work = Path(tempfile.mkdtemp(prefix="notes-add-bench-"))  # children run here, so PYTHONPATH's code is used
    figures: dict[str, list] = {}
    try:
        if "html" in cases or "line" in cases:
            texts = []
            if "html" in cases:
                depth_5mb = 5_000_000 // len("<div><span>word </span></div>")
                texts += [("html-2000", "html", nested(2_000)), ("html-20000", "html", nested(20_000))]
                if not args.no_5mb_html:
                    texts.append((f"html-5MB-{depth_5mb}", "html", nested(depth_5mb)))
            if "line" in cases:
                line = " ".join(f"word{i % 977}" for i in range(700_000))[:5_000_000]
                texts.append(("line-5MB", "text", line))
            for name, kind, text in texts:
                row = case_parse(name, kind, text, work, args.limit)
                figures.setdefault("parse", []).append(row)
                shown = f"> {args.limit:.0f} s" if row.get("timed_out") else f"{row.get('seconds')} s"
                print(f"{name:>20}: {shown}  chunks {row.get('chunks')}  max chunk {row.get('max_chunk_chars')} "
                      f"chars  (load {load()})", flush=True)
        if "files" in cases:
            for n in (int(x) for x in args.sizes.split(",")):
                row = case_files(n, work, args.limit)
                figures.setdefault("files", []).append(row)
                shown = f"> {args.limit:.0f} s (stopped)" if row["timed_out"] else f"{row['seconds']} s"
                print(f"{n:>6} tiny files: {shown}  peak RSS {row['peak_rss_mb']} MB  disk {row['disk_mb']} MB  "
                      f"versions {row['versions']}  rows stored {row['rows']}  (load {load()})", flush=True)
        if "builtin" in cases:
            row = run_cli(["notes", "add", "--builtin", "python-docs", "--memory-dir", str(work / "mem-builtin")],
                          work / "home-builtin", args.limit)
            row["versions"], row["rows"] = table_figures(work / "mem-builtin")
            figures["builtin"] = [row]
            shown = f"> {args.limit:.0f} s (stopped)" if row["timed_out"] else f"{row['seconds']} s"
            print(f"builtin python-docs: {shown}  first progress line at {row['first_line_s']} s  peak RSS "
                  f"{row['peak_rss_mb']} MB  rows {row['rows']}  versions {row['versions']}  (load {load()})",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
