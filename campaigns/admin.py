"""Campaigns are run by their brands in the browser; the admin shows them and their history."""

from django.contrib import admin
from django.http import HttpRequest

from campaigns.models import Campaign, CampaignTerms, Prize


class PrizeInline(admin.TabularInline):
    model = Prize
    extra = 0
    fields = ["rank", "description"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TermsInline(admin.TabularInline):
    model = CampaignTerms
    extra = 0
    fields = ["version", "created_at", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "brand", "status", "starts_at", "ends_at", "opened_at", "closed_at"]
    list_filter = ["status", "moderation_mode", "brand"]
    list_select_related = ["brand"]
    search_fields = ["title", "slug", "brand__name", "hashtag"]
    date_hierarchy = "starts_at"
    inlines = [PrizeInline, TermsInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # brands create campaigns through the campaign services

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # changes go through the brand dashboard, where the phase rules hold

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_staff
