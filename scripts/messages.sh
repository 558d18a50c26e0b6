#!/usr/bin/env bash
# Refresh the Simplified Chinese catalogue from the code and templates, then compile it.
# Usage: scripts/messages.sh   (needs gettext's msgmerge/msgfmt and the project venv)
# After running, translate new/fuzzy entries in
# membercard/locale/zh_Hans/LC_MESSAGES/django.po and run this script again.
set -euo pipefail

cd "$(dirname "$0")/../membercard"
export DJANGO_SETTINGS_MODULE=membercard.settings
export MEMBERCARD_DATA_DIR="${MEMBERCARD_DATA_DIR:-/tmp/membercard-messages}"
mkdir -p "$MEMBERCARD_DATA_DIR"

../.venv/bin/django-admin makemessages -l zh_Hans --no-obsolete
../.venv/bin/django-admin compilemessages
msgfmt --check -o /dev/null locale/zh_Hans/LC_MESSAGES/django.po
