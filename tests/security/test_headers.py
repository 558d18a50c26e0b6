"""Issue #13, reproduction 8 (behind TLS: cookies without ``Secure``, no HSTS, no CSP;
counter and receipt pages cacheable) gives the opposite result.

* Every address of the URL router (staff pages, counter, receipts, members, admin, the API
  and its docs, error pages), signed in or not, answers with the strict
  Content-Security-Policy, ``Cache-Control: no-store`` and the always-on headers.
* ``MEMBERCARD_HTTPS=1`` (read in a fresh process, as a deployment would) turns on Secure
  cookies, HSTS and the redirect to HTTPS, and leaves ``check --deploy`` quiet; those
  settings then do what they say on a request.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, path, reverse

import membercard.urls
from membercard.core.models import Role
from membercard.web.cache import NoStoreMiddleware, may_be_stored
from tests import factories as f

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
# A valid card number's shape for <number>; any other placeholder gets "x1" or 1.
_PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")


def _sample(route: str) -> str:
    """A concrete path for a route: ``cards/<str:number>/`` -> ``cards/x1/``."""
    route = _REGEX_GROUP.sub("x1", route).replace("^", "").replace("$", "")
    return _PLACEHOLDER.sub(lambda m: "1" if m["converter"] == "int" else "x1", route)


def router_paths(patterns=None, prefix: str = "") -> Iterator[str]:
    """One concrete path per address in the URL router, nested includes (web, admin, API)
    expanded: a route added later is checked without touching this test."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from router_paths(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield "/" + _sample(prefix + str(pattern.pattern))


ALL_PATHS = sorted(set(router_paths()))


def _boom(request):
    raise RuntimeError("a bug")


# The real router plus a view that fails: the 500 page must carry the headers too.
urlpatterns = [path("test-boom/", _boom), *membercard.urls.urlpatterns]


def assert_strict_policy(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives.get("default-src") == "'none'", (where, policy)
    assert directives.get("script-src") == "'self'", (where, policy)
    assert directives.get("style-src") == "'self'", (where, policy)
    assert directives.get("frame-ancestors") == "'none'", (where, policy)
    assert directives.get("object-src") == "'none'", (where, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (where, policy)


def assert_no_store(response, where: str) -> None:
    cache = response.headers.get("Cache-Control", "")
    assert "no-store" in cache, (where, cache)
    assert "public" not in cache and not re.search(r"max-age=[1-9]", cache), (where, cache)


def assert_always_on(response, where: str) -> None:
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


def clients() -> dict[str, Client]:
    """Nobody, a store cashier (the counter), an HQ admin who may use Django's admin."""
    admin = f.staff(Role.HQ_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    cashier = f.staff(Role.STORE_CASHIER, f.store())
    signed = {"anonymous": Client()}
    for label, member in (("cashier", cashier), ("hq admin", admin)):
        signed[label] = Client()
        signed[label].force_login(member)
    return signed


def test_the_router_has_the_pages_this_test_must_cover():
    for must in ("/counter/", "/counter/card/", "/counter/receipts/1/", "/hq/members/1/"):
        assert must in ALL_PATHS
    assert "/hq/cards/x1/" in ALL_PATHS and "/api/v1/docs" in ALL_PATHS
    assert any(p.startswith("/admin/") for p in ALL_PATHS)
    assert len(ALL_PATHS) > 100


def test_every_address_answers_with_the_policy_no_store_and_the_security_headers():
    checked = 0
    for label, client in clients().items():
        for address in ALL_PATHS:
            if may_be_stored(address):
                continue  # /media/…: uploaded pictures, the same for everyone
            response = client.get(address)
            where = f"{label} GET {address} -> {response.status_code}"
            assert_strict_policy(response, where)
            assert_no_store(response, where)
            assert_always_on(response, where)
            checked += 1
    assert checked >= 3 * 100


@pytest.mark.urls(__name__)
def test_error_pages_carry_the_policy_and_no_store():
    client = Client(raise_request_exception=False)
    for address, status in (("/no-such-page/", 404), ("/test-boom/", 500)):
        response = client.get(address)
        assert response.status_code == status
        assert_strict_policy(response, address)
        assert_no_store(response, address)


def test_counter_pages_and_receipts_are_never_stored_even_when_a_view_says_otherwise():
    """The one rule replaces a view's own caching header instead of merging with it."""
    cashier = f.staff(Role.STORE_CASHIER, f.store())
    client = Client()
    client.force_login(cashier)
    for address in (reverse("web:counter"), reverse("web:receipt", args=[1])):
        assert "no-store" in client.get(address).headers["Cache-Control"]

    def cacheable_view(request):
        response = HttpResponse("member data")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    middleware = NoStoreMiddleware(cacheable_view)
    response = middleware(RequestFactory().get("/hq/members/1/"))
    assert "public" not in response["Cache-Control"]
    assert "max-age=3600" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_cache_headers():
    assert may_be_stored("/static/web/app.css")
    assert may_be_stored("/media/gifts/a.png")
    assert not may_be_stored("/counter/")
    assert not may_be_stored("/staticky/")


# Behind TLS ------------------------------------------------------------------------------


def _settings_in_a_fresh_process(tmp_path, **env) -> dict:
    """The security settings as a deployment with ``env`` reads them at start-up."""
    names = [
        "MEMBERCARD_HTTPS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REDIRECT_EXEMPT",
    ]
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _env(tmp_path, **env) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MEMBERCARD_", "DATABASE"))}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "membercard.settings",
        "MEMBERCARD_DATA_DIR": str(tmp_path / "data"),
        **env,
    }


def test_https_is_off_by_default_so_make_run_serves_plain_http(tmp_path):
    values = _settings_in_a_fresh_process(tmp_path)
    assert values["MEMBERCARD_HTTPS"] is False
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False and values["SECURE_PROXY_SSL_HEADER"] is None


def test_one_setting_turns_on_secure_cookies_hsts_and_the_redirect(tmp_path):
    values = _settings_in_a_fresh_process(tmp_path, MEMBERCARD_HTTPS="1")
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    # The client's own X-Forwarded-Proto is not believed without a trusted proxy.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    proxied = _settings_in_a_fresh_process(
        tmp_path, MEMBERCARD_HTTPS="1", MEMBERCARD_TRUSTED_PROXY="1"
    )
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_check_deploy_is_quiet_with_https_on(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "membercard", "check", "--deploy", "--fail-level", "WARNING"],
        env=_env(tmp_path, MEMBERCARD_HTTPS="1"),
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture
def https_on(settings):
    """What MEMBERCARD_HTTPS=1 sets (the test above reads them from a fresh process)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    return settings


def test_behind_tls_plain_http_is_redirected_and_https_gets_hsts(https_on):
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    assert client.get("/healthz").status_code == 200  # a load balancer's probe
    secure = client.get("/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_behind_tls_the_session_and_csrf_cookies_are_secure(https_on):
    member = f.staff(Role.STORE_CASHIER, f.store(), password="a-long-test-password-1")
    client = Client()
    page = client.get("/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True
    signed = client.post(
        "/login/",
        {"username": member.username, "password": "a-long-test-password-1"},
        secure=True,
    )
    assert signed.status_code == 302
    assert signed.cookies["sessionid"]["secure"] is True
    assert signed.cookies["sessionid"]["httponly"] is True
