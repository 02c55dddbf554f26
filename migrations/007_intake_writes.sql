-- Fewer index entries per web-form submission (store/intake_batch.go), which writes a
-- consent request, its audit entry and two rate events.

-- Rate events are only counted by key and time and deleted by time: the identity column and
-- its index were never read.
ALTER TABLE rate_events DROP COLUMN id;

-- A new request has no contact yet, and system audit entries (intake, workflows) no actor:
-- the lookups by contact and by actor never ask for NULL, so NULLs need no index entry.
DROP INDEX consent_requests_contact;
CREATE INDEX consent_requests_contact ON consent_requests (contact_id) WHERE contact_id IS NOT NULL;
DROP INDEX audit_log_actor;
CREATE INDEX audit_log_actor ON audit_log (actor_id, id) WHERE actor_id IS NOT NULL;
