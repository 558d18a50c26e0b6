"""The REST API for POS terminals (django-ninja), mounted at /api/v1/."""
