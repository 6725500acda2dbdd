#include "CSQLiteWALBuffer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Most bytes gathered before they are written: 29 frames of 4 KiB pages. The unix VFS writes at most
 * 128 KiB - 1 bytes a call (its `seekAndWriteFd` masks the length with 0x1ffff). */
enum { BUFFER_CAPACITY = 120 << 10 };

typedef struct buffered_file buffered_file;

/* A file opened through this VFS: ours first (SQLite sees it), the underlying VFS's after it. */
struct buffered_file {
    sqlite3_file base;
    sqlite3_file *real;
    /* A database file: whether its connection's log writes are gathered, and its log once open. */
    int buffer_log;
    buffered_file *log;
    /* Calls made to write its log (by any log file opened for it), for tests. */
    long long log_writes;
    /* A log file: its database file (while both are open), and the writes gathered (none when `data`
     * is NULL). */
    buffered_file *database;
    unsigned char *data;
    sqlite3_int64 start;
    int length;
    /* A gathered write that failed where its error could not be returned: returned by the next call. */
    int deferred_error;
};

static sqlite3_vfs *underlying;
static sqlite3_vfs vfs;
static sqlite3_io_methods methods;
static sqlite3_io_methods methods_without_shared_memory;

/* Whether `file` was opened through this VFS. */
static int is_ours(const sqlite3_file *file) {
    return file->pMethods == &methods || file->pMethods == &methods_without_shared_memory;
}

/* MARK: The log's buffer */

static int write_through(buffered_file *file, const void *bytes, int amount, sqlite3_int64 offset) {
    if (file->database) file->database->log_writes++;
    return file->real->pMethods->xWrite(file->real, bytes, amount, offset);
}

/* Writes what is gathered. */
static int flush(buffered_file *file) {
    if (file->length == 0) return SQLITE_OK;
    int length = file->length;
    file->length = 0;
    return write_through(file, file->data, length, file->start);
}

/* Writes what is gathered where the caller cannot return an error: the file's next call does. */
static void flush_deferring_error(buffered_file *file) {
    int result = flush(file);
    if (result != SQLITE_OK && file->deferred_error == SQLITE_OK) file->deferred_error = result;
}

/* Writes what is gathered; the first error, this one's or an earlier deferred one. */
static int settle(buffered_file *file) {
    int result = flush(file);
    if (file->deferred_error != SQLITE_OK) {
        result = file->deferred_error;
        file->deferred_error = SQLITE_OK;
    }
    return result;
}

/* Before the database file's barrier or lock change (the steps by which a commit is published and
 * the write lock changes hands): writes what the log gathered. */
static void flush_log_of(buffered_file *database) {
    if (database->log) flush_deferring_error(database->log);
}

/* MARK: I/O methods */

static int buffered_close(sqlite3_file *handle) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    if (file->database && file->database->log == file) file->database->log = NULL;
    if (file->log && file->log->database == file) file->log->database = NULL;
    free(file->data);
    file->data = NULL;
    int closed = file->real->pMethods->xClose(file->real);
    return result != SQLITE_OK ? result : closed;
}

static int buffered_read(sqlite3_file *handle, void *bytes, int amount, sqlite3_int64 offset) {
    buffered_file *file = (buffered_file *)handle;
    /* A gathered write that failed may have held these bytes: the read fails rather than return
     * what the file held before. */
    if (file->deferred_error != SQLITE_OK ||
        (file->length > 0 && offset < file->start + file->length && offset + amount > file->start)) {
        int result = settle(file);
        if (result != SQLITE_OK) return result;
    }
    return file->real->pMethods->xRead(file->real, bytes, amount, offset);
}

static int buffered_write(sqlite3_file *handle, const void *bytes, int amount, sqlite3_int64 offset) {
    buffered_file *file = (buffered_file *)handle;
    if (file->deferred_error != SQLITE_OK) return settle(file);
    if (!file->database || !file->database->buffer_log) {
        int result = settle(file);
        return result != SQLITE_OK ? result : write_through(file, bytes, amount, offset);
    }
    if (file->length > 0 && (offset != file->start + file->length || file->length + amount > BUFFER_CAPACITY)) {
        int result = flush(file);
        if (result != SQLITE_OK) return result;
    }
    if (amount > BUFFER_CAPACITY) return write_through(file, bytes, amount, offset);
    if (!file->data) {
        file->data = malloc(BUFFER_CAPACITY);
        if (!file->data) return write_through(file, bytes, amount, offset);
    }
    if (file->length == 0) file->start = offset;
    memcpy(file->data + file->length, bytes, (size_t)amount);
    file->length += amount;
    return SQLITE_OK;
}

static int buffered_truncate(sqlite3_file *handle, sqlite3_int64 size) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    return result != SQLITE_OK ? result : file->real->pMethods->xTruncate(file->real, size);
}

static int buffered_sync(sqlite3_file *handle, int flags) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    return result != SQLITE_OK ? result : file->real->pMethods->xSync(file->real, flags);
}

