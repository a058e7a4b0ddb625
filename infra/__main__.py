"""The Plinth program: composes the components from the validated stack spec.

Run by `pulumi up` (real engine) and by `plinth preview` (offline engine) alike. The spec is
validated first; nothing is registered when it has problems. A stack with `plinth:platform`
holds only tenants, on the platform stack it names; any other stack is a platform stack.
"""

from functools import partial
from pathlib import Path

import platform_stack
import pulumi
import tenant_stack

from plinth.spec import load_spec_from_pulumi

spec = load_spec_from_pulumi(Path(__file__).resolve().parent.parent)
if spec.platform is None:
    platform_stack.build(spec)
else:
    # The platform's outputs decide what to register, so the program awaits them.
    pulumi.run(partial(tenant_stack.build, spec))
