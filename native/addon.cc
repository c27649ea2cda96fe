// Entry point of skein_native.node. Init only: creates this environment's AddonState, and
// registers the functions, the MappedFile class and the constants shared with
// src/native/binding.ts. Runs once per environment (main thread and each worker thread).
#include <napi.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "addon_state.h"
#include "batch_scan.h"
#include "mapped_file.h"
#include "module_functions.h"

namespace skein {
namespace {

Napi::Object constants(Napi::Env env) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("SCAN_END", static_cast<int>(ScanStop::kEnd));
  object.Set("SCAN_TRUNCATED", static_cast<int>(ScanStop::kTruncated));
  object.Set("SCAN_BAD_LENGTH", static_cast<int>(ScanStop::kBadLength));
  object.Set("SCAN_BAD_MAGIC", static_cast<int>(ScanStop::kBadMagic));
  object.Set("SCAN_BAD_CRC", static_cast<int>(ScanStop::kBadCrc));
  object.Set("SCAN_LIMIT", static_cast<int>(ScanStop::kLimit));
  object.Set("BATCH_LOG_OVERHEAD", static_cast<double>(kLogOverhead));
  object.Set("BATCH_MIN_LENGTH", static_cast<double>(kMinBatchLength));
  object.Set("BATCH_HEADER_SIZE", static_cast<double>(kBatchHeaderSize));
  object.Set("PAGE_SIZE", static_cast<double>(sysconf(_SC_PAGESIZE)));
  object.Freeze();
  return object;
}

// Worker exit (or main-thread teardown): close every handle this environment still has
// open, which drops the handles' mapping references and closes fds no mapping needs.
// Mappings still held by external buffers go when Node runs those buffers' finalizers,
// which it does for every remaining external buffer while tearing the environment down.
void cleanup_environment(void* arg) {
  auto* registry = static_cast<std::shared_ptr<EnvRegistry>*>(arg);
  // close_native() erases from the set: iterate over a copy.
  const std::vector<MappedFile*> open_files((*registry)->open_files.begin(), (*registry)->open_files.end());
  for (MappedFile* file : open_files) file->close_native();
  delete registry;
}

}  // namespace
}  // namespace skein

static Napi::Object InitSkeinNative(Napi::Env env, Napi::Object exports) {
  using namespace skein;
  auto* state = new AddonState();
  env.SetInstanceData(state);
  // The hook owns its own reference to the registry: it must not depend on the order in
  // which Node runs cleanup hooks and the instance-data finalizer.
  NAPI_THROW_IF_FAILED(env, napi_add_env_cleanup_hook(env, cleanup_environment,
                                                      new std::shared_ptr<EnvRegistry>(state->registry)),
                       exports);
  register_module_functions(env, exports);
  exports.Set("MappedFile", MappedFile::define_class(env));
  exports.Set("constants", constants(env));
  return exports;
}

NODE_API_MODULE(skein_native, InitSkeinNative)
