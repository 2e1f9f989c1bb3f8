"""The sixteen terms of Annex 1 of the enforcement notice: the wording (briefly quoted) and where each is met.

The quotations are from the notice (``seeds/ico-enforcement-notice-2018.txt``,
Annex 1); ``url_names`` are the Custos pages where the feature lives, tried in
order (the first that exists is linked).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    title: str
    requirement: str
    feature: str
    url_names: tuple[str, ...] = ()


_GUIDANCE_PAGES = ("web:guidance", "web:guidance_list", "web:guidance_index")

TERMS: tuple[Term, ...] = (
    Term(
        "A1.1",
        "Data protection impact assessment",
        "Conduct a data protection impact assessment on the Gangs Matrix.",
        "DPIA pack generated from the running system, signed off by the DPO, with the risk register.",
        ("web:dpia_list",),
    ),
    Term(
        "A1.2",
        "Victims identified and labelled",
        "Ensure that data subjects retained on the Matrix are clearly identified and labelled so as to "
        "distinguish between victims of crime and actual or suspected offenders.",
        "An s.38(3) category on every record; victims are never nominals and never scored.",
        ("web:people",),
    ),
    Term(
        "A1.3",
        "Retention schedule",
        "Implement a retention schedule which addresses how and when data subjects should be removed from the "
        "Matrix, and that the personal data of those data subjects is not otherwise to be retained.",
        "Versioned retention schedule, review queue, erasure by key shredding.",
        ("web:retention_schedule",),
    ),
    Term(
        "A1.4",
        "Informal lists erased",
        "Erase any informal lists which process the personal data of data subjects who no longer meet the "
        "criteria for retention on the Matrix.",
        "Registered exports with canaries; the copy scanner finds copies, including of erased people.",
        ("web:dlp_findings",),
    ),
    Term(
        "A1.5",
        "Review of all data sharing",
        "Conduct a full review of all data sharing relating to the Gangs Matrix across the MPS …",
        "Sharing review over every disclosure, including imported legacy share logs.",
        ("web:sharing_review",),
    ),
    Term(
        "A1.6",
        "Guidance on information sharing",
        "Develop guidance on information sharing relating to the Gangs Matrix, including differentiating "
        "information sharing with third parties exercising statutory functions and third parties with no such "
        "functions …",
        "Sharing rules enforced by the agreement register, and the guidance page rendered from them.",
        ("web:sharing_guidance",),
    ),
    Term(
        "A1.7",
        "Sharing only under approved agreements",
        "Confirm that any and all information sharing … will only occur under a formal written agreement "
        "approved by the MPS Information Rights Unit …",
        "Agreement lifecycle with approval by the Information Rights Unit only; no disclosure without one.",
        ("web:sharing_agreements",),
    ),
    Term(
        "A1.8",
        "Purpose-specific training",
        "Implement compulsory purpose-specific training for all officers and staff responsible for processing "
        "personal data on the Gangs Matrix.",
        "Training records with expiry; personal data is refused without current training.",
        ("web:training",),
    ),
    Term(
        "A1.9",
        "Mandatory data protection training",
        "Ensure that all officers and staff deployed within units dealing with gang crime have completed the "
        "MPS' mandatory data protection training.",
        "The same gate, second course.",
        ("web:training",),
    ),
    Term(
        "A1.10",
        "Data loss and loss detection software",
        "Introduce data loss software and loss detection software on MPS systems …",
        "Controlled exports with canaries, the exact-data-match scanner and its findings workflow.",
        ("web:exports", "web:dlp_findings"),
    ),
    Term(
        "A1.11",
        "Access removed when no longer needed",
        "Ensure that access restrictions are imposed on officers and staff who no longer need to access the Matrix.",
        "Quarterly recertification, dormancy suspension, HR leavers and movers.",
        ("web:recertification",),
    ),
    Term(
        "A1.12",
        "Comprehensive access log",
        "Ensure that a comprehensive access log is maintained of all those with access to the Gangs Matrix.",
        "The s.62 event log: append-only, hash-chained, signed checkpoints.",
        ("web:audit_log",),
    ),
    Term(
        "A1.13",
        "Encryption at rest, in sharing and in transit",
        "Ensure that all personal data on the Gangs Matrix and any related documents is protected by "
        "encryption … held on MPS servers and … shared with third parties, including in transit.",
        "Per-person envelope encryption, age-encrypted sharing packages, TLS and HSTS.",
        ("web:dpia_records_of_processing",),
    ),
    Term(
        "A1.14",
        "Guidance on social media",
        "Develop guidance in relation to the use of social media as a source of 'verifiable intelligence' in "
        "relation to personal data.",
        "Verification state on intelligence; unverified items count for nothing; the written guidance.",
        _GUIDANCE_PAGES,
    ),
    Term(
        "A1.15",
        "Guidance for consistent decisions",
        "Develop guidance that assists Boroughs and ensures consistent decision-making in relation to: the "
        "composition of 'the gang(s)' …; how gang membership is evidenced; how to distinguish between a serious "
        "youth violence offender and a gang member; and the appropriate intelligence sources …",
        "Gang register with its evidence basis; versioned guidance recorded on each decision.",
        _GUIDANCE_PAGES,
    ),
    Term(
        "A1.16",
        "Regular audits of every BCU",
        "Conduct regular audits on all Borough Operational Command Units to assess compliance with guidance "
        "issued concerning the Gangs Matrix, and with the DPA more generally.",
        "Monthly BCU audits from live data, with the trend against the last.",
        ("web:audits_list",),
    ),
)

TERMS_BY_CODE = {term.code: term for term in TERMS}
