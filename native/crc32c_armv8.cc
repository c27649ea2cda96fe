// CRC-32C with the ARMv8 CRC32 extension (aarch64): the same three-stream layout as
// crc32c_sse42.cc, with __crc32cd (8 bytes) and __crc32cb (1 byte) from ACLE. Only the
// functions below are compiled with the extension enabled; crc32c.cc calls them only when
// getauxval(AT_HWCAP) reports HWCAP_CRC32. Not compiled on other architectures.
#if defined(__aarch64__)

#include <arm_acle.h>

#include <cstring>

#include "crc32c.h"
#include "crc32c_shift.h"

#if defined(__clang__)
#define SKEIN_TARGET_CRC __attribute__((target("crc")))
#else
#define SKEIN_TARGET_CRC __attribute__((target("+crc")))
#endif

namespace skein::crc32c_detail {
namespace {

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;  // aarch64 Linux is little-endian, as the reflected CRC expects
}

template <size_t kStream>
SKEIN_TARGET_CRC inline uint32_t three_streams(uint32_t crc, const uint8_t*& data, size_t& size) {
  static_assert(kStream % 8 == 0, "streams advance 8 bytes per step");
  const ShiftTable& table = kShift<kStream>;
  while (size >= 3 * kStream) {
    uint32_t a = crc;
    uint32_t b = 0;
    uint32_t c = 0;
    const uint8_t* pa = data;
    const uint8_t* pb = data + kStream;
    const uint8_t* pc = data + 2 * kStream;
    for (size_t i = 0; i < kStream; i += 8) {
      a = __crc32cd(a, load64(pa + i));
      b = __crc32cd(b, load64(pb + i));
      c = __crc32cd(c, load64(pc + i));
    }
    crc = shift(table, shift(table, a) ^ b) ^ c;
    data += 3 * kStream;
    size -= 3 * kStream;
  }
  return crc;
}

}  // namespace

SKEIN_TARGET_CRC uint32_t update_armv8(uint32_t crc, const uint8_t* data, size_t size) noexcept {
  crc = three_streams<8192>(crc, data, size);
  crc = three_streams<1024>(crc, data, size);
  crc = three_streams<128>(crc, data, size);
  while (size >= 8) {
    crc = __crc32cd(crc, load64(data));
    data += 8;
    size -= 8;
  }
  while (size-- > 0) crc = __crc32cb(crc, *data++);
  return crc;
}

}  // namespace skein::crc32c_detail

#undef SKEIN_TARGET_CRC
#endif  // __aarch64__