static int buffered_file_size(sqlite3_file *handle, sqlite3_int64 *size) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    return result != SQLITE_OK ? result : file->real->pMethods->xFileSize(file->real, size);
}

static int buffered_lock(sqlite3_file *handle, int level) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xLock(file->real, level);
}

static int buffered_unlock(sqlite3_file *handle, int level) {
    buffered_file *file = (buffered_file *)handle;
    flush_log_of(file);
    return file->real->pMethods->xUnlock(file->real, level);
}

static int buffered_check_reserved_lock(sqlite3_file *handle, int *reserved) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xCheckReservedLock(file->real, reserved);
}

static int buffered_file_control(sqlite3_file *handle, int operation, void *argument) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    return result != SQLITE_OK ? result : file->real->pMethods->xFileControl(file->real, operation, argument);
}

static int buffered_sector_size(sqlite3_file *handle) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xSectorSize(file->real);
}

static int buffered_device_characteristics(sqlite3_file *handle) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xDeviceCharacteristics(file->real);
}

static int buffered_shm_map(sqlite3_file *handle, int region, int size, int extend, void volatile **memory) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xShmMap(file->real, region, size, extend, memory);
}

static int buffered_shm_lock(sqlite3_file *handle, int offset, int count, int flags) {
    buffered_file *file = (buffered_file *)handle;
    flush_log_of(file);
    return file->real->pMethods->xShmLock(file->real, offset, count, flags);
}

static void buffered_shm_barrier(sqlite3_file *handle) {
    buffered_file *file = (buffered_file *)handle;
    flush_log_of(file);
    file->real->pMethods->xShmBarrier(file->real);
}

static int buffered_shm_unmap(sqlite3_file *handle, int delete_flag) {
    buffered_file *file = (buffered_file *)handle;
    flush_log_of(file);
    return file->real->pMethods->xShmUnmap(file->real, delete_flag);
}

static int buffered_fetch(sqlite3_file *handle, sqlite3_int64 offset, int amount, void **pointer) {
    buffered_file *file = (buffered_file *)handle;
    int result = settle(file);
    return result != SQLITE_OK ? result : file->real->pMethods->xFetch(file->real, offset, amount, pointer);
}

static int buffered_unfetch(sqlite3_file *handle, sqlite3_int64 offset, void *pointer) {
    buffered_file *file = (buffered_file *)handle;
    return file->real->pMethods->xUnfetch(file->real, offset, pointer);
}

/* MARK: VFS methods */

static int buffered_open(sqlite3_vfs *self, const char *name, sqlite3_file *handle, int flags, int *out_flags) {
    (void)self;
    buffered_file *file = (buffered_file *)handle;
    memset(file, 0, sizeof(*file));
    file->real = (sqlite3_file *)(file + 1);
    int result = underlying->xOpen(underlying, name, file->real, flags, out_flags);
    if (result != SQLITE_OK || !file->real->pMethods) {
        file->base.pMethods = NULL;
        return result;
    }
    if ((flags & SQLITE_OPEN_WAL) && name) {
        sqlite3_file *database = sqlite3_database_file_object(name);
        if (database && is_ours(database)) {
            file->database = (buffered_file *)database;
            file->database->log = file;
        }
    }
    /* SQLite uses a file's shared memory (and so the log) only where its methods have it: a file
     * without gets the methods without. */
    const sqlite3_io_methods *real = file->real->pMethods;
    file->base.pMethods = real->iVersion >= 3 && real->xShmMap && real->xFetch ? &methods : &methods_without_shared_memory;
    return SQLITE_OK;
}

static int buffered_delete(sqlite3_vfs *self, const char *name, int sync_directory) {
    (void)self;
    return underlying->xDelete(underlying, name, sync_directory);
}

static int buffered_access(sqlite3_vfs *self, const char *name, int flags, int *result) {
    (void)self;
    return underlying->xAccess(underlying, name, flags, result);
}

static int buffered_full_pathname(sqlite3_vfs *self, const char *name, int size, char *output) {
    (void)self;
    return underlying->xFullPathname(underlying, name, size, output);
}

static void *buffered_dl_open(sqlite3_vfs *self, const char *name) {
    (void)self;
    return underlying->xDlOpen(underlying, name);
}

static void buffered_dl_error(sqlite3_vfs *self, int size, char *message) {
    (void)self;
    underlying->xDlError(underlying, size, message);
}

static void (*buffered_dl_sym(sqlite3_vfs *self, void *library, const char *symbol))(void) {
    (void)self;
    return underlying->xDlSym(underlying, library, symbol);
}

static void buffered_dl_close(sqlite3_vfs *self, void *library) {
    (void)self;
    underlying->xDlClose(underlying, library);
}

static int buffered_randomness(sqlite3_vfs *self, int size, char *output) {
    (void)self;
    return underlying->xRandomness(underlying, size, output);
}

static int buffered_sleep(sqlite3_vfs *self, int microseconds) {
    (void)self;
    return underlying->xSleep(underlying, microseconds);
}

