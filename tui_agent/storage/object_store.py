"""A memory on S3-compatible object storage: its address, LanceDB ``storage_options``, a local side directory.

A memory location is either a directory or an object-store URI ``s3://bucket/prefix``. LanceDB (lance's
``object_store``) reads and writes the bucket; concurrent writers from several machines are safe because
lance commits a table version with a conditional PUT (``If-None-Match: *``): of two commits of the same
version one fails and lance retries it on the new version (appends never conflict; an update that
overlaps another is retried by :func:`retry_commit`). S3 itself (since 2024), MinIO and moto honour the
condition; for a store that does not, use ``s3+ddb://bucket/prefix?ddbTableName=…`` (a DynamoDB commit
store) — the URI is passed to LanceDB as it is.

Credentials are *never* read from a file of ours: LanceDB takes them from the usual environment
variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``), or
:func:`storage_options` resolves a named profile (``~/.aws/credentials``) with boto3 into the options
held in RAM.

A :class:`RemoteMemory` stands where a memory directory stood: ``str()`` is the URI (for messages), and
``os.fspath()`` / ``/`` give this machine's *side directory* (``<data dir>/remote/<hash of the URI>``),
which holds what stays per machine: the write lock between local processes, the learned calibration and
note ranker, the compaction back-off record. Standard library, tenacity (:func:`retry_commit`); boto3 only for a
named profile. Opening the database: :mod:`tui_agent.storage.lance_connect`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["REMOTE_SCHEMES", "RemoteMemory", "StoreUnreachable", "is_remote", "normalise_location", "retry_commit",
           "storage_options", "unreachable_problem", "unreachable_reason"]

T = TypeVar("T")
COMMIT_TRIES = 12

REMOTE_SCHEMES = ("s3", "s3+ddb")
_MANGLED = re.compile(r"^(s3|s3\+ddb):/+(?=[^/])")
"""``Path("s3://b/p")`` is ``s3:/b/p``: a CLI option typed as a path loses a slash; this puts it back."""


def normalise_location(value: str | os.PathLike[str]) -> str:
    """The location as text: an object-store URI with its ``//`` restored, or the path unchanged.

    Raises:
        ValueError: an ``s3://`` URI without a bucket name.
    """
    text = os.fspath(value)
    match = _MANGLED.match(text)
    if match:
        text = f"{match.group(1)}://{text[match.end():]}"
    if is_remote(text) and not text.split("://", 1)[1].split("/", 1)[0]:
        raise ValueError(f"memory location {text!r}: an object-store URI needs a bucket, e.g. s3://bucket/memory")
    return text


def is_remote(value: object) -> bool:
    """True for a :class:`RemoteMemory` or an ``s3://`` / ``s3+ddb://`` URI (also as a mangled path)."""
    if isinstance(value, RemoteMemory):
        return True
    if not isinstance(value, (str, os.PathLike)):
        return False
    text = os.fspath(value)
    return isinstance(text, str) and bool(_MANGLED.match(text) or text.split("://", 1)[0] in REMOTE_SCHEMES
                                          and "://" in text)


def storage_options(*, endpoint: str | None = None, region: str | None = None, allow_http: bool = False,
                    profile: str | None = None, timeout_s: float | None = None) -> dict[str, str]:
    """LanceDB ``storage_options`` for an S3-compatible store.

    Args:
        endpoint: the store's URL (``http://127.0.0.1:9000``); ``None`` = AWS.
        region: e.g. ``us-east-1`` (S3-compatible servers usually need one; ``None``: ``AWS_REGION`` /
            ``AWS_DEFAULT_REGION`` or ``us-east-1``).
        allow_http: allow a plain-HTTP endpoint (a local server).
        profile: a named AWS profile: its credentials are resolved here (boto3) and held in RAM only.
        timeout_s: per-request time limit, seconds (an unreachable store then fails within about this).

    Raises:
        ValueError: the profile does not exist or has no credentials, or boto3 is missing for it.
    """
    options: dict[str, str] = {}
    if endpoint:
        options["aws_endpoint"] = endpoint
    options["aws_region"] = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if allow_http:
        options["allow_http"] = "true"
    if timeout_s:
        options["timeout"] = f"{max(1, round(timeout_s))}s"
        options["connect_timeout"] = f"{max(1, round(min(timeout_s, 5)))}s"
    if profile:
        try:
            import boto3  # type: ignore[import-untyped]
            from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ValueError(f"s3_profile {profile!r} needs boto3 (pip install 'tui-agent[s3]')") from exc
        try:
            credentials = boto3.Session(profile_name=profile).get_credentials()
        except ProfileNotFound as exc:
            raise ValueError(f"s3_profile {profile!r}: no such AWS profile") from exc
        if credentials is None:
            raise ValueError(f"s3_profile {profile!r} has no credentials")
        frozen = credentials.get_frozen_credentials()
        options["aws_access_key_id"] = frozen.access_key
        options["aws_secret_access_key"] = frozen.secret_key
        if frozen.token:
            options["aws_session_token"] = frozen.token
    return options


