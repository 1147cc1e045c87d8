from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.selectors import memberships_for_user
from accounts.services import api_token_issue
from core.api import AUTH_ERROR, error_responses


class TokenObtainApi(APIView):
    """Exchange the email and password of a verified account for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    class TokenRequestSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = api_token_issue(request=request._request, **data.validated_data)
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
