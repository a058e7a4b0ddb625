"""Waiting for a program's outstanding work, in time linear in the number of outputs.

The SDK's `wait_for_rpcs` drains pending output tasks with
`asyncio.wait(pending, FIRST_COMPLETED)` in a loop: every finished task costs a pass over all
pending ones, quadratic in the thousands of outputs a real stack has. This version waits with
FIRST_EXCEPTION instead: it still surfaces the first error at once, and otherwise returns when
the whole batch is done. What the program computes and registers is unchanged.

It replaces the SDK's function only during an offline run, and only for the SDK source it was
written against (checked by fingerprint); any other SDK version keeps its own implementation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
from collections.abc import Iterator

from pulumi.runtime import stack as sdk_stack
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

# sha256 of `inspect.getsource(pulumi.runtime.stack.wait_for_rpcs)` in pulumi 3.272.0.
SDK_WAIT_FINGERPRINT = "c0f9027f85ad0925"


def sdk_fingerprint() -> str:
    return hashlib.sha256(inspect.getsource(sdk_stack.wait_for_rpcs).encode()).hexdigest()[:16]


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """Same contract as `pulumi.runtime.stack.wait_for_rpcs`."""
    rpc_manager = _get_rpc_manager()
    while True:
        while rpc_manager.rpcs:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as error:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(
                        rpc_manager.exception_traceback
                    )
                    raise error from cause
                raise
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            await _drain_outputs()
        if not rpc_manager.rpcs:
            return


async def _drain_outputs() -> None:
    while True:
        with SETTINGS.lock:
            if not SETTINGS.outputs:
                return
            pending = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        done, not_done = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            await task  # re-raises the first failure
        if not_done:
            with SETTINGS.lock:
                SETTINGS.outputs.update(not_done)


@contextlib.contextmanager
def linear_wait() -> Iterator[bool]:
    """Use the linear wait for the duration of the block; yields whether it is in use."""
    original = sdk_stack.wait_for_rpcs
    if sdk_fingerprint() != SDK_WAIT_FINGERPRINT:
        yield False
        return
    sdk_stack.wait_for_rpcs = wait_for_rpcs
    try:
        yield True
    finally:
        sdk_stack.wait_for_rpcs = original
