// CRC-32C (Castagnoli, polynomial 0x1EDC6F41), the checksum of Kafka RecordBatch v2.
//
// Owns: the public CRC entry points and the choice, made once when the addon is loaded, of
// the fastest implementation this CPU supports (SSE4.2 on x86-64, the ARMv8 CRC32 extension
// on aarch64, slicing-by-8 tables elsewhere). Pure computation: callable from any thread,
// no N-API, no allocation. The dispatch pointer is a const initialised during dlopen (before
// any environment can call in) and never written again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skein {

// CRC-32C of `size` bytes at `data`. `initial` is the finished CRC of the bytes that came
// before (0 to start), so crc32c(b, crc32c(a)) == crc32c(a ++ b).
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t initial = 0) noexcept;

// The same checksum computed with the table-driven fallback only (tests, benchmarks).
uint32_t crc32c_table(const uint8_t* data, size_t size, uint32_t initial = 0) noexcept;

// Which implementation crc32c() uses here: "sse42", "armv8" or "table".
const char* crc32c_implementation() noexcept;

namespace crc32c_detail {

// The implementations work on the raw CRC register: no inversion on entry or exit. The
// public functions above invert (CRC-32C starts from all ones and inverts the result).
uint32_t update_table(uint32_t crc, const uint8_t* data, size_t size) noexcept;
#if defined(__x86_64__)
uint32_t update_sse42(uint32_t crc, const uint8_t* data, size_t size) noexcept;
#endif
#if defined(__aarch64__)
uint32_t update_armv8(uint32_t crc, const uint8_t* data, size_t size) noexcept;
#endif

}  // namespace crc32c_detail
}  // namespace skein
