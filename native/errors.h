// Errors that cross the native boundary, with the stable codes of src/errors.ts.
//
// Owns: the errno → code mapping, Node-style messages ("ENOSPC: no space left on device,
// fallocate '/path'"), and turning an ErrorInfo into a JS error through the factory that
// src/native/binding.ts hands over with setErrorFactory, so native failures are SkeinErrors.
// ErrorInfo is plain data: worker threads (AsyncWorker::Execute) fill one in and the JS
// thread turns it into an Error later. Everything taking a Napi::Env runs on the JS thread.
#pragma once

#include <napi.h>

#include <string>

namespace skein {

namespace error_code {
inline constexpr char kInvalidArgument[] = "SKEIN_INVALID_ARGUMENT";
inline constexpr char kClosed[] = "SKEIN_CLOSED";
inline constexpr char kLogDirUnavailable[] = "SKEIN_LOG_DIR_UNAVAILABLE";
inline constexpr char kDiskFull[] = "SKEIN_DISK_FULL";
inline constexpr char kIoError[] = "SKEIN_IO_ERROR";
}  // namespace error_code

struct ErrorInfo {
  const char* code = nullptr;  // nullptr: no error
  std::string message;
  int errnum = 0;               // 0: not a failed system call
  const char* syscall = nullptr;
  std::string path;

  explicit operator bool() const { return code != nullptr; }
};

// SKEIN_DISK_FULL for ENOSPC/EDQUOT; SKEIN_LOG_DIR_UNAVAILABLE for ENOENT, EACCES, EPERM,
// ENOTDIR, EROFS; SKEIN_IO_ERROR for the rest (as fromSystemError in src/errors.ts).
const char* code_for_errno(int errnum) noexcept;
// "ENOSPC", or "E<number>" for an errno this file does not name.
std::string errno_name(int errnum);
// A failed system call; thread-safe (strerror_r).
ErrorInfo system_error(int errnum, const char* syscall, const std::string& path);

// The JS error for `info`, made by the registered factory (a plain Error with a `code`
// property if none was registered yet).
Napi::Value make_error(Napi::Env env, const ErrorInfo& info);

// Throw a JS error as a C++ Napi::Error; node-addon-api rethrows it into JS at the boundary.
[[noreturn]] void throw_error(Napi::Env env, const ErrorInfo& info);
[[noreturn]] void throw_invalid_argument(Napi::Env env, const std::string& message);
[[noreturn]] void throw_closed(Napi::Env env, const std::string& what, const std::string& path);

}  // namespace skein
