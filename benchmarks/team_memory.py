"""Team memory on a local S3 server (moto, loopback): nothing acknowledged lost, and latency beside a directory.

1. Concurrency: ``--clients`` processes (separate TUI_AGENT_HOME each, i.e. separate machines) each make
   ``--ratings`` ratings of shared experiences and one insert per rating, while one more process imports a
   file of experiences and another compacts in a loop. Every acknowledged write is appended to a journal
   (after the call returned); at the end: every acknowledged insert present, counts exact, no duplicate ids,
   each shared experience's N equal to its acknowledged ratings.
2. Kills: the same workload with SIGKILL of a random client at random moments (``--kills``), each after it
   has acknowledged at least one write (so mid-work, not while it imports); a killed client is restarted in a
   new home. Then: every acknowledged insert present, no duplicate ids, N of each shared
   experience at least its acknowledged ratings and at most those plus the kills, the memory opens.
3. Latency side by side: a rating, a search (top 12), and a cold ``tui-agent ask`` (bundled model, new
   process) against the S3 server and against a local directory.

Needs the ``s3`` extra (``pip install -e '.[s3]'``). Prints figures and writes them as JSON (``--out``).

    python benchmarks/team_memory.py --out docs/team_memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = 8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="rating/inserting client processes (default 4)")
    parser.add_argument("--ratings", type=int, default=50, help="ratings (and inserts) per client (default 50)")
    parser.add_argument("--import-rows", type=int, default=50, help="experiences the importing process imports")
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs in the second phase (0: skip it)")
    parser.add_argument("--latency-repeats", type=int, default=20, help="ratings and searches timed per location")
    parser.add_argument("--no-ask", action="store_true", help="skip the cold `tui-agent ask` timing")
    parser.add_argument("--phases", default="concurrent,sigkill,latency",
                        help="which parts to run, comma-separated (default: concurrent,sigkill,latency)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--journal", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="c0", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def unit(seed: int) -> list[float]:
    import numpy as np

    v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


def acknowledge(journal: Path, record: dict) -> None:
    with open(journal, "a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


# --- the worker processes ------------------------------------------------------------------


def client(args: argparse.Namespace) -> None:
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(args.uri)
    rng = random.Random(args.tag)
    for i in range(args.ratings):
        target = f"shared-{rng.randrange(SHARED)}"
        store.update_values(target, lambda q, n, m: (q + 1.0, n + 1, m))
        acknowledge(args.journal, {"rate": target})
        row_id = f"{args.tag}-{i}"
        store.add([Experience(f"task {row_id}", "answer", id=row_id, vector=unit(hash(row_id) % 2**31))])
        acknowledge(args.journal, {"insert": row_id})


def importer(args: argparse.Namespace) -> None:
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.memory.transfer import export_memory, import_memory

    rows = [Experience(f"imported {i}", "answer", id=f"imp-{i}", vector=unit(10_000 + i))
            for i in range(args.import_rows)]
    staging = ExperienceStore(Path(tempfile.mkdtemp()) / "staging")  # a file as `memory export` writes it
    staging.add(rows)
    path = args.journal.with_suffix(".parquet")
    export_memory(staging, path, overwrite=True)
    report = import_memory(ExperienceStore(args.uri), path, mode="append")
    acknowledge(args.journal, {"import": [r.id for r in rows], "report": report.describe()})


def compactor(args: argparse.Namespace) -> None:
    from tui_agent.memory.store import ExperienceStore

    from tui_agent.memory.compaction import CompactionError
    from tui_agent.memory.errors import MemoryStoreError

    store = ExperienceStore(args.uri)
    while not args.journal.with_suffix(".stop").exists():
        try:
            acknowledge(args.journal, {"compact": store.compact()["seconds"]})
        except (CompactionError, MemoryStoreError) as exc:  # busy: the clients' writes go on; try again
            acknowledge(args.journal, {"compact_failed": str(exc)[:200]})
        time.sleep(1.0)


# --- the driver ----------------------------------------------------------------------------


def spawn(role: str, uri: str, journal: Path, tag: str, env: dict, args: argparse.Namespace) -> subprocess.Popen:
    home = tempfile.mkdtemp(prefix=f"team-{tag}-")
    command = [sys.executable, __file__, "--role", role, "--uri", uri, "--journal", str(journal), "--tag", tag,
               "--ratings", str(args.ratings), "--import-rows", str(args.import_rows)]
    return subprocess.Popen(command, env={**env, "TUI_AGENT_HOME": home}, stdout=subprocess.DEVNULL,
                            stderr=open(journal.with_suffix(f".{tag}.err"), "w"))


def read_journal(paths: list[Path]) -> list[dict]:
    records = []
    for path in paths:
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:  # the line a kill cut off was not acknowledged
                    pass
    return records


def seed(uri: str) -> None:
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    ExperienceStore(uri).add([Experience(f"shared {i}", "answer", id=f"shared-{i}", vector=unit(i))
                              for i in range(SHARED)])


def check(uri: str, records: list[dict], kills: int) -> dict:
    from collections import Counter

    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(uri)  # the memory opens
    rows = store.all()
    ids = [r.id for r in rows]
    acked_inserts = {r["insert"] for r in records if "insert" in r}
    acked_imports = {i for r in records if "import" in r for i in r["import"]}
    ratings = Counter(r["rate"] for r in records if "rate" in r)
    present = set(ids)
    n_of = {r.id: r.n for r in rows if r.id.startswith("shared-")}
    return {
        "rows": len(ids), "unique_ids": len(present), "duplicates": len(ids) - len(present),
        "acknowledged_inserts": len(acked_inserts), "missing_inserts": len(acked_inserts - present),
        "acknowledged_imports": len(acked_imports), "missing_imports": len(acked_imports - present),
        "acknowledged_ratings": sum(ratings.values()),
        "ratings_missing": sum(max(0, ratings[i] - n_of.get(i, 0)) for i in ratings),
        "ratings_extra": sum(max(0, n_of.get(i, 0) - ratings[i]) for i in n_of),
        "extra_allowed": kills,
        "compactions": sum(1 for r in records if "compact" in r),
        "compactions_failed": sum(1 for r in records if "compact_failed" in r),
    }


def run_phase(uri: str, workdir: Path, env: dict, args: argparse.Namespace, kills: int) -> dict:
    seed(uri)
    start = time.perf_counter()
    journals: list[Path] = []

    def start_client(tag: str) -> subprocess.Popen:
        journal = workdir / f"{tag}.jsonl"
        journals.append(journal)
        return spawn("client", uri, journal, tag, env, args)

    clients = {f"c{k}": start_client(f"c{k}") for k in range(args.clients)}
    side = workdir / "side.jsonl"
    journals.append(side)
    others = [spawn("importer", uri, side, "importer", env, args),
              spawn("compactor", uri, workdir / "compact.jsonl", "compactor", env, args)]
    journals.append(workdir / "compact.jsonl")
    done, killed, serial, rng = 0, 0, 0, random.Random(1)
    while clients:
        time.sleep(rng.uniform(0.2, 1.5) if killed < kills else 0.5)
        for tag, process in list(clients.items()):
            if process.poll() is not None:
                if process.returncode != 0:
                    raise SystemExit(f"client {tag} failed: see {workdir}/{tag}.{tag}.err")
                del clients[tag]
                done += 1
        writing = sorted((t, p) for t, p in clients.items() if (workdir / f"{t}.jsonl").exists())
        if killed < kills and writing:  # a client that has acknowledged a write: killed mid-work, not at start-up
            tag, process = rng.choice(writing)
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed += 1
            serial += 1
            del clients[tag]
            clients[f"{tag.split('r')[0]}r{serial}"] = start_client(f"{tag.split('r')[0]}r{serial}")
    if others[0].wait() != 0:
        raise SystemExit(f"importer failed: see {workdir}/side.importer.err")
    (workdir / "compact.stop").touch()
    others[1].wait()
    result = check(uri, read_journal(journals), killed)
    result.update(kills=killed, seconds=round(time.perf_counter() - start, 1))
    return result


def latency(location: str, env: dict, args: argparse.Namespace) -> dict:
    import numpy as np

    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(location)
    store.add([Experience(f"task {i}", "answer", id=f"lat-{i}", vector=unit(20_000 + i)) for i in range(200)])
    rate, search = [], []
    for i in range(args.latency_repeats):
        t = time.perf_counter()
        store.update_values(f"lat-{i % 200}", lambda q, n, m: (q + 1.0, n + 1, m))
        rate.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.search(np.asarray(unit(30_000 + i), dtype=np.float32), limit=12)
        search.append(time.perf_counter() - t)
    out = {"rating_ms": round(1000 * statistics.median(rate), 1), "search12_ms": round(1000 * statistics.median(search), 1)}
    if not args.no_ask:
        home = tempfile.mkdtemp(prefix="team-ask-")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tui_agent", "ask", "What is the capital of France?", "--json",
                        "--memory-dir", location], env={**env, "TUI_AGENT_HOME": home}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out["cold_ask_s"] = round(time.perf_counter() - t, 1)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.role:
        {"client": client, "importer": importer, "compactor": compactor}[args.role](args)
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from s3_server import MotoServer, moto_command

    if moto_command() is None:
        raise SystemExit("needs the s3 extra: pip install -e '.[s3]'")
    workdir = Path(tempfile.mkdtemp(prefix="team-memory-"))
    server = MotoServer(workdir / "moto.log")
    env = {**os.environ, **server.env(), "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    os.environ.update(server.env())
    os.environ["TUI_AGENT_HOME"] = str(workdir / "driver-home")
    figures: dict = {"server": "moto_server on 127.0.0.1 (loopback: no network latency)", "clients": args.clients,
                     "ratings_per_client": args.ratings}
    try:
        phases = {p.strip() for p in args.phases.split(",")}
        for phase, kills in (("concurrent", 0), ("sigkill", args.kills)):
            if phase not in phases or (phase == "sigkill" and not kills):
                continue
            phase_dir = workdir / phase
            phase_dir.mkdir()
            figures[phase] = run_phase(f"s3://{server.bucket()}/memory", phase_dir, env, args, kills)
            print(phase, json.dumps(figures[phase]), flush=True)
        if "latency" in phases:
            figures["latency"] = {"s3_loopback": latency(f"s3://{server.bucket()}/memory", env, args),
                                  "directory": latency(str(workdir / "local-memory"), env, args)}
            print("latency", json.dumps(figures["latency"]), flush=True)
    finally:
        server.stop()
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
