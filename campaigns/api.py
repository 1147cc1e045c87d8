from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.selectors import campaigns_open


class CampaignListApi(APIView):
    """The campaigns open right now, ending soonest first."""

    permission_classes = [AllowAny]

    class CampaignSummarySerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        brand = serializers.CharField(source="brand.name")
        brief = serializers.CharField()
        hashtag = serializers.CharField()
        cover = serializers.ImageField(allow_null=True)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        phase = serializers.CharField()
        entry_count = serializers.IntegerField()

    @extend_schema(responses={200: CampaignSummarySerializer(many=True)}, tags=["campaigns"])
    def get(self, request: Request) -> Response:
        campaigns = campaigns_open()
        data = self.CampaignSummarySerializer(
            campaigns, many=True, context={"request": request}
        ).data
        return Response(data)
