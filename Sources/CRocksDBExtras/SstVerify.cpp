// SstVerify: one SST file's block checksums verified through RocksDB's SstFileReader (see
// include/CRocksDBExtras.h). The file is opened on its own, so blocks an open database holds
// in its cache are read from disk again.

#include "CRocksDBExtras.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

extern "C" char *tessera_sst_file_verify_checksum(const char *path, int *missing) {
    *missing = 0;
    rocksdb::Options options;
    rocksdb::SstFileReader reader(options);
    rocksdb::Status status = reader.Open(path);
    if (status.ok()) {
        rocksdb::ReadOptions read;
        read.fill_cache = false;
        read.verify_checksums = true;
        status = reader.VerifyChecksum(read);
    } else if (status.IsPathNotFound() || (status.IsIOError() && std::strstr(status.ToString().c_str(), "No such file") != nullptr)) {
        *missing = 1;
    }
    if (status.ok()) return nullptr;
    return strdup(status.ToString().c_str());
}