static int buffered_current_time(sqlite3_vfs *self, double *now) {
    (void)self;
    return underlying->xCurrentTime(underlying, now);
}

static int buffered_get_last_error(sqlite3_vfs *self, int size, char *message) {
    (void)self;
    return underlying->xGetLastError ? underlying->xGetLastError(underlying, size, message) : 0;
}

static int buffered_current_time_int64(sqlite3_vfs *self, sqlite3_int64 *now) {
    (void)self;
    return underlying->xCurrentTimeInt64(underlying, now);
}

static int buffered_set_system_call(sqlite3_vfs *self, const char *name, sqlite3_syscall_ptr call) {
    (void)self;
    return underlying->xSetSystemCall(underlying, name, call);
}

static sqlite3_syscall_ptr buffered_get_system_call(sqlite3_vfs *self, const char *name) {
    (void)self;
    return underlying->xGetSystemCall(underlying, name);
}

static const char *buffered_next_system_call(sqlite3_vfs *self, const char *name) {
    (void)self;
    return underlying->xNextSystemCall(underlying, name);
}

/* MARK: Installing and enabling */

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_result = SQLITE_ERROR;

static void install(void) {
    underlying = sqlite3_vfs_find(NULL);
    /* Version 3 VFS and version 3 files (shared memory, memory mapping) are what SQLite's unix
     * VFS has had since 3.7.17; anything older is left alone. */
    if (!underlying || underlying->iVersion < 3) {
        install_result = SQLITE_ERROR;
        return;
    }
    methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = buffered_close,
        .xRead = buffered_read,
        .xWrite = buffered_write,
        .xTruncate = buffered_truncate,
        .xSync = buffered_sync,
        .xFileSize = buffered_file_size,
        .xLock = buffered_lock,
        .xUnlock = buffered_unlock,
        .xCheckReservedLock = buffered_check_reserved_lock,
        .xFileControl = buffered_file_control,
        .xSectorSize = buffered_sector_size,
        .xDeviceCharacteristics = buffered_device_characteristics,
        .xShmMap = buffered_shm_map,
        .xShmLock = buffered_shm_lock,
        .xShmBarrier = buffered_shm_barrier,
        .xShmUnmap = buffered_shm_unmap,
        .xFetch = buffered_fetch,
        .xUnfetch = buffered_unfetch,
    };
    methods_without_shared_memory = methods;
    methods_without_shared_memory.iVersion = 1;
    methods_without_shared_memory.xShmMap = NULL;
    methods_without_shared_memory.xShmLock = NULL;
    methods_without_shared_memory.xShmBarrier = NULL;
    methods_without_shared_memory.xShmUnmap = NULL;
    methods_without_shared_memory.xFetch = NULL;
    methods_without_shared_memory.xUnfetch = NULL;
    vfs = (sqlite3_vfs){
        .iVersion = 3,
        .szOsFile = (int)sizeof(buffered_file) + underlying->szOsFile,
        .mxPathname = underlying->mxPathname,
        .zName = "varsel-wal-buffer",
        .xOpen = buffered_open,
        .xDelete = buffered_delete,
        .xAccess = buffered_access,
        .xFullPathname = buffered_full_pathname,
        .xDlOpen = buffered_dl_open,
        .xDlError = buffered_dl_error,
        .xDlSym = buffered_dl_sym,
        .xDlClose = buffered_dl_close,
        .xRandomness = buffered_randomness,
        .xSleep = buffered_sleep,
        .xCurrentTime = buffered_current_time,
        .xGetLastError = buffered_get_last_error,
        .xCurrentTimeInt64 = buffered_current_time_int64,
        .xSetSystemCall = buffered_set_system_call,
        .xGetSystemCall = buffered_get_system_call,
        .xNextSystemCall = buffered_next_system_call,
    };
    install_result = sqlite3_vfs_register(&vfs, 1);
}

int varsel_wal_buffer_install(void) {
    pthread_once(&install_once, install);
    return install_result;
}

static buffered_file *database_file(sqlite3 *db) {
    sqlite3_file *file = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file) return NULL;
    return is_ours(file) ? (buffered_file *)file : NULL;
}

int varsel_wal_buffer_enable(sqlite3 *db) {
    buffered_file *file = database_file(db);
    if (!file) return SQLITE_MISUSE;
    /* Without powersafe overwrite SQLite pads a commit to a sector boundary with frames written after
     * its sync and before its publication: those would wait in the buffer until the barrier, where
     * a failed write could no longer fail the commit. */
    if (!(file->real->pMethods->xDeviceCharacteristics(file->real) & SQLITE_IOCAP_POWERSAFE_OVERWRITE)) return SQLITE_NOTFOUND;
    file->buffer_log = 1;
    return SQLITE_OK;
}

int varsel_wal_buffer_enabled(sqlite3 *db) {
    buffered_file *file = database_file(db);
    return file && file->buffer_log;
}

long long varsel_wal_buffer_log_writes(sqlite3 *db) {
    buffered_file *file = database_file(db);
    return file ? file->log_writes : -1;
}
