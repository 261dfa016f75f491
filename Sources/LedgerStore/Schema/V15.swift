// Frozen: this migration has shipped. A change is a new migration (Migrations.swift).

extension Schema {
    static let v15 = """
        -- Derived: each cluster's AWS account and what says so ('config', 'RunJobFlow' or
        -- 'layout'); each session's (its cluster's), and the account its user came from when a
        -- cross-account role session brought them (SageMaker Studio in one account, EMR in another).
        ALTER TABLE cluster ADD COLUMN account_id TEXT;
        ALTER TABLE cluster ADD COLUMN account_source TEXT CHECK (account_source = 'config'
            OR account_source = 'RunJobFlow' OR account_source = 'layout');
        ALTER TABLE session ADD COLUMN account_id TEXT;
        ALTER TABLE session ADD COLUMN user_account_id TEXT;
        """
}
