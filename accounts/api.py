from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import LoginLocked
from accounts.selectors import memberships_for_user
from accounts.services import api_token_issue
from core.api import AUTH_ERROR, error_responses


class TokenObtainApi(APIView):
    """Exchange the email and password of a verified account for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    # Failed attempts are limited by the login lockout shared with the login page.
    throttle_classes: list[type] = []

    class TokenRequestSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            **error_responses(
                {
                    400: "`invalid` or `invalid_credentials`.",
                    403: "`email_unverified`: the address is not verified yet.",
                    429: "`login_locked`: too many failed attempts; see `Retry-After`.",
                }
            ),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = api_token_issue(request=request._request, **data.validated_data)
        except LoginLocked as exc:
            # DRF answers a Throttled with Retry-After; `wait` is set afterwards so the message
            # stays ours, without DRF's "Expected available in ..." appended.
            throttled = exceptions.Throttled(detail=exc.message, code=exc.code)
            throttled.wait = exc.retry_after
            raise throttled from exc
        return Response(self.TokenSerializer({"token": token.key}).data)


class MeApi(APIView):
    """The signed-in person's own profile."""

    permission_classes = [IsAuthenticated]

    class MeSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        language = serializers.ChoiceField(choices=settings.LANGUAGES, allow_blank=True)
        avatar = serializers.ImageField(allow_null=True)

    @extend_schema(
        responses={200: MeSerializer, **error_responses({401: AUTH_ERROR})}, tags=["accounts"]
    )
    def get(self, request: Request) -> Response:
        user = request.user
        data = self.MeSerializer(
            {
                **{f: getattr(user, f) for f in ("id", "email", "display_name", "language")},
                "avatar": user.avatar or None,
            },
            context={"request": request},
        ).data
        return Response(data)


class BrandListApi(APIView):
    """The brands the signed-in person belongs to, with their role in each."""

    permission_classes = [IsAuthenticated]

    class MembershipSerializer(serializers.Serializer):
        slug = serializers.CharField(source="brand.slug")
        name = serializers.CharField(source="brand.name")
        time_zone = serializers.CharField(source="brand.time_zone")
        role = serializers.CharField()

    @extend_schema(
        responses={200: MembershipSerializer(many=True), **error_responses({401: AUTH_ERROR})},
        tags=["accounts"],
    )
    def get(self, request: Request) -> Response:
        memberships = memberships_for_user(user=request.user)
        return Response(self.MembershipSerializer(memberships, many=True).data)
