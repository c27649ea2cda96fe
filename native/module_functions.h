// The addon's free functions (everything but the MappedFile class): CRC-32C, buffer scans,
// the N-API crossing baseline, error-factory registration, copy mode, statistics and the folder lock (flock).
// JS thread only; each reads per-environment state from AddonState.
#pragma once

#include <napi.h>

namespace skein {

// Adds crc32c, crc32cTable, crc32cImplementation, scanBuffer, noop, setErrorFactory,
// setForceCopy, stats and tryLockFile to `exports`.
void register_module_functions(Napi::Env env, Napi::Object exports);

}  // namespace skein
