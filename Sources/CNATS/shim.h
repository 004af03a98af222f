// The C API of nats.c, from Debian's libnats-dev, for its types and constants only: this module
// map has no `link` line, and NATSClient resolves every function with dlopen("libnats.so.3.4")
// and dlsym when a client is created, so the self-contained release binary (liblmdb and the
// Swift runtime linked statically) does not depend on libnats, which Debian ships only shared.
#include <nats/nats.h>
