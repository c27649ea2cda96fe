// Per-environment state of the addon (the main thread and each worker thread that loads it
// get their own), stored with Napi::Env::SetInstanceData and deleted with the environment.
//
// The counters and the set of open handles live in an EnvRegistry shared (shared_ptr) by
// the state, every MappedFile and every Mapping, because Node does not promise the order in
// which external-buffer finalizers, wrapped-object destructors and the instance-data
// finalizer run when an environment is torn down: whichever goes last frees it.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace skein {

class MappedFile;
class Mapping;

struct EnvRegistry {
  // Mappings alive (held by a handle, an external buffer or async work) and their sizes.
  // Atomic because the last reference may be dropped by async work on another thread.
  std::atomic<int64_t> live_mappings{0};
  std::atomic<int64_t> mapped_bytes{0};
  // External buffers created over mappings since load.
  std::atomic<int64_t> external_buffers{0};

  // JS thread only.
  bool force_copy = false;
  // Handles not yet closed, closed by the env cleanup hook when the environment exits.
  std::unordered_set<MappedFile*> open_files;
  // Mappings whose external buffer is alive (not yet finalized, not released), by address:
  // how releaseBuffer finds the mapping under a Buffer it is handed.
  std::unordered_map<const void*, Mapping*> buffered_mappings;
};

struct AddonState {
  std::shared_ptr<EnvRegistry> registry = std::make_shared<EnvRegistry>();
  Napi::FunctionReference error_factory;

  static AddonState* of(Napi::Env env) { return env.GetInstanceData<AddonState>(); }
};

}  // namespace skein
