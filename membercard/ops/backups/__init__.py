"""Automatic backups: make, verify, keep, restore (issue #8). See docs/backups.md.

config     settings from the environment (folder, hour, retention, verify)
manifest   the record beside each backup (JSON manifest and sha256 checksum file)
engine     SQLite backup API / pg_dump -Fc, and back into an empty database
services   run_backup, restore_backup, verify_backup, apply_retention
retention  which backups to keep (pure)
scheduler  the daily run, with an injectable clock
selectors  what the back office shows
"""
