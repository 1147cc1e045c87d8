from django.contrib import admin

from campaigns.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "brand", "status", "starts_at", "ends_at", "opened_at", "closed_at"]
    list_filter = ["status", "brand"]
    list_select_related = ["brand"]
    search_fields = ["title", "slug", "brand__name", "hashtag"]
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ["opened_at", "closed_at", "created_at", "updated_at"]
    date_hierarchy = "starts_at"
