"""The reference server's memory: stored objects and the log of requests it received.

Everything here is plain data. The server's event loop changes it; tests read it from any
thread (``server.state``, ``server.requests``), so writers hold ``ServerState.lock`` and the
request log has its own lock.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smarter.testing._batch import BatchJob

__all__ = [
    "ChatSession",
    "Chatbot",
    "FineTuneJob",
    "ModelEndpoint",
    "RecordedRequest",
    "RequestLog",
    "ServerState",
    "StoredManifest",
    "StoredFile",
    "make_endpoint",
    "new_id",
]


def new_id(prefix: str, length: int = 24) -> str:
    """Make a fresh identifier: ``prefix`` and ``length`` random hex digits.

    Args:
        prefix: For example ``"file-"``.
        length: The number of hex digits.

    Returns:
        The identifier.
    """
    return prefix + secrets.token_hex((length + 1) // 2)[:length]


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it, in arrival order.

    .. versionadded:: 0.2.0
    """

    method: str
    """The method, upper case."""
    path: str
    """The path relative to its service's mount, as sent (percent-encoding kept), no query."""
    query: Mapping[str, str]
    """The query parameters (a ``MultiDictProxy``)."""
    headers: Mapping[str, str]
    """The headers (a case-insensitive ``CIMultiDictProxy``)."""
    body: bytes
    """The raw body; ``b""`` for multipart uploads, which are streamed, never kept."""
    body_size: int
    """The number of body bytes the server read."""
    time: float
    """``time.monotonic()`` when the request arrived."""
    status: int | None = None
    """The status answered, or None while unanswered or when the connection was dropped."""


class RequestLog:
    """Every request received, in order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []
        # Entries are frozen; an update replaces entry ``index`` of the current list. The
        # generation tells an update that the log was cleared since its request arrived.
        self._generation = 0

    def add(self, entry: RecordedRequest) -> tuple[int, int]:
        """Append an entry; returns the handle that :meth:`update` takes."""
        with self._lock:
            self._entries.append(entry)
            return self._generation, len(self._entries) - 1

    def update(self, handle: tuple[int, int], **changes: Any) -> None:
        """Replace fields of an entry added earlier (status, body size)."""
        generation, index = handle
        with self._lock:
            if generation == self._generation:
                self._entries[index] = dataclasses.replace(self._entries[index], **changes)

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the entries."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._generation += 1


_SEQUENCE = itertools.count(1)


def _next_seq() -> int:
    return next(_SEQUENCE)


@dataclasses.dataclass
class StoredFile:
    """An uploaded file. Up to 1 MiB stays in ``data``; a larger one lives at ``path``."""

    id: str
    filename: str
    size: int
    content_type: str
    purpose: str
    created_at: float
    data: bytes | None = None
    path: Path | None = None
    seq: int = dataclasses.field(default_factory=_next_seq)
    """Creation order, which pagination cursors point into."""

    def public(self) -> dict[str, Any]:
        """The wire form: ``{"id", "filename", "size"}``."""
        return {"id": self.id, "filename": self.filename, "size": self.size}


@dataclasses.dataclass
class FineTuneJob:
    """A fine-tuning job whose status moves with time.

    The job is PENDING for ``step`` seconds, RUNNING for another ``step``, then SUCCESS,
    unless it was cancelled first (``cancelled_at``), which freezes it at CANCELLED.
    """

    id: str
    model: str
    training_file: str
    validation_file: str | None
    hyperparameters: dict[str, Any]
    wandb_config: dict[str, Any] | None
    suffix: str | None
    step: float
    created_at: float = dataclasses.field(default_factory=time.time)
    """Wall-clock creation time (event timestamps)."""
    started: float = dataclasses.field(default_factory=time.monotonic)
    """Monotonic creation time (status progression)."""
    cancelled_at: float | None = None
    """Monotonic time of the cancellation."""
    seq: int = dataclasses.field(default_factory=_next_seq)

    def timeline(self, now: float | None = None) -> list[tuple[str, float]]:
        """The statuses reached so far with their wall-clock times, oldest first."""
        now = time.monotonic() if now is None else now
        reached = [("PENDING", self.created_at)]
        for index, status in enumerate(("RUNNING", "SUCCESS"), start=1):
            at = self.started + index * self.step
            if at > now or (self.cancelled_at is not None and at > self.cancelled_at):
                break
            reached.append((status, self.created_at + index * self.step))
        if self.cancelled_at is not None and reached[-1][0] != "SUCCESS":
            reached.append(("CANCELLED", self.created_at + (self.cancelled_at - self.started)))
        return reached

    def status(self, now: float | None = None) -> str:
        """The current status."""
        return self.timeline(now)[-1][0]

    def public(self) -> dict[str, Any]:
        """The wire form: ``{"id", "fine_tuned_model", "status"}``."""
        status = self.status()
        model = None
        if status == "SUCCESS":
            model = f"{self.model}:{self.suffix or 'ft'}-{self.id[-6:]}"
        return {"id": self.id, "fine_tuned_model": model, "status": status}


@dataclasses.dataclass
class ModelEndpoint:
    """A model endpoint; ``body`` is its wire form, ``name`` and ``id`` are also in it.

    One created or updated through the API is deploying: ``UPDATE_PENDING`` for ``step``
    seconds, ``UPDATE_IN_PROGRESS`` for another, then ``READY``, the order of
    ``scaleapi/llm-engine@a8236961:model-engine/model_engine_server/common/types/
    endpoint.py``. One given to the constructor keeps the status it was given.
    """

    name: str
    body: dict[str, Any]
    seq: int = dataclasses.field(default_factory=_next_seq)
    deployed_at: float | None = None
    """Monotonic time the deployment started, or None: the status is the body's."""
    step: float = 0.0

    def status(self, now: float | None = None) -> str:
        """The endpoint's status now."""
        if self.deployed_at is None:
            return str(self.body.get("status"))
        elapsed = (time.monotonic() if now is None else now) - self.deployed_at
        if elapsed < self.step:
            return "UPDATE_PENDING"
        return "UPDATE_IN_PROGRESS" if elapsed < 2 * self.step else "READY"

    def wire(self) -> dict[str, Any]:
        """The wire form now: the body, with the status of the moment (in ``spec`` too)."""
        status = self.status()
        body = {**self.body, "status": status}
        if isinstance(body.get("spec"), dict):
            body["spec"] = {**body["spec"], "status": status}
        return body


