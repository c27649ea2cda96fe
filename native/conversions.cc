#include "conversions.h"

#include <cmath>
#include <string>

#include "errors.h"

namespace skein {
namespace {

constexpr double kMaxSafe = 9007199254740992.0;  // 2^53

double integer_number(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsNumber()) throw_invalid_argument(info.Env(), std::string(name) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number) {
    throw_invalid_argument(info.Env(), std::string(name) + " must be an integer, got " + std::to_string(number));
  }
  return number;
}

}  // namespace

ByteRange bytes_argument(const Napi::CallbackInfo& info, size_t index, const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  const napi_status status =
      napi_get_typedarray_info(info.Env(), info[index], &type, &length, &data, nullptr, nullptr);
  if (status != napi_ok || (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    throw_invalid_argument(info.Env(), std::string(name) + " must be a Buffer or Uint8Array");
  }
  // napi_get_typedarray_info's data already points at the first element (byteOffset applied).
  return {static_cast<const uint8_t*>(data), length};
}

uint64_t position_argument(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const double number = integer_number(info, index, name);
  if (number < 0 || number >= kMaxSafe) {
    throw_invalid_argument(info.Env(), std::string(name) + " must be in [0, 2^53), got " + std::to_string(number));
  }
  return static_cast<uint64_t>(number);
}

uint64_t optional_count_argument(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t fallback) {
  if (info[index].IsUndefined()) return fallback;
  return position_argument(info, index, name);
}

uint32_t crc_argument(const Napi::CallbackInfo& info, size_t index, const char* name) {
  // Length() first: info[index] past the end costs a napi_get_undefined and a napi_typeof,
  // a fifth of a 100-byte crc32c call.
  if (info.Length() <= index || info[index].IsUndefined()) return 0;
  const double number = integer_number(info, index, name);
  if (number < -2147483648.0 || number >= 4294967296.0) {
    throw_invalid_argument(info.Env(), std::string(name) + " must be a 32-bit CRC, got " + std::to_string(number));
  }
  return static_cast<uint32_t>(static_cast<int64_t>(number));
}

int64_t int64_argument(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (value.IsBigInt()) {
    bool lossless = false;
    const int64_t result = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw_invalid_argument(info.Env(), std::string(name) + " does not fit in int64");
    return result;
  }
  const double number = integer_number(info, index, name);
  if (number <= -kMaxSafe || number >= kMaxSafe) {
    throw_invalid_argument(info.Env(), std::string(name) + " must be a safe integer, got " + std::to_string(number));
  }
  return static_cast<int64_t>(number);
}

Napi::Object scan_result_to_js(Napi::Env env, const ScanResult& result, uint64_t base) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("validEnd", Napi::Number::New(env, static_cast<double>(base + result.valid_end)));
  object.Set("batches", Napi::Number::New(env, static_cast<double>(result.batches)));
  object.Set("stop", Napi::Number::New(env, static_cast<int>(result.stop)));
  return object;
}

}  // namespace skein
