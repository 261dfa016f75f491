#ifndef SESSION_LEDGER_CSQLITECONFIG_SHIM_H
#define SESSION_LEDGER_CSQLITECONFIG_SHIM_H
#include <sqlite3.h>

// sqlite3_config is variadic; Swift cannot call C variadic functions.
// Turns off SQLite's memory statistics, which take a process-wide mutex on every allocation.
static inline int csqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
