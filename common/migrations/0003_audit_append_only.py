"""On PostgreSQL, the audit trail is append-only: a trigger refuses DELETE, and any UPDATE except
the sealer's one-time write of the chain columns (seq, prev_hash, hash) on an unsealed row."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION common_auditrecord_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit records are append-only (delete refused)';
    END IF;
    IF OLD.hash = '' AND NEW.hash <> '' AND NEW.seq IS NOT NULL
       AND (NEW.at, NEW.actor_id, NEW.actor_label, NEW.office_code, NEW.action,
            NEW.target_type, NEW.target_id, NEW.data)
           IS NOT DISTINCT FROM
           (OLD.at, OLD.actor_id, OLD.actor_label, OLD.office_code, OLD.action,
            OLD.target_type, OLD.target_id, OLD.data)
    THEN
        RETURN NEW;  -- the sealer adds the chain columns once
    END IF;
    RAISE EXCEPTION 'audit records are append-only (update refused)';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER common_auditrecord_append_only
    BEFORE UPDATE OR DELETE ON common_auditrecord
    FOR EACH ROW EXECUTE FUNCTION common_auditrecord_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS common_auditrecord_append_only ON common_auditrecord;
DROP FUNCTION IF EXISTS common_auditrecord_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("common", "0002_audit_chain")]

    operations = [migrations.RunPython(forwards, backwards)]
