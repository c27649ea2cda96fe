#include "open_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace skein {

std::shared_ptr<OpenFile> OpenFile::open(const std::string& path, bool create, bool writable, ErrorInfo* error) {
  int flags = O_CLOEXEC | (writable ? O_RDWR : O_RDONLY);
  if (create) flags |= O_CREAT | O_EXCL;
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    *error = system_error(errno, "open", path);
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = system_error(errno, "fstat", path);
    ::close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = system_error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "open", path);
    ::close(fd);
    return nullptr;
  }
  return std::shared_ptr<OpenFile>(new OpenFile(path, fd, writable, static_cast<uint64_t>(st.st_size)));
}

OpenFile::OpenFile(std::string path, int fd, bool writable, uint64_t size)
    : path_(std::move(path)), fd_(fd), writable_(writable), size_(size), disk_size_(size) {}

OpenFile::~OpenFile() {
  // Normally closed already (close_handle + last mapping); this is the safety net.
  if (fd_ >= 0) ::close(fd_);
}

uint64_t OpenFile::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

uint64_t OpenFile::disk_size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return disk_size_;
}

ErrorInfo OpenFile::allocate(uint64_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (size > allocated_) {
    const uint64_t start = allocated_;
    int rc;
#if defined(__linux__) || defined(__FreeBSD__)
    do {
      rc = posix_fallocate(fd_, static_cast<off_t>(start), static_cast<off_t>(size - start));
    } while (rc == EINTR);
#else
    // No posix_fallocate (macOS): extend the file with ftruncate. The new range is sparse, so
    // a full disk shows up later, as SIGBUS on a write through the mapping, not as ENOSPC here.
    rc = 0;
    if (size > disk_size_) {
      while (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
        if (errno != EINTR) {
          rc = errno;
          break;
        }
      }
    }
#endif
    if (rc != 0) {
      // posix_fallocate may have extended the file part way (or glibc's emulation, on file
      // systems without fallocate, may have written some blocks past the end): put the size
      // back so the file is as it was. Blocks it allocated below the old end stay, harmlessly.
      struct stat st;
      if (fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) != disk_size_) {
        while (ftruncate(fd_, static_cast<off_t>(disk_size_)) != 0 && errno == EINTR) {
        }
      }
      return system_error(rc, "posix_fallocate", path_);
    }
    allocated_ = size;
    disk_size_ = std::max(disk_size_, size);
  }
  // A pending truncate is pulled up to `size`: the caller wants [0, size) to stay.
  size_ = std::max(size_, size);
  return {};
}

ErrorInfo OpenFile::truncate(uint64_t size, bool under_live_mappings) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_ = size;
  if (size >= disk_size_ || live_mappings_ == 0 || under_live_mappings) {
    if (size != disk_size_) {
      int rc;
      do {
        rc = ftruncate(fd_, static_cast<off_t>(size));
      } while (rc != 0 && errno == EINTR);
      if (rc != 0) {
        const int err = errno;
        size_ = disk_size_;
        return system_error(err, "ftruncate", path_);
      }
      disk_size_ = size;
      allocated_ = std::min(allocated_, size);
    }
  }
  return {};
}

ErrorInfo OpenFile::read_at(uint64_t position, uint8_t* out, size_t size) const {
  while (size > 0) {
    const ssize_t n = pread(fd_, out, size, static_cast<off_t>(position));
    if (n < 0) {
      if (errno == EINTR) continue;
      return system_error(errno, "pread", path_);
    }
    if (n == 0) {
      // The file is shorter than this handle believes: someone else cut it.
      ErrorInfo info = system_error(EIO, "pread", path_);
      info.message = "unexpected end of file at " + std::to_string(position) + ", pread '" + path_ + "'";
      return info;
    }
    out += n;
    position += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return {};
}

ErrorInfo OpenFile::write_at(uint64_t position, const uint8_t* data, size_t size) const {
  while (size > 0) {
    const ssize_t n = pwrite(fd_, data, size, static_cast<off_t>(position));
    if (n < 0) {
      if (errno == EINTR) continue;
      return system_error(errno, "pwrite", path_);
    }
    data += n;
    position += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
  return {};
}

void OpenFile::mapping_created() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++live_mappings_;
}

void OpenFile::mapping_released() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--live_mappings_ > 0) return;
  apply_pending_truncate_locked();
  if (!handle_open_) close_fd_locked();
}

void OpenFile::close_handle() {
  std::lock_guard<std::mutex> lock(mutex_);
  handle_open_ = false;
  // Mappings live on without the fd; only a pending truncate needs it.
  if (live_mappings_ == 0 || size_ >= disk_size_) close_fd_locked();
}

void OpenFile::apply_pending_truncate_locked() {
  if (fd_ < 0 || size_ >= disk_size_) return;
  // Nobody can report this failure (the last reference may be a garbage-collected view);
  // on failure the file keeps its larger size, which loses nothing, and disk_size_ stays
  // true so a later truncate retries.
  int rc;
  do {
    rc = ftruncate(fd_, static_cast<off_t>(size_));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    disk_size_ = size_;
    allocated_ = std::min(allocated_, size_);
  }
}

void OpenFile::close_fd_locked() {
  if (fd_ < 0) return;
  ::close(fd_);  // errors from close(2) on Linux leave the fd closed; nothing to retry
  fd_ = -1;
}

}  // namespace skein
