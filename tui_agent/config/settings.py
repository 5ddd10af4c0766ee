"""Settings: defaults < TOML file in the platform config dir < environment < CLI flags.

The config file is ``<config dir>/config.toml`` where ``<config dir>`` is
``platformdirs.user_config_dir("tui-agent")`` (``~/.config/tui-agent`` on
Linux). Environment variables use the prefix ``TUI_AGENT_`` (for example
``TUI_AGENT_MODEL=openai/gpt-4o-mini``). ``TUI_AGENT_HOME`` moves *all* data
(memory, config, state) under one directory, which tests and portable
installs use.

Nothing here imports a heavy library.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tui_agent.config.base import (  # noqa: F401 - re-exported: the pydantic-free part
    APP_NAME,
    DEFAULT_MODEL,
    POLICIES,
    policy_spec,
    config_dir,
    config_file,
    data_dir,
    home_dir,
    load_state,
    save_state,
    state_file,
)
from tui_agent.storage.files import UserFileError, read_toml
from tui_agent.storage.object_store import RemoteMemory, is_remote, normalise_location

class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``config.toml`` with :func:`tui_agent.storage.files.read_toml` (regular file, size and depth caps).

    A malformed or unusable file raises a one-line ``ValueError`` naming it.
    """

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        try:
            data = read_toml(self.path)
        except FileNotFoundError:
            return {}
        except UserFileError as exc:
            raise ValueError(f"config file {exc}") from exc
        if "api_key" in data:  # keys are never stored in files we write or read
            raise ValueError(f"config file {self.path}: 'api_key' is not read from the config file; put the key in "
                             "an environment variable and give that variable's name as api_key_env")
        secrets = sorted(k for k in data if k.lower().startswith("aws_") or k.lower() in ("s3_secret", "s3_key"))
        if secrets:  # object-store credentials come from AWS_* variables or a named profile only
            raise ValueError(f"config file {self.path}: {', '.join(secrets)} is not read from the config file; set "
                             "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or name a profile as "
                             "s3_profile")
        return data


class Settings(BaseSettings):
    """All user-tunable settings, with their units and ranges.

    Raises:
        ValueError: the config file is malformed, or a value is out of range.
    """

    model_config = SettingsConfigDict(env_prefix="TUI_AGENT_", extra="ignore")

    # --- LLM ---------------------------------------------------------------
    model: str = Field(DEFAULT_MODEL, description="Any LiteLLM model string, e.g. 'openai/gpt-4o-mini'.")
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible or local server.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable that holds the API key (the key itself is never stored)."
    )
    fallback_to_local: bool = Field(True, description="On a failed hosted call, answer with local/smollm2.")
    timeout_s: float = Field(120.0, gt=0, description="Per-call time limit, seconds.")
    retries: int = Field(2, ge=0, le=10, description="Retries on transient errors (connection, rate limit, 5xx).")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature of the first sample.")
    max_tokens: int = Field(256, ge=8, le=8192, description="Answer length limit, tokens.")
    local_n_ctx: int = Field(2048, ge=512, le=8192, description="Context window of the bundled model, tokens.")
    tuned_model: bool = Field(True, description="local/smollm2 answers with the tuned adapter switched on by "
                              "`tui-agent tune` (false: always the base model; `tune --off` switches it off too).")

    # --- memory ------------------------------------------------------------
    memory_dir: str | None = Field(
        None, description="LanceDB directory, or an object-store URI s3://bucket/prefix (team memory: "
        "docs/team_memory.md); default <data dir>/memory.")
    s3_endpoint: str | None = Field(None, description="S3-compatible endpoint URL for an s3:// memory; default AWS.")
    s3_region: str | None = Field(None, description="Region of an s3:// memory; default $AWS_REGION or us-east-1.")
    s3_allow_http: bool = Field(False, description="Allow a plain-HTTP s3_endpoint (a local server).")
    s3_profile: str | None = Field(
        None, description="Named AWS profile for an s3:// memory; default: the AWS_* environment variables.")
    s3_timeout_s: float = Field(10.0, gt=0, le=600, description="Per-request time limit of an s3:// memory, s.")

    # --- RLEM (see tui_agent/chat/policy.py for what each does) -------------
    policy: str = Field(
        "episodic-control",
        description="episodic-control (Q chooses: recall / reject in chat, action roles in the shop; learns with small "
        "models) | rememberer (the paper's: advice in the prompt only) | llm (no memory) | random.",
    )
    similarity_lambda: float = Field(0.5, ge=0, le=1, description="λ in λ·f_task + (1−λ)·f_obs.")
    exemplars: int = Field(2, ge=0, le=8, description="m: experiences shown to the model as exemplars.")
    recall_band: float | None = Field(
        None, gt=0, le=1, description="Min estimated P(right) to answer with a taught answer; default "
        "chat/bands.py RECALL_P (0.908, measured)."
    )
    suggest_band: float | None = Field(
        None, gt=0, le=1, description="Min estimated P(right) to show a taught answer beside the model's; "
        "default chat/bands.py SUGGEST_P (0.665)."
    )
    recall_q: float = Field(0.5, ge=-1, le=1, description="Min Q-value to answer from memory.")
    notes_ranker: bool = Field(
        False, description="Re-rank knowledge notes by the learned feature scorer (chat/note_ranker.py): better "
        "on questions unlike any rated one, worse than per-question Q on repeated ones (docs/notes_transfer.md).")
    exemplar_similarity: float = Field(0.6, ge=0, le=1, description="Min question similarity to show as exemplar.")
    reject_similarity: float = Field(
        85.0, ge=0, le=100, description="rapidfuzz ratio above which a sample duplicates a discouraged answer."
    )
    resamples: int = Field(3, ge=0, le=10, description="Resamples after rejecting a discouraged near-duplicate.")

    # --- UI ------------------------------------------------------------------
    theme: str | None = Field(None, description="Theme name; the last one chosen is remembered in state.toml.")
    models: list[str] = Field(
        default_factory=list, description="Models offered in the chat's palette (Ctrl+P → Model), besides "
        "`model` and local/smollm2.")
    keys: Any = Field(
        default_factory=dict, description="[keys] table: action = key or [keys] (tui_agent/tui/keymap.py; checked "
        "there, so a bad entry is reported and the app still starts).")

    @field_validator("memory_dir", mode="before")
    @classmethod
    def _location(cls, value: Any) -> Any:
        return normalise_location(value) if isinstance(value, (str, os.PathLike)) else value

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        return policy_spec(value).name

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, config_file()))

    def resolved_memory_dir(self) -> Path | RemoteMemory:
        """The memory to use: ``memory_dir`` (a directory, or an ``s3://`` URI as a
        :class:`~tui_agent.storage.object_store.RemoteMemory` with the ``s3_*`` settings), or
        ``<data dir>/memory``.

        Raises:
            ValueError: ``s3_profile`` names no usable profile.
        """
        if self.memory_dir and is_remote(self.memory_dir):
            return RemoteMemory.at(self.memory_dir, data_dir() / "remote", endpoint=self.s3_endpoint,
                                   region=self.s3_region, allow_http=self.s3_allow_http, profile=self.s3_profile,
                                   timeout_s=self.s3_timeout_s)
        return Path(self.memory_dir).expanduser() if self.memory_dir else data_dir() / "memory"

    def api_key(self) -> str | None:
        """The API key read from the environment variable named by ``api_key_env``."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


def load_settings(**overrides: Any) -> Settings:
    """Settings with CLI overrides applied (``None`` overrides are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
