// Conversions between JS values and native values at the boundary. Callers of
// src/native/binding.ts validate first; these checks are the assertion that keeps a bad
// argument a coded error (SKEIN_INVALID_ARGUMENT) instead of a crash. JS thread only.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

#include "batch_scan.h"

namespace skein {

struct ByteRange {
  const uint8_t* data;
  size_t size;
};

// The bytes a Uint8Array (Buffer included) views: its own byteOffset and length, so
// subarrays are read correctly.
ByteRange bytes_argument(const Napi::CallbackInfo& info, size_t index, const char* name);

// A byte position or length: an integer Number in [0, 2^53).
uint64_t position_argument(const Napi::CallbackInfo& info, size_t index, const char* name);

// An optional count (undefined → fallback): an integer Number in [0, 2^53).
uint64_t optional_count_argument(const Napi::CallbackInfo& info, size_t index, const char* name, uint64_t fallback);

// A running CRC (undefined → 0): an integer Number in [-2^31, 2^32), taken modulo 2^32 so
// values read with readInt32 work as well as readUInt32.
uint32_t crc_argument(const Napi::CallbackInfo& info, size_t index, const char* name);

// A safe integer Number in (-2^53, 2^53), or a BigInt that fits int64.
int64_t int64_argument(const Napi::CallbackInfo& info, size_t index, const char* name);

// { validEnd, batches, stop } with validEnd = base + result.valid_end.
Napi::Object scan_result_to_js(Napi::Env env, const ScanResult& result, uint64_t base);

}  // namespace skein
