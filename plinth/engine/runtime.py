"""Run a Pulumi Python program under the SDK's mock runtime and capture what it registers.

The program runs exactly as the real language host runs it (`run_in_stack` around
`runpy.run_path`), but the resource monitor is in-process: no Pulumi CLI, no provider
plugins, no network. Resources get plausible outputs (see `cloud`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack

from plinth import origins
from plinth.engine.cloud import DEFAULT_REGION, MockedResource, computed_outputs
from plinth.engine.contracts import ContractViolations, check_contracts
from plinth.engine.errors import EngineRejection, ProgramError
from plinth.engine.invokes import invoke_result
from plinth.engine.quiescence import linear_wait
from plinth.engine.result import STACK_TYPE, Preview, ResourceRecord
from plinth.engine.values import decode_struct, reveal
from plinth.spec.errors import SpecError

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
PROVIDER_PREFIX = "pulumi:providers:"


class CloudMocks(mocks.Mocks):
    """Answers resource creation and invokes with plausible cloud values."""

    def __init__(self, default_region: str, stack_outputs: Mapping[str, Mapping[str, Any]]):
        self.default_region = default_region
        self.stack_outputs = stack_outputs
        self.provider_regions: dict[str, str] = {}
        self.unmodelled_invokes: set[str] = set()
        self.problems: list[str] = []

    def _region(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> str:
        explicit = inputs.get("region")
        if isinstance(explicit, str) and explicit:
            return explicit
        provider_id = (provider_ref or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, self.default_region)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args.name, inputs)
        if not args.custom and args.resource_id is None:
            return "", inputs  # a component: nothing to create
        plain = reveal(inputs)
        resource = MockedResource(args.typ, args.name, plain, self._region(args.provider, plain))
        if args.typ.startswith(PROVIDER_PREFIX):
            provider_id = resource.digest(36)
            if isinstance(plain.get("region"), str) and plain["region"]:
                self.provider_regions[provider_id] = plain["region"]
            return provider_id, inputs
        made_id, computed = computed_outputs(resource)
        # A read or import names its resource; its state must carry that same ID.
        resource_id = args.resource_id or made_id
        return resource_id, {**inputs, **computed, "id": resource_id}

    def _stack_reference(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        stack_name = str(inputs.get("name") or name)
        outputs = self.stack_outputs.get(stack_name)
        if outputs is None:
            known = ", ".join(sorted(self.stack_outputs)) or "none: pass --stack-outputs FILE"
            self.problems.append(
                f"StackReference {stack_name!r} has no outputs offline (stacks given: {known})"
            )
            outputs = {}
        return stack_name, {"name": stack_name, "outputs": dict(outputs), "secretOutputNames": []}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        plain_args = reveal(dict(args.args))
        result = invoke_result(args.token, plain_args, self._region(args.provider, plain_args))
        if result is None:
            self.unmodelled_invokes.add(args.token)
            return {}, []
        return result, []


class CapturingMonitor(mocks.MockMonitor):
    """A mock resource monitor that records every registration with its options.

    It also refuses what the real engine refuses and plain mocks accept: a second resource
    with a URN already registered.
    """

    def __init__(self, cloud: CloudMocks) -> None:
        super().__init__(cloud)
        self.records: list[ResourceRecord] = []
        self.stack_outputs: dict[str, Any] = {}
        self.duplicates: list[str] = []
        self._stack_urn = ""
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine forms them: the type is qualified by the parent's whole
        qualified type (the SDK's plain mock keeps only the nearest parent's), and children
        of the stack itself carry no `pulumi:pulumi:Stack$` prefix."""
        parent_type = parent.split("::")[2] if parent else STACK_TYPE
        qualified = type_ if parent_type == STACK_TYPE else f"{parent_type}${type_}"
        return f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        urn = self._claim(request)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self._stack_urn = urn
        self._record(urn, request, request.object, custom=bool(request.custom), read=False)
        return response

    def ReadResource(self, request: Any) -> Any:
        """Reads (StackReference, `Resource.get`) are resources of the stack too."""
        urn = self._claim(request)
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(urn, request, request.properties, custom=True, read=True)
        return response

    def _claim(self, request: Any) -> str:
        urn = self.make_urn(request.parent, request.type, request.name)
        with self._lock:
            if urn in self._claimed:
                self.duplicates.append(urn)
            self._claimed.add(urn)
        return urn

    def _record(self, urn: str, request: Any, properties: Any, *, custom: bool, read: bool) -> None:
        registered = self.resources.get(urn)
        record = ResourceRecord(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=custom,
            parent=request.parent,
            provider=request.provider,
            inputs=decode_struct(properties),
            protect=bool(getattr(request, "protect", False)),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
            # The SDK gathers dependencies in sets: sorted, a preview is the same every run.
            depends_on=tuple(sorted(request.dependencies)),
            ignore_changes=tuple(getattr(request, "ignoreChanges", ())),
            id=registered.id if registered else "",
            property_dependencies={
                key: tuple(sorted(deps.urns))
                for key, deps in getattr(request, "propertyDependencies", {}).items()
            },
            read=read,
        )
        with self._lock:
            self.records.append(record)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self._stack_urn:
            self.stack_outputs = decode_struct(request.outputs)
        return empty_pb2.Empty()


