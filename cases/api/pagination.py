from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: as fast on page 1,000 as on page 1, and no total count to compute."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"
