"""The operator's entry point: ``membercard <command>`` wraps Django's management commands."""

from __future__ import annotations

import os
import sys

from membercard.core import files


def main(argv: list[str] | None = None) -> None:
    # First, before settings create the data folder: whatever this process (and gunicorn's
    # workers, the scheduler, a backup's verify run) creates is private to the service user.
    files.secure_process()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["membercard", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
