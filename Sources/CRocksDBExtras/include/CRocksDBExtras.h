// CRocksDBExtras: the calls RocksDB's C API lacks (7.8), each behind one C function: stopping
// a backup in progress from another thread, so a long backup can be interrupted (killOp,
// shutdown); and verifying the block checksums of one SST file (validate's `full: true`).
#ifndef TESSERA_CROCKSDB_EXTRAS_H
#define TESSERA_CROCKSDB_EXTRAS_H

#ifdef __cplusplus
extern "C" {
#endif

struct rocksdb_backup_engine_t;

/// Asks the backup running on `engine` (if any) to stop: it fails with "Backup stopped" at
/// its next copy step, deleting the files it wrote. Every later backup on the same engine
/// fails the same way. Safe to call from any thread while the backup runs.
void tessera_backup_engine_stop(struct rocksdb_backup_engine_t *engine);

/// Opens the SST file at `path` on its own (not through any open database's caches) and
/// reads every block of it, checking each block's checksum (RocksDB's
/// SstFileReader::VerifyChecksum). Returns NULL when the file opened and every checksum
/// matched, else a message the caller frees with free(). `*missing` is set to 1 when the
/// file does not exist (compacted away since it was listed), else 0.
char *tessera_sst_file_verify_checksum(const char *path, int *missing);

#ifdef __cplusplus
}
#endif

#endif
