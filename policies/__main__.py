"""Entry point the Pulumi CLI runs for `pulumi preview --policy-pack policies`.

Building a PolicyPack starts the policy gRPC server and never returns, so it happens here only;
the rules themselves are importable (and tested) from `policies.rules`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ALL_POLICIES

PolicyPack(
    name="plinth",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(ALL_POLICIES),
)
