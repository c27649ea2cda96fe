#include "module_functions.h"

#include "addon_state.h"
#include "batch_scan.h"
#include "conversions.h"
#include "crc32c.h"
#include "errors.h"

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
}

}  // namespace skein
