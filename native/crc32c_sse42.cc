// CRC-32C with the SSE4.2 crc32 instruction (x86-64).
//
// One crc32 on 8 bytes has a latency of 3 cycles but the CPU can start one every cycle, so a
// single dependent chain runs at a third of the possible speed. Long inputs are therefore cut
// into blocks of three equal streams, each with its own register, advanced in the same loop
// (three independent chains keep the unit busy), and the three CRCs are joined with the
// GF(2) shift operator from crc32c_shift.h. Joining costs eight table lookups, so the
// streams are long (8 KiB each) for bulk data; shorter strides mop up the remainder, and
// the last few hundred bytes use one chain. Compiled for every x86-64 target; only the
// functions below carry target("sse4.2"), and crc32c.cc calls them only when the CPU has it.
#if defined(__x86_64__)

#include <nmmintrin.h>

#include <cstring>

#include "crc32c.h"
#include "crc32c_shift.h"

namespace skein::crc32c_detail {
namespace {

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Consumes as many blocks of 3 × kStream bytes as fit.
template <size_t kStream>
__attribute__((target("sse4.2"))) inline uint32_t three_streams(uint32_t crc, const uint8_t*& data, size_t& size) {
  static_assert(kStream % 8 == 0, "streams advance 8 bytes per step");
  const ShiftTable& table = kShift<kStream>;
  while (size >= 3 * kStream) {
    uint64_t a = crc;
    uint64_t b = 0;
    uint64_t c = 0;
    const uint8_t* pa = data;
    const uint8_t* pb = data + kStream;
    const uint8_t* pc = data + 2 * kStream;
    for (size_t i = 0; i < kStream; i += 8) {
      a = _mm_crc32_u64(a, load64(pa + i));
      b = _mm_crc32_u64(b, load64(pb + i));
      c = _mm_crc32_u64(c, load64(pc + i));
    }
    crc = shift(table, shift(table, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^ static_cast<uint32_t>(c);
    data += 3 * kStream;
    size -= 3 * kStream;
  }
  return crc;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t update_sse42(uint32_t crc, const uint8_t* data, size_t size) noexcept {
  crc = three_streams<8192>(crc, data, size);  // 24 KiB blocks: bulk data
  crc = three_streams<1024>(crc, data, size);  // 3 KiB blocks
  crc = three_streams<128>(crc, data, size);   // 384-byte blocks
  uint64_t crc64 = crc;
  while (size >= 8) {
    crc64 = _mm_crc32_u64(crc64, load64(data));
    data += 8;
    size -= 8;
  }
  crc = static_cast<uint32_t>(crc64);
  while (size-- > 0) crc = _mm_crc32_u8(crc, *data++);
  return crc;
}

}  // namespace skein::crc32c_detail

#endif  // __x86_64__
