from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import BrandInvitation, User
from core.tasks import RELIABLE_TASK


@shared_task(**RELIABLE_TASK)
def brand_invitation_email_task(invitation_id: int, language: str) -> None:
    """Email an invitation link, in the invitee's language when they already have an account."""
    invitation = (
        BrandInvitation.objects.select_related("brand", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return
    existing = User.objects.filter(email__iexact=invitation.email).first()
    with translation.override((existing and existing.language) or language):
        context = {
            "invitation": invitation,
            "accept_url": settings.SITE_URL
            + reverse("brand-invitation-accept", args=[invitation.token]),
        }
        # One line: a brand name may hold a line break, which a mail header must not.
        subject = " ".join(
            render_to_string("accounts/email/invitation_subject.txt", context).split()
        )
        body = render_to_string("accounts/email/invitation_message.txt", context)
    message = EmailMultiAlternatives(subject, body, to=[invitation.email])
    message.send()
