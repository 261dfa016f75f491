// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v12 = """
        -- Derived: the most executors a session could hold (NULL: uncapped), and what says so:
        -- 'static' (dynamic allocation off), 'session' (its own maxExecutors), 'cluster' (the
        -- cluster's spark-defaults, from the config) or 'none' (dynamic allocation, no maximum).
        ALTER TABLE session ADD COLUMN executor_cap INTEGER;
        ALTER TABLE session ADD COLUMN executor_cap_source TEXT CHECK (executor_cap_source = 'static'
            OR executor_cap_source = 'session' OR executor_cap_source = 'cluster' OR executor_cap_source = 'none');
        """
}
