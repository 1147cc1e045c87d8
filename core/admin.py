"""Tasks that gave up, read-only, with an action to send them again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.models import FailedTask
from core.tasks import failed_tasks_retry


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ["last_failed_at", "task_name", "reason", "attempts", "short_exception"]
    list_filter = ["reason", "task_name"]
    search_fields = ["task_id", "task_name", "exception"]
    date_hierarchy = "last_failed_at"
    actions = ["retry"]
    fields = [
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "reason",
        "attempts",
        "exception",
        "traceback",
        "created_at",
        "last_failed_at",
        "retried_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.display(description=_("exception"))
    def short_exception(self, obj: FailedTask) -> str:
        return obj.exception[:120]

    @admin.action(description=_("Send the selected tasks again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[FailedTask]) -> None:
        sent = failed_tasks_retry(failed_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d task sent again.", "%(count)d tasks sent again.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )
