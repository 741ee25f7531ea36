"""LLM endpoints ("models") of the LLM Engine: list, get, delete, download."""

from __future__ import annotations

from collections.abc import Mapping

from smarter._client import Options
from smarter._config import NOT_GIVEN, NotGiven, TimeoutTypes
from smarter._pagination import AsyncPaginator
from smarter._sync import SyncAPIResource, blocking
from smarter.resources._base import AsyncAPIResource, check_limit, check_str, path_segment
from smarter.types.models import (
    DeleteLLMEndpointResponse,
    GetLLMEndpointResponse,
    ListLLMEndpointsResponse,
    ModelDownloadResponse,
)

__all__ = ["AsyncModels", "Models"]


class AsyncModels(AsyncAPIResource):
    """``client.models``."""

    def list(
        self,
        *,
        limit: int = 20,
        name: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> AsyncPaginator[GetLLMEndpointResponse]:
        """The model endpoints (only those called *name*, if given), *limit* per page."""
        query: dict[str, object] = {**check_limit(limit)}
        if name is not None:
            query["name"] = check_str(name, "name")
        return self._client._list(
            "llm/model-endpoints",
            query=query,
            cast_to=ListLLMEndpointsResponse,
            items=lambda body: body.model_endpoints,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def get(
        self,
        name: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> GetLLMEndpointResponse:
        """One model endpoint by name."""
        return await self._client._call(
            "GET",
            f"llm/model-endpoints/{path_segment(name, 'name')}",
            cast_to=GetLLMEndpointResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def delete(
        self,
        name: str,
        /,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> DeleteLLMEndpointResponse:
        """Delete a model endpoint."""
        return await self._client._call(
            "DELETE",
            f"llm/model-endpoints/{path_segment(name, 'name')}",
            cast_to=DeleteLLMEndpointResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )

    async def download(
        self,
        model_name: str,
        /,
        *,
        download_format: str = "hugging_face",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ModelDownloadResponse:
        """Links to download a (fine-tuned) model's files: ``{file_name: url}``."""
        return await self._client._call(
            "POST",
            "llm/model-endpoints/download",
            json_body={
                "model_name": check_str(model_name, "model_name"),
                "download_format": check_str(download_format, "download_format"),
            },
            cast_to=ModelDownloadResponse,
            options=Options(timeout, extra_headers, extra_query, extra_body),
        )


class Models(SyncAPIResource[AsyncModels]):
    """``client.models``."""

    list = blocking(AsyncModels.list)
    get = blocking(AsyncModels.get)
    delete = blocking(AsyncModels.delete)
    download = blocking(AsyncModels.download)
