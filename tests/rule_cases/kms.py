"""Fixtures for policies/rules/kms.py."""

from __future__ import annotations

import json

from rule_cases import complies, res, violates

KEY = "aws:kms/key:Key"


def key_policy(principal, condition=None):  # type: ignore[no-untyped-def]
    statement = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


CASES = [
    violates("kms-key-rotation", "rotation off", res(KEY, "k", {"enableKeyRotation": False})),
    violates("kms-key-rotation", "rotation unset", res(KEY, "k", {})),
    complies("kms-key-rotation", "rotation on", res(KEY, "k", {"enableKeyRotation": True})),
    complies(
        "kms-key-rotation",
        "asymmetric keys cannot rotate",
        res(KEY, "k", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    ),
    violates(
        "kms-key-policy-no-wildcard-principal",
        "AWS * without condition",
        res(KEY, "k", {"policy": key_policy({"AWS": "*"})}),
    ),
    violates(
        "kms-key-policy-no-wildcard-principal",
        "standalone key policy with Principal *",
        res("aws:kms/keyPolicy:KeyPolicy", "kp", {"keyId": "k", "policy": key_policy("*")}),
    ),
    complies(
        "kms-key-policy-no-wildcard-principal",
        "wildcard pinned to the caller's account",
        res(
            KEY,
            "k",
            {
                "policy": key_policy(
                    {"AWS": "*"}, {"StringEquals": {"kms:CallerAccount": "123456789012"}}
                )
            },
        ),
    ),
    complies(
        "kms-key-policy-no-wildcard-principal",
        "account root",
        res(KEY, "k", {"policy": key_policy({"AWS": "arn:aws:iam::123456789012:root"})}),
    ),
    violates(
        "kms-key-deletion-window",
        "7 days under SOC 2",
        res(KEY, "k", {"deletionWindowInDays": 7}),
        profiles=("soc2",),
        expect="under 30",
    ),
    complies(
        "kms-key-deletion-window",
        "30 days",
        res(KEY, "k", {"deletionWindowInDays": 30}),
        profiles=("pci",),
    ),
    complies(
        "kms-key-deletion-window",
        "baseline accepts AWS's 7-day minimum",
        res(KEY, "k", {"deletionWindowInDays": 7}),
    ),
    violates(
        "kms-key-policy-no-wildcard-principal",
        "a condition that pins nothing about the caller",
        res(KEY, "k", {"policy": key_policy("*", {"Bool": {"aws:SecureTransport": "true"}})}),
    ),
]
