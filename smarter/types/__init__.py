"""The result objects of ``smarter`` and the typed dicts of nested request parameters.

Results are frozen, keyword-only ``attrs`` classes built from response bodies by the one
converter in :mod:`smarter._converter`. Every result has ``to_dict()`` and ``to_json()``
(the body as it was received), ``model_fields_set`` (the fields that were present) and, on
top-level results, ``_request_id``. Unknown fields are kept and readable as attributes;
unknown enum values stay strings.

The names are imported lazily, one resource module at a time: building an attrs class costs
about a millisecond, and a program that only lists files should not build forty of them.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smarter.types._base import BaseModel
    from smarter.types.batch_completions import (
        BatchCompletionJob,
        BatchCompletionStatus,
        CancelBatchCompletionResponse,
        GetBatchCompletionResponse,
        GetDockerImageBatchJobResponse,
        UpdateBatchCompletionResponse,
    )
    from smarter.types.chat import (
        ChatCompletion,
        ChatCompletionChoice,
        ChatCompletionChunk,
        ChatCompletionChunkChoice,
        ChatCompletionMessage,
        ChatCompletionMessageToolCall,
        ChatCompletionTokenLogprob,
        ChoiceDelta,
        ChoiceDeltaToolCall,
        ChoiceDeltaToolCallFunction,
        ChoiceLogprobs,
        CompletionUsage,
        ParsedChatCompletion,
        ParsedChatCompletionMessage,
        ParsedChoice,
        ToolCallFunction,
        TopLogprob,
    )
    from smarter.types.chat_params import (
        ChatCompletionMessageParam,
        ChatCompletionMessageToolCallParam,
        ChatCompletionNamedToolChoiceParam,
        ChatCompletionStreamOptionsParam,
        ChatCompletionToolChoiceOptionParam,
        ChatCompletionToolParam,
        FunctionDefinition,
        JSONSchema,
        NamedFunction,
        ResponseFormat,
        ResponseFormatJSONObject,
        ResponseFormatJSONSchema,
        ResponseFormatText,
        ToolCallFunctionParam,
    )
    from smarter.types.chatbots import ChatbotManifest, ChatbotMetadata, ChatbotResponse
    from smarter.types.completions import (
        CompletionOutput,
        CompletionStreamOutput,
        CompletionStreamResponse,
        CompletionSyncResponse,
        StreamError,
        StreamErrorContent,
        TokenOutput,
    )
    from smarter.types.files import (
        DeleteFileResponse,
        GetFileContentResponse,
        GetFileResponse,
        ListFilesResponse,
        UploadFileResponse,
    )
    from smarter.types.fine_tuning import (
        BatchJobStatus,
        CancelFineTuneResponse,
        CreateFineTuneResponse,
        GetFineTuneEventsResponse,
        GetFineTuneResponse,
        Hyperparameters,
        ListFineTunesResponse,
        LLMFineTuneEvent,
    )
    from smarter.types.manifests import (
        ApplyResult,
        CommandResult,
        Difference,
        Kind,
        Manifest,
        ManifestList,
        ManifestListData,
        ManifestLogs,
        ManifestMetadata,
        Plan,
        PlanAction,
        PlannedChange,
        Validation,
        ValidationIssue,
    )
    from smarter.types.models import (
        CreateLLMEndpointResponse,
        DeleteLLMEndpointResponse,
        GetLLMEndpointResponse,
        ListLLMEndpointsResponse,
        LLMInferenceFramework,
        LLMSource,
        ModelDownloadRequest,
        ModelDownloadResponse,
        ModelEndpointStatus,
        Quantization,
        UpdateLLMEndpointResponse,
    )
    from smarter.types.response_events import (
        ResponseCompletedEvent,
        ResponseContentPartAddedEvent,
        ResponseContentPartDoneEvent,
        ResponseCreatedEvent,
        ResponseErrorEvent,
        ResponseFailedEvent,
        ResponseFunctionCallArgumentsDeltaEvent,
        ResponseFunctionCallArgumentsDoneEvent,
        ResponseIncompleteEvent,
        ResponseInProgressEvent,
        ResponseOutputItemAddedEvent,
        ResponseOutputItemDoneEvent,
        ResponseQueuedEvent,
        ResponseRefusalDeltaEvent,
        ResponseRefusalDoneEvent,
        ResponseStreamEvent,
        ResponseTextDeltaEvent,
        ResponseTextDoneEvent,
    )
    from smarter.types.responses import (
        Response,
        ResponseError,
        ResponseIncompleteDetails,
        ResponseInputItemParam,
        ResponseOutputItem,
        ResponseOutputText,
        ResponseTextConfig,
        ResponseUsage,
    )
    from smarter.types.whoami import (
        PlatformStatus,
        PlatformVersion,
        WhoAmI,
        WhoAmIAccount,
        WhoAmIUser,
    )

__all__ = [
    # the base of every result
    "BaseModel",
    # completions
    "CompletionOutput",
    "CompletionStreamOutput",
    "CompletionStreamResponse",
    "CompletionSyncResponse",
    "StreamError",
    "StreamErrorContent",
    "TokenOutput",
    # chat completions
    "ChatCompletion",
    "ChatCompletionChoice",
    "ChatCompletionChunk",
    "ChatCompletionChunkChoice",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "ChatCompletionTokenLogprob",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "CompletionUsage",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ToolCallFunction",
    "TopLogprob",
    # chat completion parameters
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionNamedToolChoiceParam",
    "ChatCompletionStreamOptionsParam",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionToolParam",
    "FunctionDefinition",
    "JSONSchema",
    "NamedFunction",
    "ResponseFormat",
    "ResponseFormatJSONObject",
    "ResponseFormatJSONSchema",
    "ResponseFormatText",
    "ToolCallFunctionParam",
    # responses
    "Response",
    "ResponseError",
    "ResponseIncompleteDetails",
    "ResponseInputItemParam",
    "ResponseOutputItem",
    "ResponseOutputText",
    "ResponseTextConfig",
    "ResponseUsage",
    # streamed responses
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseQueuedEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    # chatbots
    "ChatbotManifest",
    "ChatbotMetadata",
    "ChatbotResponse",
    # manifests
    "ApplyResult",
    "CommandResult",
    "Difference",
    "Kind",
    "Manifest",
    "ManifestList",
    "ManifestListData",
    "ManifestLogs",
    "ManifestMetadata",
    "Plan",
    "PlanAction",
    "PlannedChange",
    "PlatformStatus",
    "PlatformVersion",
    "Validation",
    "ValidationIssue",
    # fine-tuning
    "BatchJobStatus",
    "CancelFineTuneResponse",
    "CreateFineTuneResponse",
    "GetFineTuneEventsResponse",
    "GetFineTuneResponse",
    "Hyperparameters",
    "LLMFineTuneEvent",
    "ListFineTunesResponse",
    # models
    "CreateLLMEndpointResponse",
    "DeleteLLMEndpointResponse",
    "GetLLMEndpointResponse",
    "LLMInferenceFramework",
    "LLMSource",
    "ListLLMEndpointsResponse",
    "ModelDownloadRequest",
    "ModelDownloadResponse",
    "ModelEndpointStatus",
    "Quantization",
    "UpdateLLMEndpointResponse",
    # batch completions
    "BatchCompletionJob",
    "BatchCompletionStatus",
    "CancelBatchCompletionResponse",
    "GetBatchCompletionResponse",
    "GetDockerImageBatchJobResponse",
    "UpdateBatchCompletionResponse",
    # files
    "DeleteFileResponse",
    "GetFileContentResponse",
    "GetFileResponse",
    "ListFilesResponse",
    "UploadFileResponse",
    # whoami
    "WhoAmI",
    "WhoAmIAccount",
    "WhoAmIUser",
]

#: The module of each public name (``smarter.types.<module>``).
_HOMES = {
    name: f"{__name__}.{module}"
    for module, names in {
        "_base": ("BaseModel",),
        "batch_completions": (
            "BatchCompletionJob",
            "BatchCompletionStatus",
            "CancelBatchCompletionResponse",
            "GetBatchCompletionResponse",
            "GetDockerImageBatchJobResponse",
            "UpdateBatchCompletionResponse",
        ),
        "chat": (
            "ChatCompletion",
            "ChatCompletionChoice",
            "ChatCompletionChunk",
            "ChatCompletionChunkChoice",
            "ChatCompletionMessage",
            "ChatCompletionMessageToolCall",
            "ChatCompletionTokenLogprob",
            "ChoiceDelta",
            "ChoiceDeltaToolCall",
            "ChoiceDeltaToolCallFunction",
            "ChoiceLogprobs",
            "CompletionUsage",
            "ParsedChatCompletion",
            "ParsedChatCompletionMessage",
            "ParsedChoice",
            "ToolCallFunction",
            "TopLogprob",
        ),
        "chat_params": (
            "ChatCompletionMessageParam",
            "ChatCompletionMessageToolCallParam",
            "ChatCompletionNamedToolChoiceParam",
            "ChatCompletionStreamOptionsParam",
            "ChatCompletionToolChoiceOptionParam",
            "ChatCompletionToolParam",
            "FunctionDefinition",
            "JSONSchema",
            "NamedFunction",
            "ResponseFormat",
            "ResponseFormatJSONObject",
            "ResponseFormatJSONSchema",
            "ResponseFormatText",
            "ToolCallFunctionParam",
        ),
        "chatbots": ("ChatbotManifest", "ChatbotMetadata", "ChatbotResponse"),
        "completions": (
            "CompletionOutput",
            "CompletionStreamOutput",
            "CompletionStreamResponse",
            "CompletionSyncResponse",
            "StreamError",
            "StreamErrorContent",
            "TokenOutput",
        ),
        "files": (
            "DeleteFileResponse",
            "GetFileContentResponse",
            "GetFileResponse",
            "ListFilesResponse",
            "UploadFileResponse",
        ),
        "fine_tuning": (
            "BatchJobStatus",
            "CancelFineTuneResponse",
            "CreateFineTuneResponse",
            "GetFineTuneEventsResponse",
            "GetFineTuneResponse",
            "Hyperparameters",
            "LLMFineTuneEvent",
            "ListFineTunesResponse",
        ),
        "manifests": (
            "ApplyResult",
            "CommandResult",
            "Difference",
            "Kind",
            "Manifest",
            "ManifestList",
            "ManifestListData",
            "ManifestLogs",
            "ManifestMetadata",
            "Plan",
            "PlanAction",
            "PlannedChange",
            "Validation",
            "ValidationIssue",
        ),
        "models": (
            "CreateLLMEndpointResponse",
            "DeleteLLMEndpointResponse",
            "GetLLMEndpointResponse",
            "LLMInferenceFramework",
            "LLMSource",
            "ListLLMEndpointsResponse",
            "ModelDownloadRequest",
            "ModelDownloadResponse",
            "ModelEndpointStatus",
            "Quantization",
            "UpdateLLMEndpointResponse",
        ),
        "response_events": (
            "ResponseCompletedEvent",
            "ResponseContentPartAddedEvent",
            "ResponseContentPartDoneEvent",
            "ResponseCreatedEvent",
            "ResponseErrorEvent",
            "ResponseFailedEvent",
            "ResponseFunctionCallArgumentsDeltaEvent",
            "ResponseFunctionCallArgumentsDoneEvent",
            "ResponseInProgressEvent",
            "ResponseIncompleteEvent",
            "ResponseOutputItemAddedEvent",
            "ResponseOutputItemDoneEvent",
            "ResponseQueuedEvent",
            "ResponseRefusalDeltaEvent",
            "ResponseRefusalDoneEvent",
            "ResponseStreamEvent",
            "ResponseTextDeltaEvent",
            "ResponseTextDoneEvent",
        ),
        "responses": (
            "Response",
            "ResponseError",
            "ResponseIncompleteDetails",
            "ResponseInputItemParam",
            "ResponseOutputItem",
            "ResponseOutputText",
            "ResponseTextConfig",
            "ResponseUsage",
        ),
        "whoami": ("PlatformStatus", "PlatformVersion", "WhoAmI", "WhoAmIAccount", "WhoAmIUser"),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
