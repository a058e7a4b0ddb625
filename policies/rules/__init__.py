"""Every rule of the pack, grouped by area in the modules of this package."""

from pulumi_policy import Policy

from policies.rules.tagging import REQUIRED_TAGS_POLICY

ALL_POLICIES: tuple[Policy, ...] = (REQUIRED_TAGS_POLICY,)
