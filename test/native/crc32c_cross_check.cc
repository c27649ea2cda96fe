// Cross-check of native/crc32c*.cc on aarch64, built with aarch64-linux-gnu-g++ and run under
// qemu-aarch64 by test/native/crc32c-aarch64.sh: the dispatched path (armv8 where the CPU has
// the CRC32 extension) against the table path, at many lengths, offsets and initial values.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "crc32c.h"
int main() {
  using namespace skein;
  std::printf("implementation %s\n", crc32c_implementation());
  const char* check = "123456789";
  std::printf("check %08x %08x\n", crc32c(reinterpret_cast<const uint8_t*>(check), 9), crc32c_table(reinterpret_cast<const uint8_t*>(check), 9));
  std::vector<uint8_t> buf(200000 + 64);
  unsigned seed = 1;
  for (auto& b : buf) { seed = seed * 1103515245u + 12345u; b = static_cast<uint8_t>(seed >> 16); }
  int bad = 0;
  for (size_t len = 0; len < 5000; ++len) {
    size_t off = len % 13;
    uint32_t init = static_cast<uint32_t>(len * 2654435761u);
    if (crc32c(buf.data() + off, len, init) != crc32c_table(buf.data() + off, len, init)) ++bad;
  }
  if (crc32c(buf.data(), 200000) != crc32c_table(buf.data(), 200000)) ++bad;
  if (crc32c(buf.data() + 7, 100000, crc32c(buf.data(), 7)) != crc32c_table(buf.data(), 100007)) ++bad;
  std::printf("mismatches %d\n", bad);
  return bad != 0;
}
