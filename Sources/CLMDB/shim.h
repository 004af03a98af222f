// The C API of LMDB, from Debian's liblmdb-dev.
#include <lmdb.h>
