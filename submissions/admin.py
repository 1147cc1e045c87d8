"""The moderators' door: every state change goes through the moderation services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from submissions.models import Comment, ModerationDecision, Report, Submission
from submissions.services import comment_moderate, submissions_moderate_bulk


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the participant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
    )


class HasOpenReportsFilter(admin.SimpleListFilter):
    title = _("open reports")
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("With open reports")), ("no", _("Without open reports"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(report_count__gt=0)
        if self.value() == "no":
            return queryset.filter(report_count=0)
        return queryset


class DecisionInline(admin.TabularInline):
    model = ModerationDecision
    fk_name = "submission"
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_state", "to_state", "moderator", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("moderation log")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReportInline(admin.TabularInline):
    model = Report
    fk_name = "submission"
    extra = 0
    can_delete = False
    fields = ["created_at", "reporter", "reason", "details", "resolved_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _run_bulk(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Submission],
    action: str,
    reason: str = "",
) -> None:
    try:
        result = submissions_moderate_bulk(
            submission_ids=list(queryset.values_list("pk", flat=True)),
            moderator=request.user,
            action=action,
            reason=reason,
        )
    except ApplicationError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return
    if result.changed:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d entry updated; its author is notified by email.",
                "%(count)d entries updated; their authors are notified by email.",
                len(result.changed),
            )
            % {"count": len(result.changed)},
            messages.SUCCESS,
        )
    if result.skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d entry was already in that state and was left as it is.",
                "%(count)d entries were already in that state and were left as they are.",
                len(result.skipped),
            )
            % {"count": len(result.skipped)},
            messages.WARNING,
        )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "preview",
        "id",
        "campaign",
        "author",
        "kind",
        "state",
        "report_count",
        "created_at",
    ]
    list_display_links = ["preview", "id"]
    list_filter = ["state", HasOpenReportsFilter, "kind", "campaign__brand", "campaign"]
    list_select_related = ["campaign", "author"]
    search_fields = [
        "caption",
        "text",
        "author__email",
        "author__display_name",
        "campaign__title",
        "campaign__slug",
    ]
    # No search_help_text: with it, Django's icon-only search label fails axe (label-title-only).
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = ["approve_selected", "reject_selected"]

    class Media:
        css = {"all": ["css/admin-moderation.css"]}

    inlines = [ReportInline, DecisionInline]
    fieldsets = (
        (None, {"fields": ("preview_large", "campaign", "author", "kind", "state")}),
        (_("Content"), {"fields": ("caption", "text", "video_url")}),
        (
            _("Moderation"),
            {
                "fields": (
                    "state_reason",
                    "moderated_at",
                    "report_count",
                    "terms",
                    "terms_accepted_at",
                )
            },
        ),
    )
    readonly_fields = [
        "preview_large",
        "campaign",
        "author",
        "kind",
        "state",
        "caption",
        "text",
        "video_url",
        "state_reason",
        "moderated_at",
        "report_count",
        "terms",
        "terms_accepted_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries come from participants, through the submission service

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("preview"))
    def preview(self, obj: Submission) -> str:
        image = obj.thumb_small or obj.image
        if not image:
            return obj.get_kind_display()
        # The thumbnail is the row's link, so its text alternative names the entry.
        return format_html(
            '<img class="pp-thumb" src="{}" alt="{}" width="80" height="60" loading="lazy">',
            image.url,
            _("Entry %(id)s") % {"id": obj.pk},
        )

    @admin.display(description=_("image"))
    def preview_large(self, obj: Submission) -> str:
        image = obj.thumb_medium or obj.image
        if not image:
            return "-"
        return format_html('<img class="pp-preview" src="{}" alt="">', image.url)

    @admin.action(description=_("Approve selected entries"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        _run_bulk(self, request, queryset, "approve")

    @admin.action(description=_("Reject selected entries (with a reason)"), permissions=["change"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[Submission]
    ) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _run_bulk(self, request, queryset, "reject", form.cleaned_data["reason"])
            return None
        count = len(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject entries"),
            "intro": ngettext(
                "You are rejecting %(count)d entry. Its author receives an email with your "
                "reason, in their language.",
                "You are rejecting %(count)d entries. Their authors receive an email with your "
                "reason, in their language.",
                count,
            )
            % {"count": count},
            "items": [f"#{e.pk} — {e.campaign} — {e.author}" for e in queryset],
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action_name": "reject_selected",
            "submit_label": _("Reject"),
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/reason_action.html", context, status=status)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "submission", "author", "short_body", "is_hidden", "report_count"]
    list_filter = ["is_hidden", HasOpenReportsFilter]
    list_select_related = ["submission", "author"]
    search_fields = ["body", "author__email", "author__display_name"]
    readonly_fields = ["submission", "author", "body", "edited_at", "is_hidden", "report_count"]
    actions = ["hide_selected", "restore_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("comment"))
    def short_body(self, obj: Comment) -> str:
        return obj.body[:80]

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Comment], action: str) -> None:
        changed = 0
        for comment in queryset:
            try:
                comment_moderate(comment=comment, moderator=request.user, action=action)
            except ApplicationError:
                continue
            changed += 1
        self.message_user(
            request,
            ngettext("%(count)d comment updated.", "%(count)d comments updated.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Hide selected comments"), permissions=["change"])
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "hide")

    @admin.action(description=_("Restore selected comments"), permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, "restore")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reason", "reporter", "submission", "comment", "resolved_at"]
    list_filter = ["reason", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["reporter", "submission", "comment"]
    search_fields = ["details", "reporter__email"]
    readonly_fields = [
        "reporter",
        "submission",
        "comment",
        "reason",
        "details",
        "resolved_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "submission", "comment", "moderator", "short_reason"]
    list_filter = ["action", ("moderator", admin.EmptyFieldListFilter)]
    list_select_related = ["submission", "comment", "moderator"]
    search_fields = ["reason", "moderator__email", "submission__id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the log is append-only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("reason"))
    def short_reason(self, obj: ModerationDecision) -> str:
        return obj.reason[:80]
