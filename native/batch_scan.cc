#include "batch_scan.h"

#include "crc32c.h"

namespace skein {
namespace {

inline uint32_t load32be(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

}  // namespace

ScanResult scan_batches(const uint8_t* data, size_t size, uint64_t max_batches) noexcept {
  ScanResult result;
  size_t position = 0;
  for (;;) {
    result.valid_end = position;
    const size_t remaining = size - position;
    if (remaining == 0) {
      result.stop = ScanStop::kEnd;
      return result;
    }
    if (result.batches >= max_batches) {
      result.stop = ScanStop::kLimit;
      return result;
    }
    if (remaining < kLogOverhead) {
      result.stop = ScanStop::kTruncated;
      return result;
    }
    const uint8_t* batch = data + position;
    const int32_t batch_length = static_cast<int32_t>(load32be(batch + kBatchLengthOffset));
    if (batch_length < kMinBatchLength) {
      result.stop = ScanStop::kBadLength;
      return result;
    }
    const size_t total = kLogOverhead + static_cast<size_t>(batch_length);
    if (remaining < total) {
      result.stop = ScanStop::kTruncated;
      return result;
    }
    if (batch[kMagicOffset] != kMagicV2) {
      result.stop = ScanStop::kBadMagic;
      return result;
    }
    const uint32_t stored = load32be(batch + kCrcOffset);
    if (crc32c(batch + kCrcCoverageStart, total - kCrcCoverageStart) != stored) {
      result.stop = ScanStop::kBadCrc;
      return result;
    }
    position += total;
    result.batches += 1;
  }
}

}  // namespace skein
