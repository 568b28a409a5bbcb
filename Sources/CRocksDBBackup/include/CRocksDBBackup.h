// CRocksDBBackup: the one backup-engine call RocksDB's C API lacks (7.8): stopping a backup
// in progress from another thread, so a long backup can be interrupted (killOp, shutdown).
#ifndef TESSERA_CROCKSDB_BACKUP_H
#define TESSERA_CROCKSDB_BACKUP_H

#ifdef __cplusplus
extern "C" {
#endif

struct rocksdb_backup_engine_t;

/// Asks the backup running on `engine` (if any) to stop: it fails with "Backup stopped" at
/// its next copy step, deleting the files it wrote. Every later backup on the same engine
/// fails the same way. Safe to call from any thread while the backup runs.
void tessera_backup_engine_stop(struct rocksdb_backup_engine_t *engine);

#ifdef __cplusplus
}
#endif

#endif
