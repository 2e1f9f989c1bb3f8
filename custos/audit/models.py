"""The s.62 event log: append-only, each event hashing the one before it."""

from __future__ import annotations

from django.db import models


class Verb(models.TextChoices):
    """Every kind of event Custos records; dotted ``noun.verb`` names."""

    # s.62 collection and alteration
    PERSON_CREATED = "person.created", "Person recorded"
    INTELLIGENCE_ADDED = "intelligence.added", "Intelligence added"
    INTELLIGENCE_VERIFIED = "intelligence.verified", "Social-media item verified or rejected"
    GANG_CREATED = "gang.created", "Gang recorded"
    NOMINATION_PROPOSED = "nomination.proposed", "Nomination proposed"
    NOMINATION_ACTIVATED = "nomination.activated", "Nomination activated"
    NOMINATION_WITHDRAWN = "nomination.withdrawn", "Nomination withdrawn"
    SCORE_COMPUTED = "score.computed", "Harm score computed"
    RAG_DECIDED = "rag.decided", "RAG band decided"
    RUBRIC_LOADED = "rubric.loaded", "Harm-score rubric loaded"
    MATRIX_IMPORTED = "matrix.imported", "Legacy matrix imported"
    DEMO_SEEDED = "demo.seeded", "Synthetic demo data created"
    # s.62 consultation
    PERSON_CONSULTED = "person.consulted", "Person record consulted"
    MATRIX_LISTED = "matrix.listed", "Matrix list consulted"
    PEOPLE_LISTED = "people.listed", "People list consulted"
    PEOPLE_SEARCHED = "people.searched", "People searched"
    INTELLIGENCE_CONSULTED = "intelligence.consulted", "Intelligence consulted"
    INTELLIGENCE_LISTED = "intelligence.listed", "Intelligence list consulted"
    NOMINATION_CONSULTED = "nomination.consulted", "Nomination consulted"
    # s.62 erasure
    DATA_KEY_SHREDDED = "data_key.shredded", "Data key shredded"
    # accounts
    USER_CREATED = "user.created", "User account created"
    USER_SIGNED_IN = "user.signed_in", "User signed in"
    USER_SIGNED_OUT = "user.signed_out", "User signed out"
    USER_SIGN_IN_FAILED = "user.sign_in_failed", "Sign-in failed"
    API_TOKEN_ISSUED = "api_token.issued", "API token issued"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    # access security: second factor, lockout, idle sessions
    MFA_ENROLLED = "mfa.enrolled", "Authenticator app added"
    MFA_VERIFIED = "mfa.verified", "Second factor verified"
    MFA_FAILED = "mfa.failed", "Second factor refused"
    MFA_RESET = "mfa.reset", "Authenticator app removed (reset)"
    USER_LOCKED_OUT = "user.locked_out", "User locked out after failed attempts"
    USER_SESSION_EXPIRED = "user.session_expired", "Session ended after inactivity"
    # access governance (Annex 1 terms 8, 9 and 11) and declared purpose
    TRAINING_RECORDED = "training.recorded", "Training recorded"
    ACCESS_ATTESTED = "access.attested", "Access attested (recertification)"
    USER_SUSPENDED = "user.suspended", "User account suspended"
    USER_REINSTATED = "user.reinstated", "User account reinstated"
    USER_MOVED = "user.moved", "User moved to another BCU"
    PURPOSE_DECLARED = "purpose.declared", "Purpose declared"
    SYSTEM_INITIALISED = "system.initialised", "System initialised"
    KEYS_ROTATED = "keys.rotated", "Key-encryption key rotated"
    TASK_RECOVERED = "task.recovered", "Background task put back on the queue (its worker stopped)"
    # oversight of the log itself: reading it is recorded too
    AUDIT_SEARCHED = "audit.searched", "Audit log searched"
    AUDIT_EXPORTED = "audit.exported", "Audit log exported"
    AUDIT_PATTERNS_REVIEWED = "audit.patterns_reviewed", "Suspicious-patterns report viewed"
    # Lifecycle: reviews, retention, erasure, restriction (custos.retention)
    RETENTION_SCHEDULE_LOADED = "retention_schedule.loaded", "Retention schedule loaded"
    RETENTION_SWEPT = "retention.swept", "Retention sweep run"
    REVIEW_OPENED = "review.opened", "Review opened"
    REVIEW_ESCALATED = "review.escalated", "Overdue review escalated to central governance"
    REVIEW_DECIDED = "review.decided", "Review decided"
    REVIEWS_LISTED = "review.listed", "Review queue consulted"
    REVIEW_CONSULTED = "review.consulted", "Review consulted"
    REMOVAL_CANCELLED = "removal.cancelled", "Scheduled erasure cancelled"
    PERSON_ERASED = "person.erased", "Person erased (data key shredded, records deleted)"
    ERASURE_REAPPLIED = "erasure.reapplied", "Erasure re-applied from the erasure ledger"
    PERSON_RESTRICTED = "person.restricted", "Processing restricted (s.47)"
    PERSON_UNRESTRICTED = "person.unrestricted", "Restriction lifted"
    NOTIFICATION_SENT = "notification.sent", "Notification sent"
    # Proportionate actions (custos.register)
    ACTION_RECORDED = "action.recorded", "Proportionate action recorded"
    ACTION_REFUSED = "action.refused", "Action refused by the proportionality policy"
    ACTION_KINDS_LOADED = "action_kinds.loaded", "Action kinds loaded (reference data)"
    ACTION_POLICY_LOADED = "action_policy.loaded", "Action policy loaded"
    # Data-subject rights (custos.rights)
    REQUEST_RECEIVED = "request.received", "Data-subject request received"
    REQUEST_CLOCK_CHANGED = "request.clock_changed", "Request clock paused, resumed or extended"
    REQUEST_CLOSED = "request.closed", "Data-subject request closed"
    REQUEST_CONSULTED = "request.consulted", "Data-subject request consulted"
    SAR_COMPILED = "sar.compiled", "Subject access response compiled"
    SAR_WITHHELD = "sar.withheld", "Part of a subject access response withheld (s.45(4))"
    SAR_RESPONDED = "sar.responded", "Subject access response sent"
    PERSON_RECTIFIED = "person.rectified", "Personal data rectified"
    RECTIFICATION_NOTIFIED = "rectification.notified", "Recipient notified of a rectification"
    # Loss prevention: fingerprints, canaries, scans and findings (custos.dlp)
    DLP_INDEXED = "dlp.indexed", "Fingerprint index brought up to date or rebuilt"
    DLP_CANARY_REGISTERED = "dlp.canary_registered", "Canary of an export registered"
    DLP_SCAN_STARTED = "dlp.scan_started", "Scan for copies started or resumed"
    DLP_SCANNED = "dlp.scanned", "Scan for copies ended"
    DLP_FINDING_RECORDED = "dlp.finding_recorded", "Copy or unreadable file found by a scan"
    DLP_FINDINGS_LISTED = "dlp.findings_listed", "Scan findings listed"
    DLP_FINDING_CONSULTED = "dlp.finding_consulted", "Scan finding consulted"
    DLP_FINDING_ASSIGNED = "dlp.finding_assigned", "Scan finding assigned"
    DLP_COPY_ERASED = "dlp.copy_erased", "Erasure of a found copy confirmed"
    DLP_FINDING_CLOSED = "dlp.finding_closed", "Scan finding closed"
    # Controlled exports (custos.dlp.exports): a disclosure to the exporting user, then its destruction
    EXPORT_CREATED = "export.created", "Personal data exported (watermarked, with a canary)"
    EXPORT_DOWNLOADED = "export.downloaded", "Export downloaded"
    EXPORT_DESTROYED = "export.destroyed", "Destruction of an export confirmed"
    EXPORTS_SWEPT = "export.swept", "Expired exports put on task lists"

    # information sharing (custos.sharing)
    ISA_DRAFTED = "isa.drafted", "Information sharing agreement drafted"
    ISA_UPDATED = "isa.updated", "Draft information sharing agreement changed"
    ISA_APPROVED = "isa.approved", "Information sharing agreement approved (IRU)"
    ISA_REVOKED = "isa.revoked", "Information sharing agreement revoked"
    ISA_EXPIRED = "isa.expired", "Information sharing agreement expired (review date passed)"
    DISCLOSURE_REQUESTED = "disclosure.requested", "Disclosure requested"
    DISCLOSURE_REFUSED = "disclosure.refused", "Disclosure refused"
    DISCLOSURE_WITHDRAWN = "disclosure.withdrawn", "Disclosure request withdrawn"
    DISCLOSURE_MADE = "disclosure.made", "Personal data disclosed under an agreement (encrypted package)"
    DISCLOSURE_CONSULTED = "disclosure.consulted", "Disclosure consulted"
    DISCLOSURES_LISTED = "disclosure.listed", "Disclosures listed"
    PACKAGE_DOWNLOADED = "package.downloaded", "Encrypted sharing package downloaded"
    PACKAGE_DESTROYED = "package.destroyed", "Recipient confirmed a sharing package destroyed"
    PACKAGE_DESTRUCTION_REFUSED = "package.destruction_refused", "Confirmation of destruction refused (wrong code)"
    SHARING_REVIEWED = "sharing.reviewed", "Sharing review report produced"
    SHARING_LOG_IMPORTED = "sharing_log.imported", "Legacy sharing log imported"
    # Oversight: BCU audits and the breach register (custos.oversight.audits, custos.oversight.breaches)
    BCU_AUDITED = "bcu_audit.run", "BCU audit run"
    BCU_AUDITS_LISTED = "bcu_audit.listed", "BCU audits listed"
    BCU_AUDIT_VIEWED = "bcu_audit.viewed", "BCU audit viewed"
    BREACH_RECORDED = "breach.recorded", "Personal data breach recorded"
    BREACH_NOTIFIED = "breach.notified", "Breach notification to the ICO recorded (or not notifiable)"
    BREACH_DECIDED = "breach.decided", "Decision on telling data subjects recorded (s.68)"
    BREACH_ACTION = "breach.action", "Breach action recorded or done"
    BREACH_CLOSED = "breach.closed", "Breach closed"
    BREACH_VIEWED = "breach.viewed", "Breach viewed"
    BREACHES_SWEPT = "breach.swept", "Breaches past the 72-hour deadline put on the DPO's task list"
    # Oversight: the DPIA pack, risk register and records of processing (custos.oversight.dpia)
    DPIA_GENERATED = "dpia.generated", "Draft DPIA generated from the running system"
    DPIA_SIGNED_OFF = "dpia.signed_off", "DPIA version signed off by the DPO"
    DPIA_EXPORTED = "dpia.exported", "DPIA version exported (PDF or JSON)"
    RISK_CHANGED = "dpia.risk_changed", "DPIA risk register entry added or changed"
    RISKS_SEEDED = "dpia.risks_seeded", "Starting DPIA risks loaded"
    RECORDS_OF_PROCESSING_PRODUCED = "ropa.produced", "Records of processing (s.61) produced"
    # Oversight: the equality monitor and its quarterly publication (custos.oversight.equality)
    EQUALITY_VIEWED = "equality.viewed", "Equality monitor viewed (aggregates)"
    EQUALITY_BASELINE_LOADED = "equality.baseline_loaded", "Equality baseline loaded"
    EQUALITY_PUBLISHED = "equality.published", "Quarterly equality publication made"
    # Oversight: the guidance library (custos.oversight.guidance)
    GUIDANCE_DRAFTED = "guidance.drafted", "Guidance draft written or changed"
    GUIDANCE_PUBLISHED = "guidance.published", "Guidance version published, with the day it comes into force"
    GUIDANCE_DISCARDED = "guidance.discarded", "Guidance draft discarded"
    # Oversight: the Annex 1 tracker and its monthly progress report (custos.oversight.annex1)
    ANNEX1_REPORTED = "annex1.reported", "Annex 1 monthly progress report generated"


