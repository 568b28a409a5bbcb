// BackupStop: RocksDB's BackupEngine::StopBackup behind a C function (see
// include/CRocksDBExtras.h). The C API's handle wraps the C++ engine as its only member.

#include "CRocksDBExtras.h"

#include <rocksdb/utilities/backup_engine.h>

// The layout db/c.cc gives the C handle (a single pointer to the C++ engine).
struct rocksdb_backup_engine_t {
    rocksdb::BackupEngine *rep;
};

extern "C" void tessera_backup_engine_stop(struct rocksdb_backup_engine_t *engine) {
    engine->rep->StopBackup();
}
