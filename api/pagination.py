from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from core.text import ascii_digits


class ApiPagination(PageNumberPagination):
    """``?page=2&page_size=100``: 50 a page unless asked, never more than 200 (a larger size
    gets 200). A page or size that is not a whole number from 1 is a 400; a page beyond the
    last a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # "?page=last" is not part of the API

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not _whole(raw):
            raise serializers.ValidationError(
                {self.page_query_param: ["Send the page as a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _whole(raw):
            raise serializers.ValidationError({self.page_size_query_param: [
                f"Send the page size as a whole number from 1 (at most {self.max_page_size} "
                "are returned)."]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_NUMBER}
        return parameters


MAX_NUMBER = 10**18 - 1


def _whole(raw: str) -> bool:
    return ascii_digits(raw) and len(raw) <= 18 and int(raw) >= 1
