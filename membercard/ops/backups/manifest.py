"""The record of each backup, kept on disk beside it (so a restore never loses the list).

For a backup file ``membercard-20261123-030000.sqlite3`` the folder holds:

* ``….sqlite3.sha256``: ``<hex>  <file name>``, the format ``sha256sum -c`` reads;
  a restore checks it before touching anything.
* ``….sqlite3.json``: the manifest: file, created at, database vendor, size, sha256,
  app version, migration state, who asked for it, and the verify result and when.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from membercard.core import files

PREFIX = "membercard-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
PARTIAL = ".partial"

VERIFY_PASSED = "passed"
VERIFY_FAILED = "failed"
VERIFY_NOT_RUN = "not run"


@dataclass
class Manifest:
    file: str
    created_at: str  # ISO 8601, UTC
    vendor: str
    size: int
    sha256: str
    app_version: str
    migrations: dict[str, str] = field(default_factory=dict)
    trigger: str = ""
    verify: str = VERIFY_NOT_RUN
    verified_at: str | None = None
    verify_output: str = ""

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    @property
    def verified(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.verified_at) if self.verified_at else None

    @property
    def verify_failed(self) -> bool:
        return self.verify == VERIFY_FAILED

    def path_in(self, directory: Path) -> Path:
        return directory / self.file


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def checksum_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".sha256")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + PARTIAL)
    with files.touch_private(temporary).open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def save(directory: Path, manifest: Manifest) -> None:
    backup = manifest.path_in(directory)
    _write_atomically(manifest_path(backup), json.dumps(asdict(manifest), indent=2) + "\n")


def write_checksum(backup: Path, sha256: str) -> None:
    _write_atomically(checksum_path(backup), f"{sha256}  {backup.name}\n")


def read_checksum(backup: Path) -> str | None:
    """The hex digest recorded for ``backup``, or None if there is no readable checksum file."""
    try:
        text = checksum_path(backup).read_text().strip()
    except OSError:
        return None
    digest = text.split()[0] if text else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
        return None
    return digest.lower()


def load(path: Path) -> Manifest | None:
    """The manifest of a backup (``path`` is the backup or its .json), None if unreadable."""
    json_path = path if path.name.endswith(".json") else manifest_path(path)
    try:
        data = json.loads(json_path.read_text())
        return Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def all_in(directory: Path) -> list[Manifest]:
    """Every backup recorded in ``directory`` whose file is still there, newest first."""
    if not directory.is_dir():
        return []
    found = []
    for json_path in directory.glob(f"{PREFIX}*.json"):
        manifest = load(json_path)
        if manifest is not None and manifest.path_in(directory).is_file():
            found.append(manifest)
    return sorted(found, key=lambda m: (m.created, m.file), reverse=True)


def delete(directory: Path, manifest: Manifest) -> None:
    backup = manifest.path_in(directory)
    for path in (backup, checksum_path(backup), manifest_path(backup)):
        path.unlink(missing_ok=True)
