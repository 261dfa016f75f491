import CSQLiteConfig

/// SQLite's process-wide settings, said once before the first connection opens.
public enum SQLiteProcess {
    /// SQLite counts every allocation under a process-wide mutex unless told not to
    /// (`SQLITE_CONFIG_MEMSTATUS`); nothing here reads those counts.
    ///
    /// It must be said before SQLite is first used, so the store says it when the first ledger
    /// opens; later it is refused (SQLITE_MISUSE), which changes nothing but speed.
    public static let memoryStatisticsOff: Int32 = csqlite_disable_memstatus()
}