def make_endpoint(spec: str | Mapping[str, Any]) -> ModelEndpoint:
    """Build a model endpoint from a name or a mapping of fields that override the defaults.

    Args:
        spec: ``"my-model"`` or ``{"name": "my-model", "status": "UPDATE_PENDING", ...}``.

    Returns:
        The endpoint.
    """
    fields: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = fields.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"a model endpoint needs a name: {spec!r}")
    endpoint_id = str(fields.get("id") or new_id("end_"))
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    body: dict[str, Any] = {
        "id": endpoint_id,
        "name": name,
        "model_name": name,
        "source": "hugging_face",
        "inference_framework": "vllm",
        # The real server spells it ``_image_tag``; the client must cope with that.
        "inference_framework_image_tag": "0.6.3",
        "num_shards": 1,
        "quantize": None,
        "checkpoint_path": None,
        "status": "READY",
        "spec": {
            "id": endpoint_id,
            "name": name,
            "endpoint_type": "streaming",
            "destination": f"launch.llm_engine.{endpoint_id}",
            "bundle_name": f"{name}-bundle",
            "status": "READY",
            "metadata": {},
            "labels": {},
            "created_by": "reference",
            "created_at": now,
            "last_updated_at": now,
            "deployment_state": {
                "min_workers": 0,
                "max_workers": 1,
                "per_worker": 2,
                "concurrent_requests_per_worker": 2,
                "available_workers": 1,
                "unavailable_workers": 0,
            },
            "resource_state": {
                "cpus": "8",
                "gpus": 1,
                "memory": "24Gi",
                "gpu_type": "nvidia-ampere-a10",
                "storage": "40Gi",
                "nodes_per_worker": 1,
                "optimize_costs": False,
            },
            "num_queued_items": 0,
            "public_inference": True,
        },
    }
    body.update(fields)
    return ModelEndpoint(name=name, body=body)


