#include "module_functions.h"

#include <sys/file.h>

#include <cerrno>
#include <string>
#include <unordered_set>
#include <vector>

#include "addon_state.h"
#include "batch_scan.h"
#include "conversions.h"
#include "crc32c.h"
#include "errors.h"
#include "mapped_file.h"
#include "mapping.h"

namespace skein {
namespace {

Napi::Value Crc32c(const Napi::CallbackInfo& info) {
  const ByteRange bytes = bytes_argument(info, 0, "buf");
  const uint32_t initial = crc_argument(info, 1, "initial");
  return Napi::Number::New(info.Env(), crc32c(bytes.data, bytes.size, initial));
}

Napi::Value Crc32cTable(const Napi::CallbackInfo& info) {
  const ByteRange bytes = bytes_argument(info, 0, "buf");
  const uint32_t initial = crc_argument(info, 1, "initial");
  return Napi::Number::New(info.Env(), crc32c_table(bytes.data, bytes.size, initial));
}

Napi::Value ScanBuffer(const Napi::CallbackInfo& info) {
  const ByteRange bytes = bytes_argument(info, 0, "buf");
  const uint64_t max_batches = optional_count_argument(info, 1, "maxBatches", kUnlimitedBatches);
  return scan_result_to_js(info.Env(), scan_batches(bytes.data, bytes.size, max_batches), 0);
}

// summarizeBuffer(buf, out: Float64Array): scans like scanBuffer and fills `out` with
// kSummaryFields doubles per valid batch, as many batches as it holds (stop kLimit after).
Napi::Value SummarizeBuffer(const Napi::CallbackInfo& info) {
  const ByteRange bytes = bytes_argument(info, 0, "buf");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw_invalid_argument(info.Env(), "out must be a Float64Array");
  }
  Napi::Float64Array out = info[1].As<Napi::Float64Array>();
  const uint64_t capacity = out.ElementLength() / kSummaryFields;
  return scan_result_to_js(info.Env(), summarize_batches(bytes.data, bytes.size, out.Data(), capacity), 0);
}

void Noop(const Napi::CallbackInfo&) {}

// releaseMappings(prefix): releases now, not when V8 collects their buffers, the mappings of
// this environment that have an external buffer and belong to files whose path starts with
// `prefix` (a log folder and a slash), except those an open MappedFile still holds (it may
// write through them). See Mapping::release_buffer: views of them become empty. Returns how
// many were released. For a log's close(): deterministic release of every fd and mapping.
Napi::Value ReleaseMappings(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_invalid_argument(env, "releaseMappings takes a path prefix");
  const std::string prefix = info[0].As<Napi::String>().Utf8Value();
  if (prefix.empty()) throw_invalid_argument(env, "releaseMappings: the path prefix must not be empty");
  EnvRegistry& registry = *AddonState::of(env)->registry;
  std::unordered_set<const Mapping*> held;
  for (const MappedFile* file : registry.open_files) {
    if (file->current_mapping() != nullptr) held.insert(file->current_mapping());
  }
  std::vector<Mapping*> doomed;
  for (const auto& [address, mapping] : registry.buffered_mappings) {
    if (held.count(mapping) == 0 && mapping->file().path().compare(0, prefix.size(), prefix) == 0) doomed.push_back(mapping);
  }
  uint32_t released = 0;
  // release_buffer erases from buffered_mappings: iterate over the copy.
  for (Mapping* mapping : doomed) released += mapping->release_buffer(env) ? 1 : 0;
  return Napi::Number::New(env, released);
}

// tryLockFile(fd): flock(fd, LOCK_EX | LOCK_NB). true: this open file description now holds
// the lock; false: another one holds it (EWOULDBLOCK), in this process or another. The lock
// lives as long as the open file description: closing the fd releases it, and so does the
// kernel when the process dies, however it dies. flock (not fcntl F_SETLK) because fcntl locks
// belong to the process: a second open of the folder in the same process would take them
// again, and closing any fd of the file would drop them.
Napi::Value TryLockFile(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw_invalid_argument(env, "fd must be a number");
  const double value = info[0].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= 2147483647.0) || value != static_cast<double>(static_cast<int>(value))) {
    throw_invalid_argument(env, "fd must be a non-negative integer");
  }
  const int fd = static_cast<int>(value);
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw_error(env, system_error(errno, "flock", "fd " + std::to_string(fd)));
}

void SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw_invalid_argument(info.Env(), "the error factory must be a function");
  AddonState::of(info.Env())->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
}

void SetForceCopy(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) throw_invalid_argument(info.Env(), "force must be a boolean");
  AddonState::of(info.Env())->registry->force_copy = info[0].As<Napi::Boolean>().Value();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const EnvRegistry& registry = *AddonState::of(env)->registry;
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("liveMappings", Napi::Number::New(env, static_cast<double>(registry.live_mappings.load())));
  stats.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(registry.mapped_bytes.load())));
  stats.Set("externalBuffers", Napi::Number::New(env, static_cast<double>(registry.external_buffers.load())));
  return stats;
}

}  // namespace

void register_module_functions(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, Crc32c, "crc32c"));
  exports.Set("crc32cTable", Napi::Function::New(env, Crc32cTable, "crc32cTable"));
  exports.Set("crc32cImplementation", Napi::String::New(env, crc32c_implementation()));
  exports.Set("scanBuffer", Napi::Function::New(env, ScanBuffer, "scanBuffer"));
  exports.Set("summarizeBuffer", Napi::Function::New(env, SummarizeBuffer, "summarizeBuffer"));
  exports.Set("summaryFields", Napi::Number::New(env, kSummaryFields));
  exports.Set("noop", Napi::Function::New(env, Noop, "noop"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("setForceCopy", Napi::Function::New(env, SetForceCopy, "setForceCopy"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("releaseMappings", Napi::Function::New(env, ReleaseMappings, "releaseMappings"));
  exports.Set("tryLockFile", Napi::Function::New(env, TryLockFile, "tryLockFile"));
}

}  // namespace skein
