import GRDB

/// The database schema, as migrations of frozen SQL.
///
/// A migration that has shipped is never edited: a change is a new migration appended here.
/// Tables are `STRICT`; every staging row carries its provenance (`file_id`, `line`), and
/// deleting an `input_file` row deletes what was read from it.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: manifest, quarantine, yarn_app, cluster") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2: livy_event, livy_request, yarn_audit, session") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3: livy_rest_session, livy_statement") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4: ct_event") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5: ct_digest, ct_digest_file") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6: identity, emr_cluster, security_configuration, policy_change") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7: content_sha256, sagemaker_job, finding") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8: meta") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9: CHECK lists as comparisons; livy_event in walk order") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration(
            "v10: session.propagation_basis, ct_file_digest, livy_rest_session.session_type, ingest_setting, input_file.parser_revision"
        ) { db in
            try db.execute(sql: v10)
        }
        migrator.registerMigration("v11: yarn_app_listing") { db in
            try db.execute(sql: v11)
        }
        migrator.registerMigration("v12: session.executor_cap, session.executor_cap_source") { db in
            try db.execute(sql: v12)
        }
        migrator.registerMigration("v13: cluster_hour, session.starts_held_back") { db in
            try db.execute(sql: v13)
        }
        migrator.registerMigration("v14: yarn_app_containers, session.peak_containers, session.peak_vcores") { db in
            try db.execute(sql: v14)
        }
        migrator.registerMigration("v15: cluster.account_id, session.account_id, session.user_account_id") { db in
            try db.execute(sql: v15)
        }
        migrator.registerMigration("v16: sagemaker_job_state, sagemaker_job.end_status, failure_reason, end_evidence") {
            db in
            try db.execute(sql: v16)
        }
        migrator.registerMigration(
            "v17: sagemaker_pipeline_state, sagemaker_pipeline_execution, sagemaker_job pipeline"
        ) {
            db in
            try db.execute(sql: v17)
        }
        return migrator
    }

    /// The staging tables: those whose rows carry their provenance, a `line` and a `file_id` that
    /// references `input_file` (the formats declare theirs, `StagingTable`; `quarantine` is the
    /// store's).
    ///
    /// Derived tables never have both: a new migration keeps it so.
    static func stagingTables(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT m.name FROM sqlite_master m
                WHERE m.type = 'table'
                  AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'line')
                  AND EXISTS (SELECT 1 FROM pragma_foreign_key_list(m.name) WHERE "table" = 'input_file' AND "from" = 'file_id')
                ORDER BY m.name
                """)
    }
}
