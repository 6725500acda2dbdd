#include "CSQLiteMemory.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Each block starts with its usable size (8 bytes, so the caller's part stays 8-byte aligned, as
 * SQLite requires). A size of at most the largest class is a class block: freed, it goes to the
 * freeing thread's cache while that holds fewer than its class's limit, else back to malloc. */

enum { CLASSES = 9, LARGEST = 4096, HEADER = 8 };

static const int class_size[CLASSES] = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
/* At most about 150 KB kept a thread. */
static const int class_limit[CLASSES] = {64, 64, 64, 64, 32, 32, 16, 16, 16};

typedef struct free_block {
    struct free_block *next;
} free_block;

typedef struct thread_cache {
    free_block *head[CLASSES];
    int count[CLASSES];
    int registered;
} thread_cache;

static __thread thread_cache cache;
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
/* pthread_key_create's result; -1 until it ran. */
static int key_result = -1;
static int installed;

static int class_of(int size) {
    int index = 0;
    while (class_size[index] < size) index++;
    return index;
}

/* At a thread's exit: its kept blocks go back to malloc. */
static void release_cache(void *value) {
    thread_cache *kept = value;
    for (int index = 0; index < CLASSES; index++) {
        free_block *block = kept->head[index];
        while (block) {
            free_block *next = block->next;
            free(block);
            block = next;
        }
        kept->head[index] = NULL;
        kept->count[index] = 0;
    }
    kept->registered = 0;
}

static void make_key(void) { key_result = pthread_key_create(&cache_key, release_cache); }

static inline int64_t *header_of(void *block) { return (int64_t *)((char *)block - HEADER); }

void *varsel_sqlite_memory_malloc(int size) {
    if (size <= 0) size = 1;
    if (size > LARGEST) {
        int64_t usable = ((int64_t)size + 7) & ~(int64_t)7;
        int64_t *base = malloc((size_t)(usable + HEADER));
        if (!base) return NULL;
        *base = usable;
        return base + 1;
    }
    int index = class_of(size);
    free_block *kept = cache.head[index];
    if (kept) {
        cache.head[index] = kept->next;
        cache.count[index]--;
        int64_t *base = (int64_t *)kept;
        *base = class_size[index];
        return base + 1;
    }
    int64_t *base = malloc((size_t)(class_size[index] + HEADER));
    if (!base) return NULL;
    *base = class_size[index];
    return base + 1;
}

void varsel_sqlite_memory_free(void *block) {
    if (!block) return;
    int64_t *base = header_of(block);
    int64_t usable = *base;
    if (usable <= LARGEST) {
        int index = class_of((int)usable);
        if (cache.count[index] < class_limit[index]) {
            if (!cache.registered) {
                /* Registered once a thread, so that its blocks are released when it ends. */
                pthread_once(&key_once, make_key);
                if (key_result != 0 || pthread_setspecific(cache_key, &cache) != 0) {
                    free(base);
                    return;
                }
                cache.registered = 1;
            }
            free_block *kept = (free_block *)base;
            kept->next = cache.head[index];
            cache.head[index] = kept;
            cache.count[index]++;
            return;
        }
    }
    free(base);
}

int varsel_sqlite_memory_size(void *block) {
    if (!block) return 0;
    return (int)*header_of(block);
}

void *varsel_sqlite_memory_realloc(void *block, int size) {
    if (!block) return varsel_sqlite_memory_malloc(size);
    int usable = varsel_sqlite_memory_size(block);
    if (size <= usable) return block;
    void *moved = varsel_sqlite_memory_malloc(size);
    if (!moved) return NULL;
    memcpy(moved, block, (size_t)usable);
    varsel_sqlite_memory_free(block);
    return moved;
}

int varsel_sqlite_memory_roundup(int size) {
    if (size <= 0) size = 1;
    if (size > LARGEST) return (size + 7) & ~7;
    return class_size[class_of(size)];
}

int varsel_sqlite_memory_cached(void) {
    int total = 0;
    for (int index = 0; index < CLASSES; index++) total += cache.count[index];
    return total;
}

static int memory_init(void *unused) {
    (void)unused;
    return SQLITE_OK;
}

static void memory_shutdown(void *unused) { (void)unused; }

int varsel_sqlite_memory_install(void) {
    pthread_once(&key_once, make_key);
    if (key_result != 0) return SQLITE_ERROR;
    static const sqlite3_mem_methods methods = {
        varsel_sqlite_memory_malloc, varsel_sqlite_memory_free, varsel_sqlite_memory_realloc, varsel_sqlite_memory_size,
        varsel_sqlite_memory_roundup, memory_init, memory_shutdown, NULL,
    };
    /* SQLite's memory statistics take a global mutex around every allocation; Varsel reads none of
     * them (sqlite3_memory_used, soft heap limits). */
    int result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (result == SQLITE_OK) result = sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
    if (result == SQLITE_OK) installed = 1;
    return result;
}

int varsel_sqlite_memory_installed(void) { return installed; }

/* Installed as the program loads, before anything can open a database, unless the environment asks
 * for SQLite's own allocator (VARSEL_SQLITE_ALLOCATOR=system, e.g. to run under valgrind). */
__attribute__((constructor)) static void install_at_load(void) {
    const char *choice = getenv("VARSEL_SQLITE_ALLOCATOR");
    if (choice && strcmp(choice, "system") == 0) return;
    varsel_sqlite_memory_install();
}
