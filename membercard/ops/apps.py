from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "membercard.ops"
    label = "ops"
    verbose_name = "Operations (serve, verify, demo, backups, audit)"

    def ready(self) -> None:
        from membercard.ops import audit

        audit.connect()
        _keep_second_factor_secrets_out_of_the_admin()


def _keep_second_factor_secrets_out_of_the_admin() -> None:
    """django-otp registers its devices in Django's admin, whose TOTP "config" page shows any
    staff member's secret as a QR code: a superuser could copy someone else's second factor.
    Devices are managed on our own pages only (enrol for oneself, reset by HQ admin, both
    audited). The admin registered everything already: its app comes first and its
    ``ready`` runs the autodiscovery."""
    from django.contrib import admin
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
