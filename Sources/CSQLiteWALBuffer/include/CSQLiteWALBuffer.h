#ifndef VARSEL_CSQLITEWALBUFFER_H
#define VARSEL_CSQLITEWALBUFFER_H

#include <sqlite3.h>

/*
 * A VFS over SQLite's default one that gathers a connection's writes to its write-ahead log.
 *
 * SQLite writes each frame of the log in two calls, its 24-byte header and then its page, so a
 * commit of 2,000 pages is 4,000 writes, each but the first straddling the file's pages. Here the
 * writes of a connection it was enabled for (varsel_wal_buffer_enable) are kept in a buffer while
 * each follows the one before, and written in one call (of at most 120 KiB) when the buffer is full, when a write does
 * not follow, and before anything that could see the file: a read of the buffered range, a sync,
 * the file's size, a truncation, a file control, closing it, and, on the database file, a memory
 * barrier, a lock change of the shared index or of the file (the steps by which a commit is published to other
 * connections, and the write lock released). Every other file, and every connection not enabled,
 * passes straight through.
 *
 * Enable it only on a connection whose commits sync the log (synchronous FULL or EXTRA): each
 * commit then syncs (and so writes out) its frames before the shared index shows them, and a write
 * that fails fails the commit, as without the buffer; the connection must keep that setting. A
 * buffered write that fails where its error cannot be returned (at a barrier or a lock change: only
 * frames of a transaction rolled back) is reported by the file's next call, a read included.
 */

/* Registers the VFS as the default (over the one that was the default), once; later calls return
 * the first one's SQLite result code. */
int varsel_wal_buffer_install(void);

/* Buffers the log writes of connection `db` from now on. Returns SQLITE_OK; SQLITE_MISUSE when its
 * database file was not opened through this VFS (opened before the install); SQLITE_NOTFOUND when
 * the file does not promise powersafe overwrite (SQLite then pads each commit with frames written
 * after its sync, which must not wait in a buffer). */
int varsel_wal_buffer_enable(sqlite3 *db);

/* Whether `db`'s log writes are buffered. */
int varsel_wal_buffer_enabled(sqlite3 *db);

/* Calls made to the underlying VFS's write on `db`'s log since `db` was opened (-1 when its database
 * file was not opened through this VFS): for tests that the buffer gathers writes. */
long long varsel_wal_buffer_log_writes(sqlite3 *db);

#endif
