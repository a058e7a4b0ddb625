"""The compliance catalog: the frameworks Plinth maps to and the controls its rules support.

Rules name control IDs from here (a test refuses any ID that is not listed), `plinth audit
--framework` prints evidence per control from it, and the controls matrix in docs/policies.md
is generated from it. Titles are short paraphrases; the reference of each framework is the text
that counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Profile(StrEnum):
    """Compliance profiles a stack can claim; `baseline` applies to every stack."""

    BASELINE = "baseline"
    SOC2 = "soc2"
    HIPAA = "hipaa"
    PCI = "pci"
    GDPR = "gdpr"


PROFILES: tuple[str, ...] = tuple(p.value for p in Profile)


@dataclass(frozen=True)
class Framework:
    key: str
    name: str
    version: str
    reference: str
    controls: Mapping[str, str]


HIPAA = Framework(
    key="hipaa",
    name="HIPAA Security Rule",
    version="45 CFR Part 164 Subpart C",
    reference="https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C",
    controls=MappingProxyType(
        {
            "164.308(a)(1)(ii)(D)": "Information system activity review",
            "164.308(a)(4)(i)": "Information access management",
            "164.312(a)(1)": "Access control",
            "164.312(a)(2)(iv)": "Encryption and decryption (at rest)",
            "164.312(b)": "Audit controls",
            "164.312(c)(1)": "Integrity",
            "164.312(d)": "Person or entity authentication",
            "164.312(e)(1)": "Transmission security",
            "164.312(e)(2)(ii)": "Encryption (in transmission)",
        }
    ),
)

GDPR = Framework(
    key="gdpr",
    name="GDPR",
    version="Regulation (EU) 2016/679",
    reference="https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    controls=MappingProxyType(
        {
            "Art. 5(1)(c)": "Data minimisation",
            "Art. 5(1)(f)": "Integrity and confidentiality of personal data",
            "Art. 25": "Data protection by design and by default",
            "Art. 32": "Security of processing",
            "Art. 44": "General principle for transfers to third countries",
        }
    ),
)

SOC2 = Framework(
    key="soc2",
    name="SOC 2",
    version="Trust Services Criteria (2017, revised points of focus 2022)",
    reference="https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
    controls=MappingProxyType(
        {
            "C1.1": "Confidential information is identified and maintained to meet "
            "confidentiality objectives",
            "CC6.1": "Logical access security and protection of information assets",
            "CC6.3": "Role-based access, least privilege and segregation of duties",
            "CC6.6": "Protection against threats from outside the system boundaries",
            "CC6.7": "Restricted transmission and movement of information (encryption in transit)",
            "CC7.1": "Detection of configuration changes and vulnerabilities",
            "CC7.2": "Monitoring of system components for anomalies",
            "CC8.1": "Authorised, controlled changes to infrastructure",
        }
    ),
)

PCI = Framework(
    key="pci",
    name="PCI DSS",
    version="4.0",
    reference="https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0.pdf",
    controls=MappingProxyType(
        {
            "1.3.1": "Inbound traffic to the CDE is restricted",
            "1.3.2": "Outbound traffic from the CDE is restricted",
            "1.4.2": "Inbound traffic from untrusted networks is restricted",
            "2.2.1": "Configuration standards are developed, implemented and maintained",
            "3.5.1": "Stored account data is rendered unreadable (strong cryptography)",
            "3.6.1": "Cryptographic keys are protected against disclosure and misuse",
            "3.7.4": "Cryptographic keys are changed at the end of their cryptoperiod",
            "4.2.1": "Strong cryptography protects data in transit over public networks",
            "6.3.3": "Security patches and updates are installed",
            "7.2.1": "An access control model is defined",
            "7.2.2": "Access is assigned by job function with least privilege",
            "8.3.2": "Authentication factors are unreadable in transit and at rest",
            "8.6.2": "Passwords of application and system accounts are not hard-coded",
            "8.6.3": "Passwords of application and system accounts are protected against misuse",
            "10.2.1": "Audit logs are enabled and active for all system components",
            "10.3.1": "Read access to audit log files is limited to a job-related need",
            "10.3.2": "Audit log files are protected against modification",
            "10.3.4": "Change detection is used on audit logs",
            "10.4.1": "Audit logs of security events and critical components are reviewed daily",
            "10.4.1.1": "Automated mechanisms are used to perform audit log reviews",
            "10.5.1": "Audit log history is retained for at least 12 months",
            "10.7.2": "Failures of critical security control systems are detected, alerted and "
            "addressed promptly",
            "11.5.1": "Intrusion-detection techniques detect and alert on intrusions",
            "12.5.1": "An inventory of in-scope system components is maintained",
        }
    ),
)

NIST_800_53 = Framework(
    key="nist-800-53",
    name="NIST SP 800-53",
    version="Rev. 5",
    reference="https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
    controls=MappingProxyType(
        {
            "AC-2": "Account management",
            "AC-3": "Access enforcement",
            "AC-4": "Information flow enforcement",
            "AC-5": "Separation of duties",
            "AC-6": "Least privilege",
            "AC-17": "Remote access",
            "AU-2": "Event logging",
            "AU-6": "Audit record review, analysis, and reporting",
            "AU-9": "Protection of audit information",
            "AU-11": "Audit record retention",
            "AU-12": "Audit record generation",
            "CA-7": "Continuous monitoring",
            "CM-3": "Configuration change control",
            "CM-6": "Configuration settings",
            "CM-7": "Least functionality",
            "CM-8": "System component inventory",
            "CP-10": "System recovery and reconstitution",
            "IA-2": "Identification and authentication (organizational users)",
            "IA-5": "Authenticator management",
            "SA-9(5)": "External system services: processing, storage and service location",
            "SC-6": "Resource availability",
            "SC-7": "Boundary protection",
            "SC-8": "Transmission confidentiality and integrity",
            "SC-12": "Cryptographic key establishment and management",
            "SC-13": "Cryptographic protection",
            "SC-28": "Protection of information at rest",
            "SI-2": "Flaw remediation",
            "SI-4": "System monitoring",
            "SI-7": "Software, firmware and information integrity",
            "SI-10": "Information input validation",
            "SI-12": "Information management and retention",
        }
    ),
)

NIST_AI_RMF = Framework(
    key="nist-ai-rmf",
    name="NIST AI RMF",
    version="1.0 (NIST AI 100-1)",
    reference="https://doi.org/10.6028/NIST.AI.100-1",
    controls=MappingProxyType(
        {
            "GOVERN 6.1": "Policies address risks of third-party AI entities",
            "MAP 4.2": "Internal risk controls for AI components, third-party AI included, "
            "are identified and documented",
            "MEASURE 2.4": "AI system functionality and behaviour are monitored in production",
            "MEASURE 2.7": "AI system security and resilience are evaluated and documented",
            "MEASURE 2.10": "Privacy risk of the AI system is examined and documented",
            "MANAGE 1.3": "Responses to high-priority AI risks are developed and documented",
            "MANAGE 3.1": "Third-party AI risks are monitored and risk controls applied",
            "MANAGE 4.1": "Post-deployment monitoring plans are implemented",
        }
    ),
)

FRAMEWORKS: Mapping[str, Framework] = MappingProxyType(
    {f.key: f for f in (HIPAA, GDPR, SOC2, PCI, NIST_800_53, NIST_AI_RMF)}
)
