"""Staff pages: thin views that check the role (``access.staff_page``), call one
service and render."""
