"""Django forms for staff pages: parse and check what was typed, nothing more (the services
decide the rules)."""
