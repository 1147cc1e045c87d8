from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


def _avatar_path(instance: User, filename: str) -> str:
    return f"avatars/{filename}"


def _brand_logo_path(instance: Brand, filename: str) -> str:
    return f"brands/{filename}"


TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login and is unique whatever its letter case."""

    email = models.EmailField(
        _("email address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("A user with this email address already exists.")},
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=_avatar_path, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Designates whether the user can log into the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=_("A user with this email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def public_name(self) -> str:
        """The name shown to other people: never the email address."""
        return self.display_name or _("Participant #%(id)s") % {"id": self.pk}


class Brand(BaseModel):
    """A company that runs campaigns; its people are its memberships."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to=_brand_logo_path, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Rome"
    )
    members = models.ManyToManyField(
        User, through="BrandMembership", related_name="brands", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandMembership(BaseModel):
    """A person's role in a brand: owners manage the team, managers run campaigns, analysts read."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        ANALYST = "analyst", _("Analyst")

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("brand")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ANALYST)

    class Meta:
        verbose_name = _("brand membership")
        verbose_name_plural = _("brand memberships")
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="membership_once_per_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.brand} ({self.get_role_display()})"

    @property
    def can_edit(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)


class BrandInvitation(BaseModel):
    """An owner's invitation for an email address to join a brand with a role."""

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("brand")
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=BrandMembership.Role.choices,
        default=BrandMembership.Role.ANALYST,
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("brand invitation")
        verbose_name_plural = _("brand invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "brand",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
                violation_error_message=_("This address already has a pending invitation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.brand} ({self.get_role_display()})"

    def is_pending_at(self, moment: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and moment < self.expires_at
