"""LLM endpoints ("models") of the LLM Engine: list, get, delete, download."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from smarter.resources._base import AsyncAPIResource, check_limit, check_str, path_segment
from smarter.types.models import (
    DeleteLLMEndpointResponse,
    GetLLMEndpointResponse,
    ListLLMEndpointsResponse,
    ModelDownloadResponse,
)

if TYPE_CHECKING:
    from smarter._pagination import AsyncPaginator
    from smarter._request import RequestOptions, Unpack

__all__ = ["AsyncModels"]


class AsyncModels(AsyncAPIResource):
    """``client.models``."""

    def list(
        self,
        *,
        limit: int = 20,
        name: str | None = None,
        order_by: Literal["newest", "oldest", "alphabetical"] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[GetLLMEndpointResponse]:
        """The model endpoints (only the one called *name*, if given), *limit* per page.

        Args:
            limit: Items per page (the LLM Engine answers every item on one page).
            name: Only the endpoint of this exact name.
            order_by: ``"newest"`` or ``"oldest"`` first; ``"alphabetical"`` is accepted by
                LLM Engine but not applied (``ModelEndpointOrderBy``).
            **options: ``timeout``, ``extra_headers``, ``extra_query``, ``extra_body``.
        """
        query: dict[str, object] = {**check_limit(limit)}
        if name is not None:
            query["name"] = check_str(name, "name")
        if order_by is not None:
            if order_by not in ("newest", "oldest", "alphabetical"):
                raise ValueError(
                    f"order_by must be 'newest', 'oldest' or 'alphabetical', not {order_by!r}"
                )
            query["order_by"] = order_by
        return self._list(
            "v1/llm/model-endpoints",
            ListLLMEndpointsResponse,
            lambda body: body.model_endpoints,
            options,
            query=query,
        )

    async def get(self, name: str, /, **options: Unpack[RequestOptions]) -> GetLLMEndpointResponse:
        """One model endpoint by name."""
        path = f"v1/llm/model-endpoints/{path_segment(name, 'name')}"
        return await self._call("GET", path, GetLLMEndpointResponse, options)

    async def delete(
        self, name: str, /, **options: Unpack[RequestOptions]
    ) -> DeleteLLMEndpointResponse:
        """Delete a model endpoint."""
        path = f"v1/llm/model-endpoints/{path_segment(name, 'name')}"
        return await self._call("DELETE", path, DeleteLLMEndpointResponse, options)

    async def download(
        self,
        model_name: str,
        /,
        *,
        download_format: str = "hugging_face",
        **options: Unpack[RequestOptions],
    ) -> ModelDownloadResponse:
        """Links to download a (fine-tuned) model's files: ``{file_name: url}``."""
        body = {
            "model_name": check_str(model_name, "model_name"),
            "download_format": check_str(download_format, "download_format"),
        }
        return await self._call(
            "POST", "v1/llm/model-endpoints/download", ModelDownloadResponse, options, json=body
        )
