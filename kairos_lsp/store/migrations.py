"""Forward-only schema migrations, applied in order when a store opens.

Version 1 is ``schema.sql``; each later version is one small function here.
``PRAGMA user_version`` mirrors the number applied, so a store written by a
newer kairos is refused instead of misread.
"""

from __future__ import annotations

import importlib.resources

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kairos")


@migrations()
def m001_initial(db: Database) -> None:
    schema = importlib.resources.files(__package__).joinpath("schema.sql").read_text()
    code = "\n".join(line.split("--", 1)[0] for line in schema.splitlines())
    for statement in code.split(";"):  # executescript would commit mid-migration
        if statement.strip():
            db.execute(statement)


@migrations()
def m002_files_has_errors(db: Database) -> None:
    # Files that only parsed with errors are worth a second look when they change.
    db.execute("ALTER TABLE files ADD COLUMN has_errors INTEGER NOT NULL DEFAULT 0")


@migrations()
def m003_versions_by_path(db: Database) -> None:
    # "What did this file look like before" must not scan every version.
    db.execute("CREATE INDEX IF NOT EXISTS versions_path ON versions(path, id)")


SCHEMA_VERSION = len(migrations._migrations)
