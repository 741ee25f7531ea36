"""Batch completion jobs of the reference server: they move through their states and write.

LLM Engine ``a8236961`` is the model (cited per rule below). A job is PENDING for
``job_step`` seconds, RUNNING for another, then SUCCESS, when it writes its outputs: one
JSON array, an element per prompt (v1) or per request (v2), in input order
(``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/inference/vllm/
vllm_batch.py``, ``handle_batch_processing``). A job whose input cannot be read ends in
FAILURE, one that outruns its ``max_runtime_sec`` in TIMEOUT. The "server's storage" is the
local file system for a path (``/...`` or ``file://...``) and the job's ``output`` otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import time
from pathlib import Path
from typing import Any

from smarter.testing._model import generate
from smarter.testing._state import new_id

__all__ = ["BatchJob", "TO_V2_STATUS", "read_content"]

#: ``to_dto`` of ``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/infra/
#: services/live_llm_batch_completions_service.py``: job status to v2 status.
TO_V2_STATUS = {
    "PENDING": "queued",
    "RUNNING": "running",
    "SUCCESS": "completed",
    "FAILURE": "failed",
    "TIMEOUT": "failed",
    "CANCELLED": "cancelled",
}


def _local(path: str) -> Path | None:
    if path.startswith("file://"):
        return Path(path[len("file://") :])
    return Path(path) if path.startswith("/") else None


def read_content(path: str) -> Any:
    """The content a job reads from *input_data_path*, or None when it cannot read it."""
    local = _local(path)
    if local is None:
        return None
    try:
        return json.loads(local.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _iso(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat()


def _complete_v1(prompt: str, settings: dict[str, Any]) -> dict[str, Any]:
    generation = generate(
        prompt,
        int(settings.get("max_new_tokens") or 20),
        temperature=settings.get("temperature"),
        top_k=settings.get("top_k"),
        top_p=settings.get("top_p"),
        stop=settings.get("stop_sequences") or (),
    )
    # return_token_log_probs is hard-coded True in the job (vllm_batch.py): tokens always.
    pairs = zip(generation.tokens, generation.log_probs, strict=True)
    return {
        "text": generation.text,
        "num_prompt_tokens": generation.num_prompt_tokens,
        "num_completion_tokens": len(generation.tokens),
        "tokens": [{"token": token, "log_prob": log_prob} for token, log_prob in pairs],
    }


def _complete_v2(request: dict[str, Any], model: str) -> dict[str, Any]:
    """A v2 request's element: an OpenAI completion or chat completion body."""
    messages = request.get("messages")
    prompt = request.get("prompt")
    if isinstance(messages, list):
        prompt = " ".join(str(message.get("content", "")) for message in messages)
    generation = generate(str(prompt), int(request.get("max_tokens") or 20))
    usage = {
        "prompt_tokens": generation.num_prompt_tokens,
        "completion_tokens": len(generation.tokens),
        "total_tokens": generation.num_prompt_tokens + len(generation.tokens),
    }
    common = {"id": new_id("cmpl-"), "created": int(time.time()), "model": model, "usage": usage}
    if isinstance(messages, list):
        message = {"role": "assistant", "content": generation.text}
        choice = {"index": 0, "message": message, "finish_reason": "length"}
        return {**common, "object": "chat.completion", "choices": [choice]}
    choice = {"index": 0, "text": generation.text, "finish_reason": "length"}
    return {**common, "object": "text_completion", "choices": [choice]}


@dataclasses.dataclass
class BatchJob:
    """One batch completion job, created through v1 or v2."""

    id: str
    api: str
    """``"v1"`` or ``"v2"``: which route created it (the shape of its outputs)."""
    model_config: dict[str, Any]
    output_data_path: str
    input_data_path: str | None
    content: Any
    labels: dict[str, str]
    priority: str | None
    max_runtime_sec: int
    step: float
    created_at: float = dataclasses.field(default_factory=time.time)
    started: float = dataclasses.field(default_factory=time.monotonic)
    cancelled_at: float | None = None
    output: bytes | None = None
    """The outputs once written (also on disk for a local ``output_data_path``)."""

    def _end(self) -> str:
        if self.max_runtime_sec < self.step:
            return "TIMEOUT"
        if self.content is None and self.input_data_path is not None:
            self.content = read_content(self.input_data_path)
        return "SUCCESS" if self.content is not None else "FAILURE"

    def status(self, now: float | None = None) -> str:
        """The job's status (``BatchJobStatus``), writing the outputs on reaching SUCCESS."""
        now = time.monotonic() if now is None else now
        elapsed = now - self.started
        if self.cancelled_at is not None and self.cancelled_at - self.started < 2 * self.step:
            return "CANCELLED"
        if elapsed < self.step:
            return "PENDING"
        if elapsed < 2 * self.step:
            return "RUNNING"
        end = self._end()
        if end == "SUCCESS" and self.output is None:
            self._write()
        return end

    def finished_at(self) -> float | None:
        """Wall-clock time the job ended, or None while it runs."""
        if self.status() in ("PENDING", "RUNNING"):
            return None
        if self.cancelled_at is not None:
            return self.created_at + (self.cancelled_at - self.started)
        return self.created_at + 2 * self.step

    def _outputs(self) -> list[Any]:
        model = str(self.model_config.get("model", ""))
        content = self.content
        if isinstance(content, list):
            return [
                _complete_v2(item, model) if isinstance(item, dict) else None for item in content
            ]
        prompts = content.get("prompts") if isinstance(content, dict) else None
        return [_complete_v1(str(prompt), content) for prompt in prompts or ()]

    def _write(self) -> None:
        self.output = json.dumps(self._outputs()).encode()
        local = _local(self.output_data_path)
        if local is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(self.output)

    def finish_later(self) -> None:
        """Have the job write its outputs when it ends, read or not (in the server's loop)."""
        asyncio.get_running_loop().call_later(2 * self.step + 0.001, self.status)

    def v2_body(self) -> dict[str, Any]:
        """The job as a v2 ``BatchCompletionsJob`` (``dtos/llms/batch_completion.py``)."""
        finished = self.finished_at()
        return {
            "job_id": self.id,
            "input_data_path": self.input_data_path,
            "output_data_path": self.output_data_path,
            "model_config": self.model_config,
            "priority": self.priority,
            "status": TO_V2_STATUS.get(self.status(), "unknown"),
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.created_at + self.max_runtime_sec),
            "completed_at": None if finished is None else _iso(finished),
            "metadata": {key: str(value) for key, value in self.labels.items()},
        }
