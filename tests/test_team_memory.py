"""Team memory on S3-compatible storage, against a local moto server (skipped without the ``s3`` extra).

Separate TUI_AGENT_HOME directories stand in for separate machines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3_server import MotoServer, moto_command
from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.storage.object_store import RemoteMemory, is_remote, normalise_location
from vectors import unit

needs_moto = pytest.mark.skipif(moto_command() is None, reason="the s3 extra (moto[server]) is not installed: "
                                "pip install -e '.[s3]'")


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory):
    if moto_command() is None:
        pytest.skip("the s3 extra (moto[server]) is not installed: pip install -e '.[s3]'")
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def bucket_uri(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return f"s3://{moto.bucket()}/memory"


def test_locations_are_parsed_without_losing_the_uri(tmp_path: Path):
    assert normalise_location(Path("s3://bucket/team/memory")) == "s3://bucket/team/memory"  # a typer Path option
    assert is_remote("s3+ddb://bucket/x") and not is_remote(tmp_path) and not is_remote("s3-notes")
    with pytest.raises(ValueError, match="needs a bucket"):
        normalise_location("s3://")
    remote = RemoteMemory.at("s3://b/m", tmp_path, endpoint="http://h:1", allow_http=True)
    assert str(remote) == "s3://b/m" and Path(remote / "x.json").parent == remote.side
    assert "options" not in repr(remote)


def test_settings_take_an_s3_memory_dir_but_no_credentials_from_the_config_file(agent_home: Path):
    from tui_agent.config.base import config_file
    from tui_agent.config.settings import load_settings

    settings = load_settings(memory_dir=Path("s3://bucket/team"), s3_endpoint="http://127.0.0.1:9", s3_allow_http=True)
    location = settings.resolved_memory_dir()
    assert isinstance(location, RemoteMemory) and location.uri == "s3://bucket/team"
    assert location.options["aws_endpoint"] == "http://127.0.0.1:9" and location.options["allow_http"] == "true"
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text('aws_secret_access_key = "x"\n')
    with pytest.raises(ValueError, match="not read from the config file"):
        load_settings()


@needs_moto
def test_remote_memory_stores_searches_rates_compacts_and_undoes(bucket_uri: str):
    store = ExperienceStore(bucket_uri)
    store.add([Experience(f"task {i}", "answer", id=f"e{i}", vector=unit(i)) for i in range(5)])
    assert store.count() == 5 and store.search(store.get("e1").vector, limit=12)[0].experience.id == "e1"
    for _ in range(3):
        store.update_values("e1", lambda q, n, m: (q + 1.0, n + 1, m))
    assert (store.get("e1").q, store.get("e1").n) == (3.0, 3)
    assert store.stats()["location"].startswith(f"object store {bucket_uri}")
    from tui_agent.memory import versions

    assert versions.undo(store).rating and store.get("e1").n == 2
    store.compact()
    assert (store.get("e1").q, store.get("e1").n) == (2.0, 2)
    assert ExperienceStore(bucket_uri).get("e1").n == 2  # another process, another home: the same values
    with pytest.raises(KeyError):
        store.update_values("missing", lambda q, n, m: (q, n, m))


@needs_moto
def test_two_machines_rating_the_same_answer_both_count(bucket_uri: str, moto: MotoServer, tmp_path: Path):
    """Two stores with their own side directories (own locks, own connections) stand in for two machines
    (threads here; benchmarks/team_memory.py runs separate processes with separate homes)."""
    from concurrent.futures import ThreadPoolExecutor

    ExperienceStore(bucket_uri).add([Experience("shared task", "answer", id="shared", vector=unit(7))])
    machines = [ExperienceStore(RemoteMemory.at(bucket_uri, tmp_path / f"machine{k}", endpoint=moto.endpoint,
                                                allow_http=True)) for k in range(2)]

    def rate(store: ExperienceStore) -> list[int]:
        return [store.update_values("shared", lambda q, n, m: (q + 1.0, n + 1, m))[1] for _ in range(5)]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(rate, machines))
    assert machines[0].lock.lock_file != machines[1].lock.lock_file
    row = ExperienceStore(bucket_uri).get("shared")
    assert (row.n, row.q) == (10, 10.0)
    assert sorted(n for r in results for n in r) == list(range(1, 11))  # each acknowledged N given once


@needs_moto
def test_copy_directory_to_bucket_and_back_gives_identical_exports(bucket_uri: str, tmp_path: Path):
    from tui_agent.memory.relocate import copy_memory
    from tui_agent.memory.transfer import export_memory

    source = ExperienceStore(tmp_path / "source")
    source.add([Experience(f"task {i}", f"answer {i}", id=f"e{i}", vector=unit(i)) for i in range(20)])
    source.update_values("e3", lambda q, n, m: (0.5, n + 1, 1.0))  # a logged rating, not folded
    (tmp_path / "source" / "recall_calibration.json").write_text("{}")
    assert copy_memory(tmp_path / "source", bucket_uri).experiences == 20
    result = copy_memory(bucket_uri, tmp_path / "back")
    assert result.side_files == ("recall_calibration.json",)
    for name, memory in (("a.jsonl", tmp_path / "source"), ("b.jsonl", tmp_path / "back")):
        export_memory(ExperienceStore(memory), tmp_path / name)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    with pytest.raises(MemoryStoreError, match="copy into an empty memory"):
        copy_memory(tmp_path / "source", bucket_uri)


def test_unreachable_store_is_one_line(monkeypatch: pytest.MonkeyPatch):
    from s3_server import free_port

    monkeypatch.setenv("TUI_AGENT_S3_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("TUI_AGENT_S3_ALLOW_HTTP", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(MemoryStoreError) as info:
        ExperienceStore("s3://nowhere/memory")
    assert "unreachable" in str(info.value) and "\n" not in str(info.value)


@needs_moto
def test_cli_stats_says_where_the_memory_lives(bucket_uri: str):
    from typer.testing import CliRunner

    from tui_agent.cli import app

    result = CliRunner().invoke(app, ["memory", "stats", "--json", "--memory-dir", bucket_uri])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["location"].startswith(f"object store {bucket_uri}")


@needs_moto
def test_import_export_and_restore_points_work_on_the_bucket(bucket_uri: str, tmp_path: Path):
    from tui_agent.memory import versions
    from tui_agent.memory.transfer import export_memory, import_memory

    local = ExperienceStore(tmp_path / "local")
    local.add([Experience(f"task {i}", "answer", id=f"e{i}", vector=unit(i)) for i in range(6)])
    export_memory(local, tmp_path / "file.parquet")
    remote = ExperienceStore(bucket_uri)
    remote.add([Experience("before", "answer", id="before", vector=unit(99))])
    report = import_memory(remote, tmp_path / "file.parquet", mode="append")
    assert remote.count() == 7 and report.restore_point
    versions.restore(remote, report.restore_point)
    assert [e.id for e in remote.all()] == ["before"]
    export_memory(remote, tmp_path / "back.jsonl")
    assert (tmp_path / "back.jsonl").read_text().count('"id": "before"') == 1


@needs_moto
def test_a_store_lost_mid_session_serves_reads_from_ram_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture):
    """The server stops while the store is open: searches, gets and counts come from what the process read,
    with one logged line; what RAM does not hold, and every write, fail with one line."""
    server = MotoServer(tmp_path / "moto.log")  # its own server: this test stops it
    try:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        store = ExperienceStore(f"s3://{server.bucket()}/memory")
        store.add([Experience(f"task {i}", f"answer {i}", id=f"e{i}", vector=unit(i)) for i in range(5)])
        store.update_values("e1", lambda q, n, m: (1.0, n + 1, 1.0))
        assert store.search(unit(1), limit=3)[0].experience.q == 1.0 and store.count() == 5
    finally:
        server.stop()
    with caplog.at_level("WARNING", logger="tui_agent.memory.offline"):
        hits = store.search(unit(1), limit=3)
        assert hits[0].experience.id == "e1" and (hits[0].experience.q, hits[0].experience.n) == (1.0, 1)
        assert store.get("e2").action == "answer 2" and store.count() == 5
        assert store.search(unit(3), limit=1)[0].experience.id == "e3"
    problem = store.read_only
    assert problem and problem.startswith("memory s3://") and "read-only" in problem and "\n" not in problem
    assert [r.getMessage() for r in caplog.records] == [problem]  # one line, however many reads
    for read in (lambda: store.search(unit(1), kind="shop"), store.stats):  # not in RAM: one clear line
        with pytest.raises(MemoryStoreError, match="unreachable .*no copy") as info:
            read()
        assert "\n" not in str(info.value)
    with pytest.raises(MemoryStoreError, match="unreachable") as info:
        store.update_values("e1", lambda q, n, m: (q, n + 1, m))
    assert "\n" not in str(info.value)


def _shop_on(store: ExperienceStore):
    from vectors import HashEmbedder

    from tui_agent.shop.agent import ShopAgent, ShopConfig

    return ShopAgent(store, HashEmbedder(), None, ShopConfig(scorer="constant"))


@needs_moto
def test_rollout_workers_read_the_snapshot_from_the_bucket(bucket_uri: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    """In-process (no Ray): a worker given a StoreSnapshot opens the bucket itself (its own side directory) and
    reads the rows at the driver's version; the driver applies the trajectories: the sequential run's rows."""
    from test_rollouts import episodes, jobs, make_agent, memory_rows, sequential, worker_factory

    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.parallel.rollouts import RolloutWorker, StoreSnapshot
    from tui_agent.rlem.batched import apply_trajectory

    todo = jobs("episodic-control", [0, 1]) + jobs("episodic-control", [0, 1], epoch=1)
    seq_agent = make_agent(tmp_path / "seq")
    seq = sequential(seq_agent, ShopEnv(split="train"), todo)
    driver = _shop_on(ExperienceStore(bucket_uri))
    driver.ensure_initial_pool()
    monkeypatch.setenv("TUI_AGENT_HOME", str(tmp_path / "worker-machine"))
    worker = RolloutWorker(worker_factory())
    out = []
    for job in todo:  # one episode per snapshot: exactly the sequential path (test_rollouts)
        token = driver.replay.sink.version()
        result, trajectory, _ = worker.run(job, token, [StoreSnapshot(driver.store.remote, "shop", token)])
        result.row_ids = [u.row_id for u in apply_trajectory(driver.replay, trajectory) if u.row_id]
        out.append(result)
    assert episodes(out) == episodes(seq)
    assert memory_rows(driver) == memory_rows(seq_agent)
    assert worker.reader.remote.side.is_relative_to(tmp_path / "worker-machine")  # not the driver's side files
    with pytest.raises(RuntimeError, match="does not write"):
        worker.agent.store.add([])


@pytest.mark.model
@needs_moto
def test_ray_workers_read_a_remote_memory_from_the_bucket(bucket_uri: str, moto: MotoServer, tmp_path: Path):
    """Two local Ray workers against moto; the driver, the one writer, gets the sequential run's rows."""
    ray = pytest.importorskip("ray", reason="Ray is the 'rl' extra")
    from test_rollouts import episodes, jobs, make_agent, memory_rows, sequential, worker_factory

    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.parallel.rollouts import RayRollouts

    tests = Path(__file__).resolve().parent
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": f"{tests}:{tests.parent}", **moto.env(),
                                       "TUI_AGENT_HOME": str(tmp_path / "workers")}})
    try:
        todo = jobs("random") + jobs("random", epoch=1)
        seq_agent = make_agent(tmp_path / "seq")
        seq = sequential(seq_agent, ShopEnv(split="train"), todo)
        driver = _shop_on(ExperienceStore(bucket_uri))
        driver.ensure_initial_pool()
        with RayRollouts(worker_factory(), workers=2, batch_size=3) as rollouts:
            par = [result for _job, result in rollouts.run(driver, todo)]
        assert rollouts.stats["snapshot_source"] == "store" and rollouts.failed == []
        assert episodes(par) == episodes(seq)
        assert memory_rows(driver) == memory_rows(seq_agent)
    finally:
        ray.shutdown()


async def test_the_chat_status_line_says_the_memory_is_read_only(agent_home: Path):
    from textual.widgets import Static

    from tui_agent.config.settings import load_settings
    from tui_agent.tui.app import ChatApp

    line = "memory s3://b/m is unreachable (connection refused): read-only from this process's copy until the store is back"

    class Offline:  # what ChatAgent says while its bucket is gone
        def load(self, progress) -> None:
            pass

        def memory_count(self) -> int:
            return 3

        def memory_read_only(self) -> str:
            return line

    app = ChatApp(load_settings(memory_dir=agent_home / "m"), agent=Offline())
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause()
        app.refresh_status()
        status = str(app.query_one("#status", Static).render())
        assert status.startswith(f"⚠ {line} · ") and "3 experiences" in status
