"""The audit line: one typed record per request, and the sinks it is written to."""

from .middleware import AuditMiddleware, audit_record
from .record import AuditRecord
from .sinks import AuditLog, AuditSink

__all__ = ["AuditLog", "AuditMiddleware", "AuditRecord", "AuditSink", "audit_record"]
