// Entry point of skein_native.node. Init only: creates this environment's AddonState, and
// registers the functions, the MappedFile class and the constants shared with
// src/native/binding.ts. Runs once per environment (main thread and each worker thread).
#include <napi.h>
#include <unistd.h>

#include "addon_state.h"
#include "batch_scan.h"
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

}  // namespace
}  // namespace skein

static Napi::Object InitSkeinNative(Napi::Env env, Napi::Object exports) {
  using namespace skein;
  env.SetInstanceData(new AddonState());
  register_module_functions(env, exports);
  exports.Set("constants", constants(env));
  return exports;
}

NODE_API_MODULE(skein_native, InitSkeinNative)
