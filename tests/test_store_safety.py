"""The store is private, cannot be redirected by a workspace file, and adopts no foreign database."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from kairos_lsp.store import Store, StoreError, store_path


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("KAIROS_STORE", raising=False)


def write_something(store: Store) -> None:
    with store.transaction():
        store.db.execute(
            "INSERT INTO versions (path, content_hash, source, observed_at) "
            "VALUES ('a.py', 'h1', 'parse', '2026-01-01T00:00:00Z')"
        )


def test_a_new_store_is_private_whatever_the_umask(tmp_path, loose_umask):
    store = Store.for_workspace(tmp_path)
    write_something(store)
    db = tmp_path / ".kairos" / "memory.db"
    assert mode(tmp_path / ".kairos") == 0o700
    for each in (db, f"{db}-wal", f"{db}-shm"):
        assert os.path.exists(each), each
        assert mode(each) == 0o600, each
    store.close()


def test_an_existing_store_is_tightened_when_opened(tmp_path, loose_umask):
    Store.for_workspace(tmp_path).close()
    folder, db = tmp_path / ".kairos", tmp_path / ".kairos" / "memory.db"
    os.chmod(folder, 0o755)
    os.chmod(db, 0o644)
    store = Store.for_workspace(tmp_path)
    write_something(store)
    assert mode(folder) == 0o700
    assert mode(db) == 0o600
    assert mode(f"{db}-wal") == 0o600
    store.close()


def test_a_symlinked_store_folder_is_refused_not_followed(tmp_path):
    ws, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    ws.mkdir()
    elsewhere.mkdir()
    (ws / ".kairos").symlink_to(elsewhere)
    with pytest.raises(StoreError, match="symbolic link") as info:
        Store.for_workspace(ws)
    assert "\n" not in str(info.value)
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_database_is_refused_not_followed(tmp_path):
    target = tmp_path / "target.db"
    (tmp_path / ".kairos").mkdir()
    (tmp_path / ".kairos" / "memory.db").symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"):
        Store.for_workspace(tmp_path)
    assert not target.exists()


def test_a_store_path_option_may_not_leave_the_workspace(tmp_path):
    ws = tmp_path / "a" / "b" / "ws"
    ws.mkdir(parents=True)
    escape = "../../../x/../y/x.db"
    with pytest.raises(StoreError, match="leaves the workspace") as info:
        Store(store_path(ws, escape), workspace=ws)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    with pytest.raises(StoreError, match="leaves the workspace"):
        Store.for_workspace(ws, escape)  # an override is checked there too


def test_a_store_path_option_may_not_leave_through_a_symlink(tmp_path):
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "sub").symlink_to(outside)
    with pytest.raises(StoreError, match="leaves the workspace"):
        Store(store_path(ws, "sub/m.db"), workspace=ws)
    assert list(outside.iterdir()) == []


def test_an_absolute_store_path_option_with_dots_is_refused_before_any_folder(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    with pytest.raises(StoreError, match="leaves the workspace"):
        Store(store_path(ws, f"{tmp_path}/x/../y/m.db"), workspace=ws)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    Store(store_path(ws, str(tmp_path / "new" / "m.db")), workspace=ws).close()  # a plain absolute path is fine
    Store(store_path(ws, "inside/m.db"), workspace=ws).close()
    assert (ws / "inside" / "m.db").exists()


def test_the_user_may_point_the_store_anywhere(tmp_path, monkeypatch):
    ws = tmp_path / "a" / "ws"
    ws.mkdir(parents=True)
    monkeypatch.setenv("KAIROS_STORE", "../../x/m.db")
    Store(store_path(ws, "../../x/m.db"), workspace=ws).close()  # the option agrees with the env var
    assert (tmp_path / "x" / "m.db").exists()
    Store(store_path(ws, "../../z/m.db")).close()  # the CLI's --store: trusted
    assert (tmp_path / "z" / "m.db").exists()


def test_the_server_refuses_a_store_path_leaving_the_workspace(tmp_path):
    from kairos_lsp.config import Settings
    from kairos_lsp.server import Session

    ws = tmp_path / "a" / "ws"
    ws.mkdir(parents=True)
    session = Session(ws, Settings(store_path="../../etc/x/../y/x.db"), lambda level, message: None)
    error = session.open_store()
    assert error is not None and "leaves the workspace" in error and "\n" not in error
    assert not (tmp_path / "etc").exists()
    session.close()


def test_a_foreign_sqlite_database_is_not_adopted(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a kairos memory") as info:
        Store(db)
    assert str(db) in str(info.value) and "\n" not in str(info.value)
    conn = sqlite3.connect(db)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert tables == {"users"}
    Store(tmp_path / "empty.db").close()  # an empty file becomes a store
