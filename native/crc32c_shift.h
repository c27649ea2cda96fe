// GF(2) arithmetic for CRC-32C: the "append N zero bytes" operator that joins CRCs computed
// over adjacent pieces of a buffer in parallel.
//
// Owns: polynomial multiplication modulo P, x^(8n) mod P, and per-stride lookup tables for
// the shift operator. Everything is constexpr: the compiler derives the tables from the
// polynomial, so they are read-only data with no initialisation order or thread question.
//
// The math. In the reflected ("LSB first") representation used by the crc32 instructions,
// bit 31 of a 32-bit word is the coefficient of x^0 and bit 0 the coefficient of x^31.
// Feeding one zero bit into the CRC register r computes r·x mod P, which in this
// representation is a right shift, plus P's low 32 bits (0x82F63B78 reflected) when the
// x^31 coefficient (bit 0) overflows into x^32. The register update is linear over GF(2):
//
//   crc(r, A ++ B) = crc(r, A)·x^(8|B|) mod P  XOR  crc(0, B)
//
// so three streams A, B, C of L bytes each can run independently (A from r, B and C from 0)
// and be joined as  shift_L(shift_L(a) ^ b) ^ c,  with shift_L(v) = v·x^(8L) mod P.
// shift_L is linear in v, so it is the XOR of its values on v's four bytes: four 256-entry
// tables per L, each entry (byte << 8i)·x^(8L) mod P.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skein::crc32c_detail {

// P(x) = x^32 + 0x1EDC6F41 (Castagnoli), low 32 bits bit-reversed.
inline constexpr uint32_t kReflectedPoly = 0x82F63B78u;
// The polynomial 1 (x^0) in the reflected representation.
inline constexpr uint32_t kOne = 0x80000000u;

// v·x mod P.
constexpr uint32_t times_x(uint32_t v) { return (v >> 1) ^ ((v & 1u) ? kReflectedPoly : 0u); }

// a·b mod P: add b·x^k for every term x^k present in a.
constexpr uint32_t multiply(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int k = 0; k < 32; ++k) {
    if (a & (kOne >> k)) product ^= b;
    b = times_x(b);  // b·x^(k+1)
  }
  return product;
}

// x^(8·bytes) mod P, by square-and-multiply on the exponent.
constexpr uint32_t x_pow_8n(uint64_t bytes) {
  uint32_t result = kOne;
  uint32_t power = kOne >> 8;  // x^8: one zero byte
  for (; bytes != 0; bytes >>= 1) {
    if (bytes & 1u) result = multiply(result, power);
    power = multiply(power, power);
  }
  return result;
}

struct ShiftTable {
  uint32_t byte[4][256];
};

constexpr ShiftTable make_shift_table(uint64_t bytes) {
  ShiftTable table{};
  const uint32_t factor = x_pow_8n(bytes);
  for (int i = 0; i < 4; ++i) {
    for (uint32_t v = 0; v < 256; ++v) table.byte[i][v] = multiply(v << (8 * i), factor);
  }
  return table;
}

// The shift operator for a stride of kBytes bytes.
template <uint64_t kBytes>
inline constexpr ShiftTable kShift = make_shift_table(kBytes);

// v·x^(8L) mod P for the L the table was made for.
inline uint32_t shift(const ShiftTable& table, uint32_t v) {
  return table.byte[0][v & 0xffu] ^ table.byte[1][(v >> 8) & 0xffu] ^ table.byte[2][(v >> 16) & 0xffu] ^
         table.byte[3][v >> 24];
}

}  // namespace skein::crc32c_detail
