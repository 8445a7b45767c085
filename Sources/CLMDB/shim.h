#ifndef KEEL_CLMDB_SHIM_H
#define KEEL_CLMDB_SHIM_H
#include <lmdb.h>
#endif
