// Async work over a mapping, returning Promises: flushAsync (msync), populateAsync (fault in
// pages ahead of the writer) and scanAsync (batch scan with CRC checks), for the work that would block or cost per byte on the event loop.
//
// Each worker holds a MappingRef for its whole life, so unmap() or close() while the work
// runs cannot unmap the memory under it (the last reference is dropped when the worker is
// destroyed, on the JS thread). Execute runs on a libuv pool thread and never touches JS:
// it reads only the raw pointer range and fills plain fields. The JS Error for a failure
// is made on the JS thread, but its stack is the one captured when the call was made, so it
// points at the caller rather than at the event loop.
#pragma once

#include <napi.h>

#include <cstdint>

#include "mapping.h"

namespace skein {

// Queues msync(MS_SYNC) of the pages covering [start, end) of `mapping`.
Napi::Promise queue_flush(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end);

// Queues MADV_POPULATE_WRITE of the pages covering [start, end) of `mapping` (see Mapping::populate).
Napi::Promise queue_populate(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end);

// Queues a RecordBatch v2 scan of [start, end) of `mapping`; validEnd is a file position.
Napi::Promise queue_scan(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end, uint64_t max_batches);

}  // namespace skein
