import CSQLiteMemory

/// SQLite's allocations go through Varsel's allocator (`CSQLiteMemory`), installed as the program
/// loads. Debian's SQLite is built without lookaside, so every value a statement copies, every
/// record it builds and every cursor it opens was a `malloc` and a `free` (about 135 a sent SMS, most
/// on the writer's thread); now small blocks are kept by the thread that freed them for its next
/// allocations, and SQLite's memory statistics, which took a global mutex around each, are off.
/// `VARSEL_SQLITE_ALLOCATOR=system` in the environment keeps SQLite's own allocator (e.g. for
/// valgrind).
public enum SQLiteMemory {
    /// Whether SQLite allocates through Varsel's allocator in this process.
    public static var isInstalled: Bool { varsel_sqlite_memory_installed() != 0 }
}
