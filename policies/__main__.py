"""Entry point the Pulumi CLI runs for `pulumi preview --policy-pack policies`.

Building a PolicyPack starts the policy gRPC server and never returns, so it happens here only;
the rules are importable (and tested, and run offline by `plinth audit`) from `policies.pack`.
Profiles and waivers arrive as policy config: see `plinth policy-config`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack import PACK_NAME, policies

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
)
