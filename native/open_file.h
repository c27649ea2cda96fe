// One open file descriptor of a segment file, shared by the MappedFile handle that opened
// it and by every Mapping made from it.
//
// Owns: open/create, the file's sizes, posix_fallocate, ftruncate (applied at once or
// deferred), pread/pwrite for unmapped access, and close(fd). No N-API: plain POSIX, so the last Mapping reference may be
// dropped on any thread. A mutex guards the sizes and flags.
//
// Sizes. `size` is the logical size: what the file is, or what it will be cut to once no
// mapping is alive. `disk_size` is what ftruncate/fallocate last made it. They differ only
// while a truncate below disk_size waits for the file's live mappings to go, because
// shrinking a file under a live MAP_SHARED mapping makes every access past the new end a
// SIGBUS. Callers bounds-check against `size`; disk_size >= size always, so that is safe.
//
// Lifetime. A mapping does not need the fd, so the fd closes when the handle closes, unless
// a truncate is pending: then it stays until the last mapping goes, which applies the cut
// and closes it. (Keeping every fd until the last view was collected, as before, put fds
// outside any budget: only a GC released them, even after close.)
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "errors.h"

namespace skein {

class OpenFile {
 public:
  // Opens `path` (create: O_CREAT | O_EXCL, mode 0644 before umask). On failure returns null
  // and fills *error.
  static std::shared_ptr<OpenFile> open(const std::string& path, bool create, bool writable, ErrorInfo* error);

  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile();

  const std::string& path() const { return path_; }
  bool writable() const { return writable_; }
  int fd() const { return fd_; }
  uint64_t size() const;
  uint64_t disk_size() const;

  // Grows the file to at least `size` and makes sure [0, size) is backed by blocks, so
  // writes below `size` through a mapping cannot SIGBUS for lack of space. On failure
  // (ENOSPC, EDQUOT, ...) the file keeps its previous size: a partial extension is cut back.
  ErrorInfo allocate(uint64_t size);

  // Sets the logical size. Applied at once when no mapping of the file is alive, when it
  // grows the file, or with `under_live_mappings` (the caller promises that no page past
  // `size` of any live mapping will be touched again: a sealed segment, whose views all lie
  // below its size); otherwise recorded and applied when the last mapping is released.
  ErrorInfo truncate(uint64_t size, bool under_live_mappings = false);

  // pread/pwrite of exactly `size` bytes at `position` (copy-mode access without a
  // mapping). Callers bounds-check against size().
  ErrorInfo read_at(uint64_t position, uint8_t* out, size_t size) const;
  ErrorInfo write_at(uint64_t position, const uint8_t* data, size_t size) const;

  // Bookkeeping called by Mapping.
  void mapping_created();
  void mapping_released();

  // The handle closed: the fd closes now, or when the last mapping is released.
  void close_handle();

 private:
  OpenFile(std::string path, int fd, bool writable, uint64_t size);
  // mutex_ held.
  void apply_pending_truncate_locked();
  void close_fd_locked();

  const std::string path_;
  int fd_;
  const bool writable_;

  mutable std::mutex mutex_;
  uint64_t size_;
  uint64_t disk_size_;
  // [0, allocated_) is known to be backed by disk blocks (posix_fallocate succeeded).
  uint64_t allocated_ = 0;
  int live_mappings_ = 0;
  bool handle_open_ = true;
};

}  // namespace skein
