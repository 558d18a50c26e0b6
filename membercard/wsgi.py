"""The WSGI application (``membercard serve`` loads it in gunicorn's workers; another WSGI
server may load it directly)."""

import os

from django.core.wsgi import get_wsgi_application

from membercard.core import files

# Before Django starts: files this process creates (the SQLite database, its WAL) are private.
files.secure_process()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercard.settings")
application = get_wsgi_application()
