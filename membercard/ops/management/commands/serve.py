"""``membercard serve``: the production server (gunicorn), never Django's runserver.

Beside gunicorn it starts the backup scheduler (``membercard scheduler``) as a companion
process of the gunicorn master, and stops it with the master; ``--no-scheduler`` leaves it
out (when cron or a systemd timer makes the backups, see docs/backups.md). Workers never
start one, and the scheduler's lock file lets only one run per backup folder.

gunicorn writes its own access and error logs, outside Django's ``LOGGING``; its logger
class here runs the same card-data filter (``membercard.core.redaction``) on both, so a
card swiped into a search box never reaches the access log as a URL.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable

from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from membercard.core.redaction import CardDataFilter


class RedactingLogger(Logger):
    """gunicorn's logger with the card-data filter on ``gunicorn.access`` and
    ``gunicorn.error`` and on every handler they have after setup (also one an operator's
    ``logconfig_dict`` or syslog option adds). ``setup`` runs again on a config reload."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for target in (log, *log.handlers):
                _add_card_filter(target)


def _add_card_filter(target: logging.Filterer) -> None:
    if not any(isinstance(existing, CardDataFilter) for existing in target.filters):
        target.addFilter(CardDataFilter())


def gunicorn_options(
    *, host: str, port: int, workers: int, threads: int, hooks: dict[str, Callable] | None = None
) -> dict:
    """The gunicorn settings ``serve`` runs with (tests build gunicorn's logger from them)."""
    return {
        **(hooks or {}),
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "logger_class": RedactingLogger,
        "timeout": 60,
        "graceful_timeout": 10,
    }


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from membercard.wsgi import application

        return application


class _Companion:
    """The scheduler process, started and stopped by gunicorn's master (hooks run there)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def start(self, server) -> None:
        command = [
            sys.executable,
            "-m",
            "membercard",
            "scheduler",
            "--parent-pid",
            str(os.getpid()),
        ]
        self.process = subprocess.Popen(command)

    def stop(self, server) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Command(BaseCommand):
    help = "Serve the web app and API with gunicorn."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-scheduler", action="store_true", help="do not run the daily backup scheduler"
        )

    def handle(
        self, *args, host: str, port: int, workers: int, threads: int, no_scheduler: bool, **options
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"membercard serving on http://{host}:{port} ({workers} workers)")
        hooks = {}
        if not no_scheduler:
            companion = _Companion()
            hooks = {"on_starting": companion.start, "on_exit": companion.stop}
        _Gunicorn(
            gunicorn_options(host=host, port=port, workers=workers, threads=threads, hooks=hooks)
        ).run()
