from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("Sharing and points")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed, user_signed_up
        from django.db.models.signals import post_save

        from accounts.models import User
        from sharing import receivers

        user_signed_up.connect(receivers.on_user_signed_up, dispatch_uid="sharing-referral-capture")
        email_confirmed.connect(
            receivers.on_email_confirmed, dispatch_uid="sharing-referral-credit"
        )
        post_save.connect(receivers.on_user_saved, sender=User, dispatch_uid="sharing-names")
