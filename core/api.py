"""API primitives shared by every app: one error shape and the default pagination."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError


class CursorPagination(pagination.CursorPagination):
    ordering = "-created_at"
    page_size_query_param = "page_size"
    max_page_size = 100


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(k): [force_str(m) for m in (v if isinstance(v, list) else [v])]
            for k, v in detail.items()
        }
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every error as {"error": {"code", "message", "fields"}} with the right status."""
    if isinstance(exc, ApplicationError):
        fields = {k: [force_str(m) for m in v] for k, v in exc.fields.items()}
        body = {"code": exc.code, "message": force_str(exc.message), "fields": fields}
        return Response({"error": body}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None)
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        if isinstance(detail, list):
            fields = {"non_field_errors": [force_str(m) for m in detail]}
        message = _("Some of the data sent is not valid.")
        code = "invalid"
    else:
        message = force_str(detail) if detail is not None else force_str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: the API's error shape for a URL under /api/, the site's page elsewhere.

    A path no route matches (`/api/v1/submissions/abc/`) never reaches DRF, so without this an
    integrator would get an HTML page where the schema promises JSON.
    """
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "message": force_str(exceptions.NotFound.default_detail)}
        return JsonResponse({"error": {**body, "fields": {}}}, status=404)
    return page_not_found(request, exception)


# --- Shared by the API modules: the error shape for the schema, strict input, UTC dates -----


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable reason, e.g. `invalid`.")
    message = serializers.CharField(help_text="What went wrong, in the caller's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (`non_field_errors` for the whole input).",
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorDetailSerializer()


AUTH_ERROR = "`not_authenticated` or `authentication_failed`: no or bad credentials."
NOT_FOUND = "`not_found`: no such object, or not one the caller may see."


def error_responses(described: dict[int, str]) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses of an operation, all in the one error shape."""
    return {
        status: OpenApiResponse(ApiErrorSerializer, description=description)
        for status, description in described.items()
    }


def utc_datetime(**kwargs: Any) -> serializers.DateTimeField:
    """An ISO 8601 instant rendered in UTC; input without an offset is read as UTC."""
    return serializers.DateTimeField(default_timezone=UTC, **kwargs)


class Flag(serializers.BooleanField):
    """A boolean whose absence from a multipart body means its default, not False."""

    default_empty_html = empty


class StrictInputSerializer(serializers.Serializer):
    """Refuse keys the endpoint does not take, so a typo or `status` is never silently dropped.

    Multipart lists arrive as `name[0]key`; their name is the part before the bracket.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = {str(key).split("[", 1)[0] for key in getattr(self, "initial_data", {}) or {}}
        unknown = sorted(sent - set(self.fields))
        if unknown:
            message = gettext_lazy("Unknown field: this request does not take it.")
            raise serializers.ValidationError({name: [message] for name in unknown})
        return attrs
