import pytest
from django.core.exceptions import ValidationError

from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted
from membercard.core.models import Role, Staff
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.HQ_ADMIN, Role.HQ_FINANCE, Role.HQ_STOCK])
def test_hq_roles_work_at_hq_only(role):
    Staff(username="a", role=role, location=f.hq()).full_clean(exclude=["password"])
    with pytest.raises(ValidationError, match="headquarters"):
        Staff(username="b", role=role, location=f.store()).full_clean(exclude=["password"])


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.STORE_CASHIER])
def test_store_roles_work_in_a_store_only(role):
    Staff(username="a", role=role, location=f.store()).full_clean(exclude=["password"])
    with pytest.raises(ValidationError, match="store"):
        Staff(username="b", role=role, location=f.hq()).full_clean(exclude=["password"])


def test_an_actor_needs_a_role_at_a_fitting_location():
    misplaced = Staff.objects.create_user(username="x", role=Role.HQ_FINANCE, location=f.store())
    with pytest.raises(NotPermitted):
        Actor.for_staff(misplaced)
    roleless = Staff.objects.create_user(username="y")
    with pytest.raises(NotPermitted):
        Actor.for_staff(roleless)
    inactive = f.staff(Role.STORE_CASHIER)
    inactive.is_active = False
    with pytest.raises(NotPermitted):
        Actor.for_staff(inactive)


def test_idempotency_scope_is_per_staff_member():
    a, b = f.actor(Role.STORE_CASHIER), f.actor(Role.STORE_CASHIER)
    assert a.idempotency_scope != b.idempotency_scope
    assert a.idempotency_scope == f"staff:{a.staff.pk}"