@dataclass(frozen=True)
class RemoteMemory:
    """A memory in a bucket: ``uri`` (``s3://bucket/prefix``), ``options`` (LanceDB ``storage_options``,
    secrets included, so kept out of ``repr``) and ``side`` (this machine's side directory)."""

    uri: str
    options: dict[str, str] = field(default_factory=dict, repr=False)
    side: Path = field(default_factory=Path)

    @classmethod
    def at(cls, uri: str | os.PathLike[str], side_root: Path, **settings: Any) -> RemoteMemory:
        """The memory at ``uri`` with :func:`storage_options` of ``settings``; its side directory under
        ``side_root`` (one per URI)."""
        text = normalise_location(uri).rstrip("/")
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return cls(text, storage_options(**settings), Path(side_root) / digest)

    def moved_to(self, side_root: Path) -> RemoteMemory:
        """The same memory (URI and storage options) with its side directory under ``side_root``: as another
        machine (a Ray worker on another node) opens it."""
        return replace(self, side=Path(side_root) / self.side.name)

    def __str__(self) -> str:
        return self.uri

    def __fspath__(self) -> str:
        return str(self.side)

    def __truediv__(self, name: str) -> Path:
        return self.side / name

    def expanduser(self) -> RemoteMemory:
        return self


class StoreUnreachable(ConnectionError):
    """The object store does not answer, or refuses the credentials; the message is one line."""


def unreachable_problem(where: object, exc: BaseException) -> str | None:
    """``memory s3://… is unreachable: …`` for a connection failure (refused, DNS, timeout, bad
    credentials or a missing bucket), else ``None``."""
    reason = unreachable_reason(exc)
    if reason is None:
        return None
    return (f"memory {where} is unreachable ({reason}): check the endpoint, the bucket and the AWS_* credentials; "
            "nothing was written")


def unreachable_reason(exc: BaseException) -> str | None:
    """What in ``exc`` says the store cannot be reached (``"connection refused"``, ``"timed out"``, …), or
    ``None`` for any other error (a commit conflict is busy, not unreachable)."""
    if is_commit_conflict(exc):  # lance's "too many concurrent writers … retry_timeout": busy, not unreachable
        return None
    lowered = str(exc).lower()
    markers = ("connection refused", "error sending request", "dns error", "timed out", "timeout",
               "connect error", "nosuchbucket", "invalidaccesskeyid", "signaturedoesnotmatch", "accessdenied",
               "client error (connect)", "tcp connect error")
    return next((m for m in markers if m in lowered), None)


def is_commit_conflict(exc: BaseException) -> bool:
    """LanceDB's "commit conflict" / "retryable" / "too many concurrent writers" errors: other writers committed
    first and this commit did not happen; doing it again is safe."""
    text = str(exc).lower()
    return isinstance(exc, (OSError, RuntimeError, ValueError)) and any(
        m in text for m in ("conflict", "retryable", "too many concurrent writers"))


def retry_commit(operation: Callable[[], T]) -> T:
    """Run ``operation`` (one LanceDB write), again on a commit conflict (up to 12 tries, jittered exponential
    back-off from 50 ms to 2 s); any other error, or the last conflict, is raised as it is."""
    from tenacity import retry, retry_if_exception, stop_after_attempt, wait_random_exponential

    runner = retry(retry=retry_if_exception(is_commit_conflict), stop=stop_after_attempt(COMMIT_TRIES),
                   wait=wait_random_exponential(multiplier=0.05, max=2.0), reraise=True)(operation)
    return runner()
