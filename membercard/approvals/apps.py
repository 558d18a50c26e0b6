from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "membercard.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # The counter refund rule (operations, a layer below) reads HQ's refund threshold.
        from membercard.approvals import thresholds
        from membercard.operations.payments import use_refund_threshold

        use_refund_threshold(lambda: thresholds.current().refund_minor)
