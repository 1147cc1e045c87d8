from django.contrib import admin

from submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "campaign", "author", "kind", "state", "created_at"]
    list_filter = ["state", "kind", "campaign__brand"]
    list_select_related = ["campaign", "author"]
    search_fields = ["caption", "text", "author__email", "campaign__title"]
    raw_id_fields = ["author", "campaign"]
