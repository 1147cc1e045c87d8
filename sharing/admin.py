"""The engagement facts and their derivations, for staff to look into: read-only.

Share links, their raw hits (with the verdict the click derivation gave each), counted clicks,
referrals and the points ledger are facts or derived from facts; nothing here edits them. A
wrong score is fixed at its source (a moderation decision, a disqualification), and the
derivations follow.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from sharing.models import PointEvent, Referral, ShareClick, ShareHit, ShareLink


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff look; nobody adds, changes or deletes here. Big tables skip the full count."""

    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    list_display = ["code", "owner", "submission", "created_at"]
    list_select_related = ["owner", "submission"]
    search_fields = ["code", "owner__email"]
    raw_id_fields = ["owner", "submission"]


@admin.register(ShareHit)
class ShareHitAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "link", "channel", "method", "verdict", "derived_at"]
    list_filter = ["verdict", "channel", "method"]
    list_select_related = ["link"]
    search_fields = ["link__code"]
    raw_id_fields = ["link", "user"]


@admin.register(ShareClick)
class ShareClickAdmin(ReadOnlyAdmin):
    list_display = ["day", "link", "channel", "created_at"]
    list_filter = ["channel"]
    list_select_related = ["link"]
    search_fields = ["link__code"]
    raw_id_fields = ["link", "hit"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["referred", "link", "arrived_at", "verified_at"]
    list_select_related = ["referred", "link"]
    search_fields = ["link__code", "referred__email"]
    raw_id_fields = ["link", "referred"]


@admin.register(PointEvent)
class PointEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "participant", "kind", "points", "key"]
    list_filter = ["kind"]
    list_select_related = ["campaign", "participant"]
    search_fields = ["key", "participant__email", "campaign__slug"]
    raw_id_fields = ["campaign", "participant", "submission"]
