import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.static import serve

from membercard.web.views import account, home, security

urlpatterns = [
    path("", home.start, name="start"),
    path("healthz", home.healthz, name="healthz"),
    path("language/", account.set_language, name="language"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The signed-in staff member's own sign-in: password, second factor (any role).
    path("account/", account.account, name="account"),
    path("account/password/", account.password_change, name="password-change"),
    path("account/second-factor/", security.verify, name="second-factor-verify"),
    path("account/second-factor/enrol/", security.enrol, name="second-factor-enrol"),
    path("admin/", admin.site.urls),
    path("", include("membercard.web.urls")),
    path("api/v1/", ("membercard.api.urls", None, None)),  # include(): the POS API
]


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files (gift pictures) from MEDIA_ROOT, read at request time. Enough for the
    embedded default installation; in production a web server in front serves MEDIA_URL
    itself (and this view is never reached)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


_media_prefix = urlsplit(settings.MEDIA_URL or "").path.strip("/")
if settings.MEDIA_ROOT and _media_prefix and not urlsplit(settings.MEDIA_URL).netloc:
    urlpatterns.append(re_path(rf"^{re.escape(_media_prefix)}/(?P<path>.+)$", media, name="media"))
