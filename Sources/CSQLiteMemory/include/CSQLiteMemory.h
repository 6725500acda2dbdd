#ifndef VARSEL_CSQLITEMEMORY_H
#define VARSEL_CSQLITEMEMORY_H

#include <stddef.h>

/*
 * SQLite's memory allocator for Varsel: small blocks in nine size classes (16 to 4,096 bytes),
 * each thread keeping a few freed blocks of each class for its next allocations; larger blocks
 * straight from malloc. Debian's SQLite is built without lookaside (SQLITE_OMIT_LOOKASIDE), so every
 * value a statement copies, every record it builds and every cursor it opens is a malloc and a free.
 */

/* Installs the allocator (sqlite3_config(SQLITE_CONFIG_MALLOC)) and turns SQLite's memory
 * statistics off. Runs by itself as the program loads (unless VARSEL_SQLITE_ALLOCATOR=system); only
 * possible before SQLite is first used in the process: returns SQLite's result code (SQLITE_MISUSE
 * once SQLite is initialized). */
int varsel_sqlite_memory_install(void);

/* Whether SQLite allocates through this allocator. */
int varsel_sqlite_memory_installed(void);

/* The allocator's methods, for tests of the allocator itself. */
void *varsel_sqlite_memory_malloc(int size);
void varsel_sqlite_memory_free(void *block);
void *varsel_sqlite_memory_realloc(void *block, int size);
int varsel_sqlite_memory_size(void *block);
int varsel_sqlite_memory_roundup(int size);
/* Blocks the calling thread keeps for reuse, over all classes. */
int varsel_sqlite_memory_cached(void);

#endif
