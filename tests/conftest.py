"""Fixtures for end-to-end server tests: a real ``python -m kairos_lsp`` over stdio."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

REPO = Path(__file__).resolve().parents[1]
DEBOUNCE_MS = 50


def server_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    env.update(PYTHONPATH=str(REPO), KAIROS_DEBOUNCE_MS=str(DEBOUNCE_MS), PYTHONUNBUFFERED="1")
    return env


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "kairos_lsp"],
                                              server_env=server_env()))
async def client(lsp_client: LanguageClient):
    """A started server; each test initializes it with its own workspace."""
    yield
    await lsp_client.shutdown_session()  # a no-op when the test never initialized