class _DiagnosticsHandler(logging.Handler):
    """Collects the program's pulumi.log warnings and errors."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def install_monitor(
    monitor: mocks.MockMonitor,
    *,
    project: str,
    stack: str,
    logger: logging.Logger | None = None,
) -> None:
    """Point the SDK at an in-process mock monitor, with no root stack yet (as a fresh
    language host starts: `run_in_stack` creates it)."""
    settings.ROOT.set(None)
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=mocks.MockEngine(logger),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
        )
    )


def run_program(
    program: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Preview:
    """Run the program folder `program` (its __main__.py) offline and capture the result."""
    program = program.resolve()
    loaded_before = set(sys.modules)
    try:
        return run_callable(
            lambda: runpy.run_path(str(program), run_name="__main__"),
            project=project,
            stack=stack,
            config=config,
            secret_keys=secret_keys,
            stack_outputs=stack_outputs,
            program_root=program,
        )
    finally:
        # Modules of this program must not leak into the next run of another program.
        for name in set(sys.modules) - loaded_before:
            path = getattr(sys.modules[name], "__file__", None) or ""
            if path and Path(path).resolve().is_relative_to(program):
                del sys.modules[name]


def run_callable(
    body: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    program_root: Path | None = None,
    check_api_contracts: bool = True,
) -> Preview:
    """Run `body` as a Pulumi program offline. Components are tested through this too.

    What it registers is then checked against the cloud's API contracts (see `contracts`):
    a value the real APIs would refuse fails the preview, as it would fail `pulumi up`.
    """
    default_region = config.get("aws:region") or DEFAULT_REGION
    cloud = CloudMocks(default_region, stack_outputs or {})
    monitor = CapturingMonitor(cloud)
    diagnostics = _DiagnosticsHandler()
    logger = logging.getLogger(f"plinth.offline.{id(monitor)}")
    logger.propagate = False
    logger.addHandler(diagnostics)

    runtime_config.set_all_config(dict(config), list(secret_keys or []))
    origins.take()  # what an earlier, failed, run recorded
    install_monitor(monitor, project=project, stack=stack, logger=logger)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        with linear_wait():
            loop.run_until_complete(run_in_stack(body))
    except SpecError as error:
        if cloud.problems:  # the spec found what a missing --stack-outputs entry left out
            raise _unresolved_references(cloud.problems) from error
        raise
    except Exception as error:
        if cloud.problems:  # the program failed on what it could not read offline
            raise _unresolved_references(cloud.problems) from error
        raise _program_error(error, program_root) from error
    finally:
        _discard_unfinished_work(loop)
        loop.close()
        asyncio.set_event_loop(None)
        settings.ROOT.set(None)
        logger.removeHandler(diagnostics)

    if monitor.duplicates:
        raise EngineRejection(
            "the real engine would reject this program: duplicate resource URNs",
            [f"{urn} (give the resource a unique name)" for urn in sorted(set(monitor.duplicates))],
        )
    if cloud.problems:
        raise _unresolved_references(cloud.problems)
    notes = [
        f"note: invoke {token} is not modelled offline; the program received an empty result"
        for token in sorted(cloud.unmodelled_invokes)
    ]
    resources = sorted(monitor.records, key=_stable_order)
    recorded = origins.take()
    origin_by_urn = {
        r.urn: recorded[(r.type, r.name)] for r in resources if (r.type, r.name) in recorded
    }
    if check_api_contracts:
        report = check_contracts(resources, stack_outputs)
        if report.violations:
            raise ContractViolations(report.violations)
        notes.extend(report.warnings)
        notes.extend(
            f"note: {kind} objects were not checked against a schema (none bundled or vendored)"
            for kind in report.unchecked_kinds
        )
    return Preview(
        project=project,
        stack=stack,
        resources=resources,
        outputs=monitor.stack_outputs,
        diagnostics=diagnostics.messages + notes,
        origins=origin_by_urn,
    )


def _discard_unfinished_work(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a failed program left pending and empty the SDK's trackers.

    The SDK keeps its pending outputs and RPCs in context variables whose fallback value is a
    process-wide set, which the SDK's worker threads (started with an empty context) share. A
    program that fails mid-run leaves tasks of this, soon closed, loop in them; the next run in
    the same process would then wait on those forever.
    """
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    with settings.SETTINGS.lock:
        settings.SETTINGS.outputs.clear()
    settings.SETTINGS.rpc_manager.clear()


def _unresolved_references(problems: list[str]) -> EngineRejection:
    return EngineRejection("stack references cannot be resolved offline", problems)


def _stable_order(record: ResourceRecord) -> tuple[bool, list[str | int]]:
    """The stack first, then by URN with numbers compared as numbers (net-2 before net-10).

    Registration order depends on the SDK's thread pool; a preview must not.
    """
    parts = re.split(r"(\d+)", record.urn)
    return record.type != STACK_TYPE, [int(p) if p.isdigit() else p for p in parts]


def _program_error(error: BaseException, program_root: Path | None) -> ProgramError:
    """Point at the innermost frame inside the program folder (or the innermost frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    in_program = [
        frame
        for frame in frames
        if program_root is not None and Path(frame.filename).resolve().is_relative_to(program_root)
    ]
    candidates = in_program or frames
    location = f"{candidates[-1].filename}:{candidates[-1].lineno}" if candidates else "<unknown>"
    message = f"{type(error).__name__}: {error}"
    text = "".join(traceback.format_exception(error))
    return ProgramError(location, message, text)