class AuditEvent(models.Model):
    """One recorded action. Never updated or deleted (database triggers refuse).

    ``actor_*`` describe who acted (a user, or a named system actor for
    background jobs); ``object_ref`` and ``targets`` are pseudonymous
    references such as ``person:<uuid>``, never names or other plaintext
    personal data. ``hash`` covers every other column and ``prev_hash``.
    """

    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=40, blank=True)
    actor_bcu = models.CharField(max_length=60, blank=True)
    verb = models.CharField(
        max_length=60, help_text="A value of Verb (not enforced as choices, so new verbs need no migration)."
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_ref = models.CharField(max_length=120, blank=True)
    targets = models.JSONField(default=list)
    purpose = models.TextField(blank=True)
    recipients = models.JSONField(default=list)
    detail = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["verb", "occurred_at"]),
            models.Index(fields=["object_ref"]),
            models.Index(fields=["actor_id", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} by {self.actor_username}"


class AuditHead(models.Model):
    """The tip of the chain: locked to append, so events form one sequence."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"


class AuditCheckpoint(models.Model):
    """A signed Merkle root over the first ``tree_size`` events. Never updated or deleted.

    The root is the RFC 6962 Merkle Tree Hash whose leaves are the events'
    chain hashes (32 bytes each) in ``seq`` order. ``signature`` is Ed25519
    over the checkpoint's canonical statement (see
    ``custos.audit.checkpoints.statement``). Checkpoints are numbered 1, 2,
    3, ... and each names the one before it; ``consistency_proof`` proves
    this tree extends the previous checkpoint's, and ``frontier`` lets the
    next checkpoint extend this one without re-reading older events.
    """

    id = models.BigIntegerField(primary_key=True)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_checkpoint"
    )
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_fingerprint = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    consistency_proof = models.JSONField(default=list, help_text="Hex hashes: RFC 6962 proof from the previous tree.")
    frontier = models.JSONField(default=list, help_text="Hex roots of the perfect subtrees making up this tree.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint #{self.id} at tree size {self.tree_size}"
