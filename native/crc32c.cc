// Runtime choice of the CRC-32C implementation (see crc32c.h).
#include "crc32c.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace skein {
namespace {

using UpdateFn = uint32_t (*)(uint32_t, const uint8_t*, size_t) noexcept;

struct Implementation {
  UpdateFn update;
  const char* name;
};

Implementation select_implementation() noexcept {
#if defined(__x86_64__)
  // __builtin_cpu_init must run before __builtin_cpu_supports when called from a static
  // initialiser, which this is.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return {crc32c_detail::update_sse42, "sse42"};
#elif defined(__aarch64__) && defined(__linux__)
  if (getauxval(AT_HWCAP) & HWCAP_CRC32) return {crc32c_detail::update_armv8, "armv8"};
#endif
  return {crc32c_detail::update_table, "table"};
}

// Initialised once while the shared object is loaded (dlopen is serialised), before any
// JavaScript environment can call in; const afterwards, so every thread may read it.
const Implementation kImplementation = select_implementation();

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t size, uint32_t initial) noexcept {
  return ~kImplementation.update(~initial, data, size);
}

uint32_t crc32c_table(const uint8_t* data, size_t size, uint32_t initial) noexcept {
  return ~crc32c_detail::update_table(~initial, data, size);
}

const char* crc32c_implementation() noexcept { return kImplementation.name; }

}  // namespace skein
