// CRC-32C with slicing-by-8 tables: the portable fallback, and the reference the hardware
// paths are tested against. Eight bytes per step, each looked up in the table for its
// distance from the end of the step; about 1-2 GB/s, an order of magnitude below the
// crc32 instruction.
#include <array>

#include "crc32c.h"
#include "crc32c_shift.h"

namespace skein::crc32c_detail {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0][v]: the register after feeding byte v into a zero register (8 zero bits
// shifted through P). tables[k][v]: the same byte followed by k zero bytes.
constexpr Tables make_tables() {
  Tables tables{};
  for (uint32_t v = 0; v < 256; ++v) {
    uint32_t crc = v;
    for (int bit = 0; bit < 8; ++bit) crc = times_x(crc);
    tables[0][v] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t v = 0; v < 256; ++v) {
      const uint32_t prev = tables[k - 1][v];
      tables[k][v] = (prev >> 8) ^ tables[0][prev & 0xffu];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();

inline uint32_t load32le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace

uint32_t update_table(uint32_t crc, const uint8_t* data, size_t size) noexcept {
  const auto& t = kTables;
  while (size >= 8) {
    const uint32_t lo = crc ^ load32le(data);
    const uint32_t hi = load32le(data + 4);
    crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^
          t[3][hi & 0xffu] ^ t[2][(hi >> 8) & 0xffu] ^ t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *data++) & 0xffu];
  return crc;
}

}  // namespace skein::crc32c_detail
