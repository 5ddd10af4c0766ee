"""Test helper: a local S3 server (``moto_server``, from the ``s3`` extra) on 127.0.0.1, and buckets in it.

Separate ``TUI_AGENT_HOME`` directories stand in for separate machines; the server is the shared bucket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_command() -> list[str] | None:
    """The command that starts moto's server, or None when the ``s3`` extra is not installed."""
    try:
        import moto.server  # noqa: F401 - only whether it is installed
    except ImportError:
        return None
    exe = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "moto.server"]


class MotoServer:
    """``moto_server`` on a free loopback port; :meth:`bucket` makes a fresh bucket; :meth:`env` the variables a
    client process needs (endpoint, plain HTTP, test credentials)."""

    def __init__(self, log: Path) -> None:
        command = moto_command()
        if command is None:
            raise RuntimeError("moto is not installed")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "wb")  # closed in stop()
        self.process = subprocess.Popen([*command, "-H", "127.0.0.1", "-p", str(self.port)], stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120  # a loaded machine takes a while to import moto
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not start (see {log})")

    def env(self) -> dict[str, str]:
        return {**CREDENTIALS, "TUI_AGENT_S3_ENDPOINT": self.endpoint, "TUI_AGENT_S3_ALLOW_HTTP": "true"}

    def bucket(self) -> str:
        import boto3

        name = f"team-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def apply_env(server: MotoServer) -> None:
    os.environ.update(server.env())
