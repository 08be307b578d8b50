"""Every HTTP call of the genesys-cloud platform, and nothing else: paths, query parameters, bodies,
which statuses a caller handles, and parsing into `wire` models. The platform above decides.

API calls go through the shared `Requestor` (auth, pacing, retries honouring Retry-After, recorder).
The presigned upload and the export download go to a foreign URL with no bearer token: those use the
transport directly, with a small bounded retry of their own, and are reported to the recorder too.
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from provider.errors import ArchitectError, ServerError, TransportError, error_from_response
from provider.platforms.http.recorder import RequestEvent
from provider.platforms.http.requestor import Outcome, Requestor
from provider.platforms.http.transport import send

from .wire import (
    ArchitectExportJobStateResponse,
    ArchitectJobStateResponse,
    Dependency,
    DependencyListing,
    Flow,
    FlowEntityListing,
    FlowVersion,
    FlowVersionEntityListing,
    RegisterArchitectExportJobResponse,
    RegisterArchitectJobResponse,
)

T_FLOWS = "/api/v2/flows"
T_FLOW = "/api/v2/flows/{flowId}"
T_ACTION = "/api/v2/flows/actions/{action}"
T_VERSIONS = "/api/v2/flows/{flowId}/versions"
T_JOBS = "/api/v2/flows/jobs"
T_JOB = "/api/v2/flows/jobs/{jobId}"
T_EXPORT_JOBS = "/api/v2/flows/export/jobs"
T_EXPORT_JOB = "/api/v2/flows/export/jobs/{jobId}"
T_CONSUMED = "/api/v2/architect/dependencytracking/consumedresources"
T_CONSUMING = "/api/v2/architect/dependencytracking/consumingresources"
T_UPLOAD = "PUT {presignedUrl}"
T_DOWNLOAD = "GET {downloadUrl}"

#: Attempts of the presigned upload / the export download on transport errors and 5xx.
FOREIGN_ATTEMPTS = 4


def _q(value: str) -> str:
    return quote(str(value), safe="")


def object_type(flow_type: str) -> str:
    """Dependency-tracking object type of a flow type (contract section 3)."""
    return "WORKFLOW" if flow_type == "WORKFLOW" else f"{flow_type}FLOW"


class GenesysCloudProxy:
    """The I/O of one organization's flows API (thread-safe, as the requestor is)."""

    def __init__(self, requestor: Requestor) -> None:
        self.requestor = requestor
        self.settings = requestor.settings

    # ------------------------------------------------------------------ flows

    def get_flow(self, flow_id: str) -> Flow | None:
        """The flow, or None when it does not exist or was deleted (404/410)."""
        out = self.requestor.call("GET", f"{T_FLOWS}/{_q(flow_id)}", T_FLOW, handled=(404, 410))
        return None if out.status in (404, 410) else Flow.model_validate(out.body)

    def iter_flows(self, *, type: str | None = None, name: str | None = None) -> Iterator[Flow]:
        params: dict[str, Any] = {"pageSize": 500 if name is None else 100}
        if type is not None:
            params["type"] = type.lower()
        if name is not None:
            params["name"] = name
        for body in self.requestor.pages(T_FLOWS, T_FLOWS, params):
            yield from FlowEntityListing.model_validate(body).entities

    def iter_versions(self, flow_id: str) -> Iterator[FlowVersion]:
        """Every version of the flow (the platform keeps them all), as the listing pages them."""
        path = f"{T_FLOWS}/{_q(flow_id)}/versions"
        for body in self.requestor.pages(path, T_VERSIONS, {"pageSize": 100}):
            yield from FlowVersionEntityListing.model_validate(body).entities

    def put_flow(self, flow_id: str, body: dict[str, Any]) -> Flow:
        out = self.requestor.call("PUT", f"{T_FLOWS}/{_q(flow_id)}", T_FLOW, body=body)
        return Flow.model_validate(out.body)

    def delete_flow(self, flow_id: str) -> Outcome:
        """DELETE; the caller handles 404/405/409/410 (status in the outcome)."""
        return self.requestor.call(
            "DELETE", f"{T_FLOWS}/{_q(flow_id)}", T_FLOW, ok=(200, 202, 204), handled=(404, 405, 409, 410)
        )

    def action(self, name: str, flow_id: str, *, handled: tuple[int, ...] = ()) -> Outcome:
        """POST /flows/actions/<name>?flow= (checkout, checkin, publish, deactivate, unlock)."""
        return self.requestor.call(
            "POST",
            f"{T_FLOWS}/actions/{name}",
            T_ACTION.format(action=name),
            params={"flow": flow_id},
            ok=(200, 202),
            handled=handled,
        )

    # ------------------------------------------------------------------ jobs

    def register_job(self) -> RegisterArchitectJobResponse:
        out = self.requestor.call("POST", T_JOBS, T_JOBS, body={"createStubs": False})
        return RegisterArchitectJobResponse.model_validate(out.body)

    def get_job(self, job_id: str) -> ArchitectJobStateResponse:
        out = self.requestor.call("GET", f"{T_JOBS}/{_q(job_id)}", T_JOB, params={"expand": "messages"})
        return ArchitectJobStateResponse.model_validate(out.body)

    def upload(self, url: str, headers: dict[str, str], text: str) -> None:
        """PUT the Archy text to the presigned URL with exactly the returned headers (no token).

        Transport errors and 5xx are retried (bounded). When an earlier attempt may have landed and a
        later one is refused, the error is raised as ambiguous: the caller checks the job."""
        payload = text.encode("utf-8")
        ambiguous = False
        for attempt in range(1, FOREIGN_ATTEMPTS + 1):
            status, result_error, _ = self._foreign(
                "PUT", url, T_UPLOAD, attempt, headers=headers, data=payload
            )
            if status == 200:
                return
            retryable = status is None or status >= 500
            if status is None and isinstance(result_error, TransportError):
                ambiguous = ambiguous or result_error.ambiguous
            if not retryable or attempt == FOREIGN_ATTEMPTS:
                if ambiguous:
                    raise TransportError(
                        "upload of the Archy file: an earlier attempt may have reached the server, a "
                        f"later one was answered {status}",
                        ambiguous=True,
                        code="upload",
                    )
                if status is None and result_error is not None:
                    raise result_error
                said = f": {result_error.message}" if result_error is not None else ""
                raise ArchitectError(
                    f"upload of the Archy file was refused (HTTP {status}): the presigned URL expired "
                    f"or a required header was missing{said}",
                    status=status,
                    code="upload.refused",
                )
            self.requestor.retry.sleep(self.requestor.retry.backoff(attempt))

    def register_export(self, flow_id: str, version: str | None) -> RegisterArchitectExportJobResponse:
        return self.register_exports([(flow_id, version)], named=False)

    def register_exports(
        self, flows: list[tuple[str, str | None]], *, named: bool = True
    ) -> RegisterArchitectExportJobResponse:
        """One export job for several flows (`named`: each file named after its flow's id, so that
        the zip's entries map back to the flows)."""
        items: list[dict[str, Any]] = []
        for flow_id, version in flows:
            flow: dict[str, Any] = {"id": flow_id}
            if version is not None:
                flow["version"] = version
            item: dict[str, Any] = {"flow": flow, "exportType": "Yaml"}
            if named:
                item["fileName"] = flow_id
            items.append(item)
        out = self.requestor.call("POST", T_EXPORT_JOBS, T_EXPORT_JOBS, body={"flows": items})
        return RegisterArchitectExportJobResponse.model_validate(out.body)

    def get_export(self, job_id: str) -> ArchitectExportJobStateResponse:
        out = self.requestor.call(
            "GET", f"{T_EXPORT_JOBS}/{_q(job_id)}", T_EXPORT_JOB, params={"expand": "messages"}
        )
        return ArchitectExportJobStateResponse.model_validate(out.body)

    def download(self, url: str) -> str:
        return _text(self.download_raw(url), url)

    def download_files(self, url: str) -> dict[str, str]:
        """An export's files by name without folder or extension: a zip (several flows) or the one
        YAML file (key ""). A download that is neither is the platform's error, not a traceback."""
        raw = self.download_raw(url)
        if not raw.startswith(b"PK"):
            return {"": _text(raw, url)}
        files: dict[str, str] = {}
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        stem = info.filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                        files[stem] = _text(archive.read(info), url)
        except _UNREADABLE_ZIP as exc:
            raise ArchitectError(f"the export at {urlsplit(url).path} is not a readable zip: {exc}") from None
        return files

    def download_raw(self, url: str) -> bytes:
        if not urlsplit(url).scheme:
            url = self.settings.api_base_url + url
        for attempt in range(1, FOREIGN_ATTEMPTS + 1):
            status, error, raw = self._foreign("GET", url, T_DOWNLOAD, attempt)
            if status == 200 and error is None:
                return raw
            if (status is not None and status < 500) or attempt == FOREIGN_ATTEMPTS:
                raise error or ArchitectError(f"download of the export failed (HTTP {status})", status=status)
            self.requestor.retry.sleep(self.requestor.retry.backoff(attempt))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ dependency tracking

    def consumed(self, flow_id: str, version: str, obj_type: str) -> list[Dependency] | None:
        """What `version` of the flow uses; None while the platform rebuilds the data (206)."""
        out = self.requestor.call(
            "GET",
            T_CONSUMED,
            T_CONSUMED,
            params={"id": flow_id, "version": version, "objectType": obj_type, "pageSize": 100},
            handled=(206,),
        )
        if out.status == 206:
            return None
        return DependencyListing.model_validate(out.body).entities

    def consuming(self, flow_id: str, obj_type: str, flow_filter: str) -> list[Dependency] | None:
        """Who uses the flow (`flowFilter` checkedIn | published); None while rebuilding (206)."""
        out = self.requestor.call(
            "GET",
            T_CONSUMING,
            T_CONSUMING,
            params={"id": flow_id, "objectType": obj_type, "flowFilter": flow_filter, "pageSize": 100},
            handled=(206,),
        )
        if out.status == 206:
            return None
        return DependencyListing.model_validate(out.body).entities

    # ------------------------------------------------------------------ internals

    def _foreign(
        self,
        method: str,
        url: str,
        template: str,
        attempt: int,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> tuple[int | None, ArchitectError | None, bytes]:
        parts = urlsplit(url)
        session = self.requestor.pool.session(f"{parts.scheme}://{parts.netloc}")
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        started = time.monotonic()
        try:
            result = send(session, method, url, timeout=timeout, headers=dict(headers or {}), data=data)
        except TransportError as exc:
            self._record(
                method, template, None, time.monotonic() - started, attempt, exc.code or "connection"
            )
            return None, exc, b""
        status = result.status
        self._record(
            method, template, status, result.latency_s, attempt, str(status) if status >= 500 else None
        )
        if status == 200:
            return status, None, result.content or result.text.encode("utf-8")
        error = error_from_response(
            status, result.body, method=method, path=template, correlation_id=result.correlation_id
        )
        if status >= 500:
            error = ServerError(str(error.message), status=status)
        return status, error, b""

    def _record(
        self, method: str, template: str, status: int | None, latency: float, attempt: int, reason: str | None
    ) -> None:
        self.requestor.safe(
            self.requestor.recorder.on_request,
            RequestEvent(
                method=method,
                path_template=template,
                status=status,
                latency_s=latency,
                attempt=attempt,
                retry_reason=reason,
            ),
        )


#: zlib.error: corrupt deflate data; RuntimeError: an encrypted member; NotImplementedError: a
#: compression method zipfile lacks.
_UNREADABLE_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, RuntimeError, NotImplementedError)


def _text(raw: bytes, url: str) -> str:
    """An exported file's text (Archy YAML is UTF-8)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchitectError(f"the export at {urlsplit(url).path} is not UTF-8 text: {exc}") from None
