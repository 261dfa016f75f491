// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v4 = """
        -- CloudTrail events relevant to sessions, identities and policy; eventID is the natural
        -- key (CloudTrail delivers some events more than once). JSON parts are stored compact,
        -- keys sorted, values under secret-looking keys replaced by ***.
        CREATE TABLE ct_event (
            event_id               TEXT    NOT NULL PRIMARY KEY,
            file_id                INTEGER NOT NULL REFERENCES input_file(id) ON DELETE CASCADE,
            line                   INTEGER NOT NULL,
            event_time             TEXT    NOT NULL,
            event_source           TEXT,
            event_name             TEXT,
            event_type             TEXT,
            aws_region             TEXT,
            recipient_account_id   TEXT,
            source_ip              TEXT,
            error_code             TEXT,
            identity_type          TEXT,
            principal_id           TEXT,
            identity_arn           TEXT,
            identity_account_id    TEXT,
            user_name              TEXT,
            session_issuer_arn     TEXT,
            on_behalf_of_user_id   TEXT,
            on_behalf_of_store_arn TEXT,
            credential_id          TEXT,
            source_identity        TEXT,
            shared_event_id        TEXT,
            request_parameters     TEXT,
            response_elements      TEXT,
            additional_event_data  TEXT,
            service_event_details  TEXT,
            resources              TEXT
        ) STRICT;
        CREATE INDEX ct_event_file ON ct_event(file_id);
        CREATE INDEX ct_event_name ON ct_event(event_source, event_name, event_time);
        CREATE INDEX ct_event_on_behalf_of ON ct_event(on_behalf_of_user_id, event_time);
        """
}