@dataclasses.dataclass
class Chatbot:
    """A chatbot (an ``LLMClient`` manifest on the new routes, ``Chatbot`` on the old)."""

    name: str
    description: str
    version: str
    config: dict[str, Any]
    """The manifest's ``spec.config``."""
    created_at: float = dataclasses.field(default_factory=time.time)
    modified_at: float = dataclasses.field(default_factory=time.time)
    plugins: list[str] = dataclasses.field(default_factory=list)
    """The manifest's ``spec.plugins``."""
    functions: list[str] = dataclasses.field(default_factory=list)
    """The manifest's ``spec.functions``."""
    api_key: str | None = None
    """The manifest's ``spec.apiKey``: the name of a SmarterAuthToken."""
    tags: list[Any] = dataclasses.field(default_factory=list)
    annotations: list[Any] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class StoredManifest:
    """A manifest the platform keeps (any kind but LLM clients, which are chatbots)."""

    manifest: dict[str, Any]
    """``apiVersion``, ``kind``, ``metadata`` and ``spec``, the server's defaults filled in."""
    created_at: float = dataclasses.field(default_factory=time.time)
    modified_at: float = dataclasses.field(default_factory=time.time)
    deployed: bool = False
    record_locator: str = dataclasses.field(default_factory=lambda: new_id("rec_", 16))


@dataclasses.dataclass
class ChatSession:
    """One conversation with a chatbot, kept per (chatbot, uid, session key)."""

    chatbot: str
    uid: str
    key: str
    messages: list[dict[str, str]]
    """Every message so far: the system one, then user and assistant turns."""

    @property
    def turns(self) -> int:
        """The number of user messages."""
        return sum(1 for message in self.messages if message["role"] == "user")


@dataclasses.dataclass
class ServerState:
    """Everything the server stores. Writers hold ``lock``; tests may read from any thread.

    .. versionadded:: 0.2.0
    """

    files: dict[str, StoredFile] = dataclasses.field(default_factory=dict)
    """Uploaded files by id."""
    jobs: dict[str, FineTuneJob] = dataclasses.field(default_factory=dict)
    """Fine-tuning jobs by id, in creation order."""
    endpoints: dict[str, ModelEndpoint] = dataclasses.field(default_factory=dict)
    """Model endpoints by name."""
    chatbots: dict[str, Chatbot] = dataclasses.field(default_factory=dict)
    """Chatbots by name."""
    sessions: dict[tuple[str, str, str], ChatSession] = dataclasses.field(default_factory=dict)
    """Chat sessions by (chatbot name, uid, session key)."""
    manifests: dict[tuple[str, str, str], StoredManifest] = dataclasses.field(default_factory=dict)
    """Manifests of every kind but LLM clients, by (account number, kind, name)."""
    batch_jobs: dict[str, BatchJob] = dataclasses.field(default_factory=dict)
    """Batch completion jobs by id, in creation order."""
    lock: threading.RLock = dataclasses.field(default_factory=threading.RLock, repr=False)

    def advance(self, seconds: float) -> None:
        """Move every job, batch job and deployment *seconds* on, as if that much time passed.

        Their clocks are moved back (creation, cancellation, deployment start), so that a
        test steps a server made with a long ``job_step`` through each state, rather than
        racing a short one. A batch job that ends here writes its outputs at once.

        Args:
            seconds: How far to move them; not negative.

        Raises:
            TypeError: *seconds* is not a number.
            ValueError: *seconds* is negative (or NaN).

        .. versionadded:: 0.3.0
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"seconds must be a number, not {seconds!r}")
        if not seconds >= 0:
            raise ValueError(f"seconds must not be negative, got {seconds!r}")
        with self.lock:
            clocked: list[FineTuneJob | BatchJob] = [*self.jobs.values(), *self.batch_jobs.values()]
            for job in clocked:
                # The cancellation first: a request read between the two sees the job
                # cancelled early, never run past its cancellation.
                if job.cancelled_at is not None:
                    job.cancelled_at -= seconds
                job.started -= seconds
                job.created_at -= seconds
            for endpoint in self.endpoints.values():
                if endpoint.deployed_at is not None:
                    endpoint.deployed_at -= seconds
            for batch in self.batch_jobs.values():
                batch.status()  # one that ended writes its outputs, read or not
