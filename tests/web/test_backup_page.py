"""The back office's backups page (HQ admin only): the last backup, its size, checksum and
verify, red when older than a day or failed; the kept list; "Back up now"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from membercard.core.models import Role
from membercard.ops import jobs
from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.manifest import Manifest
from membercard.ops.backups.services import backup_lock
from membercard.ops.models import Job
from tests.loyalty.helpers import lapsing_silver_card

URL = "/hq/backups/"
NOW_URL = "/hq/backups/now/"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    directory = tmp_path / "backups"
    monkeypatch.setenv("MEMBERCARD_BACKUP_DIR", str(directory))
    monkeypatch.setenv("MEMBERCARD_BACKUP_VERIFY", "0")
    return directory


def recorded(folder, age: dt.timedelta, verify: str = "passed", size: int = 3 * 1024 * 1024):
    """A backup made ``age`` ago, as the manifest on disk records it."""
    folder.mkdir(parents=True, exist_ok=True)
    created = timezone.now() - age
    name = f"membercard-{created:%Y%m%d-%H%M%S%f}.sqlite3"
    (folder / name).write_bytes(b"x")
    record = Manifest(
        file=name,
        created_at=created.isoformat(),
        vendor="sqlite",
        size=size,
        sha256="ab12cd34ef56" + "0" * 52,
        app_version="0.1.0",
        trigger="scheduler",
        verify=verify,
        verified_at=created.isoformat() if verify != "not run" else None,
        verify_output="verify: everything checks out" if verify == "passed" else "1 PROBLEM(S)",
    )
    manifests.save(folder, record)
    return record


def red(response) -> bool:
    return b'class="alert error"' in response.content


@pytest.mark.django_db
def test_fresh_verified_backup_shows_its_facts_without_alarm(client_for, folder):
    record = recorded(folder, dt.timedelta(hours=2))
    older = recorded(folder, dt.timedelta(days=3))
    response = client_for(Role.HQ_ADMIN).get(URL)
    assert response.status_code == 200
    assert not red(response)
    body = response.content.decode()
    assert record.file in body and older.file in body  # the kept list
    assert "3.0\xa0MB" in body  # size
    assert "ab12cd34ef56" in body  # checksum
    assert 'class="badge ok"' in body
    assert f'action="{NOW_URL}"' in body


@pytest.mark.django_db
def test_a_backup_older_than_a_day_is_red(client_for, folder):
    recorded(folder, dt.timedelta(hours=25))
    response = client_for(Role.HQ_ADMIN).get(URL)
    assert red(response)
    assert b"more than a day" in response.content


@pytest.mark.django_db
def test_a_failed_verify_is_red_even_when_fresh(client_for, folder):
    recorded(folder, dt.timedelta(minutes=5), verify="failed")
    response = client_for(Role.HQ_ADMIN).get(URL)
    assert red(response)
    assert b'class="badge bad"' in response.content
    assert b"1 PROBLEM(S)" in response.content


@pytest.mark.django_db
def test_no_backup_at_all_is_red(client_for, folder):
    response = client_for(Role.HQ_ADMIN).get(URL)
    assert red(response)
    assert b"no backup yet" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.HQ_FINANCE, Role.HQ_STOCK, Role.STORE_MANAGER])
def test_only_hq_admin_may_see_or_make_backups(client_for, folder, role):
    client = client_for(role)
    assert client.get(URL).status_code == 403
    assert client.post(NOW_URL).status_code == 403
    assert not folder.exists() or not list(folder.glob("membercard-*"))


@pytest.mark.django_db(transaction=True)
def test_back_up_now_makes_a_backup_and_says_so(client_for, folder):
    client = client_for(Role.HQ_ADMIN)
    response = client.post(NOW_URL, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    (record,) = manifests.all_in(folder)
    assert record.trigger == f"staff:{client.staff.get_username()}"
    assert (folder / record.file).stat().st_size == record.size > 0
    assert not red(response)
    assert f"Backup {record.file} was made.".encode() in response.content


@pytest.mark.django_db
def test_back_up_now_only_answers_post(client_for, folder):
    assert client_for(Role.HQ_ADMIN).get(NOW_URL).status_code == 405


@pytest.mark.django_db
def test_back_up_now_while_one_runs_is_refused_clearly(client_for, folder):
    with backup_lock(folder):
        response = client_for(Role.HQ_ADMIN).post(NOW_URL)
    assert response.status_code == 409
    assert b"already running" in response.content
    assert manifests.all_in(folder) == []


# Daily jobs (membercard.ops.jobs) ------------------------------------------------------------


NEW_YEAR = dt.datetime(2029, 1, 1, 4, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def silver_card(cashier):
    return lapsing_silver_card(cashier)


@pytest.mark.django_db
def test_the_backups_page_shows_each_jobs_last_run(client_for, silver_card, folder):
    with time_machine.travel(NEW_YEAR, tick=False):
        jobs.run_due_jobs(NEW_YEAR, (jobs.DAILY_JOBS[0],))
        jobs.run_due_jobs(NEW_YEAR, (jobs.DailyJob(Job.REVIEW_TIERS, lambda on: 1 / 0),))
        page = client_for(Role.HQ_ADMIN).get("/hq/backups/").content.decode()
    section = page[page.index('id="daily-jobs"') :]
    expiry = section[section.index('id="job-expire_points"') :]
    assert "2029-01-01 04:00" in expiry and "badge ok" in expiry
    assert "expired" in expiry[: expiry.index("</tr>")]
    review = section[section.index('id="job-review_tiers"') :]
    review = review[: review.index("</tr>")]
    assert "badge bad" in review and "ZeroDivisionError: division by zero" in review
    backup = section[section.index('id="job-backup"') :]
    assert "Not run yet." in backup[: backup.index("</tr>")]
