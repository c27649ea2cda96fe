#include "errors.h"

#include <cerrno>
#include <cstring>

#include "addon_state.h"

namespace skein {
namespace {

// strerror_r is the GNU flavour (returns char*) on glibc with _GNU_SOURCE, the XSI flavour
// (returns int, fills buf) elsewhere; overloads pick the right reading.
[[maybe_unused]] const char* strerror_result(int rc, const char* buf) { return rc == 0 ? buf : "unknown error"; }
[[maybe_unused]] const char* strerror_result(const char* message, const char*) { return message; }

Napi::Value optional_string(Napi::Env env, const char* value) {
  return value == nullptr ? env.Undefined() : Napi::String::New(env, value);
}

}  // namespace

const char* code_for_errno(int errnum) noexcept {
  switch (errnum) {
    case ENOSPC:
    case EDQUOT:
      return error_code::kDiskFull;
    case ENOENT:
    case EACCES:
    case EPERM:
    case ENOTDIR:
    case EROFS:
      return error_code::kLogDirUnavailable;
    default:
      return error_code::kIoError;
  }
}

std::string errno_name(int errnum) {
  switch (errnum) {
#define SKEIN_ERRNO(name) \
  case name:              \
    return #name;
    SKEIN_ERRNO(EPERM)
    SKEIN_ERRNO(ENOENT)
    SKEIN_ERRNO(EINTR)
    SKEIN_ERRNO(EIO)
    SKEIN_ERRNO(ENXIO)
    SKEIN_ERRNO(EBADF)
    SKEIN_ERRNO(EAGAIN)
    SKEIN_ERRNO(ENOMEM)
    SKEIN_ERRNO(EACCES)
    SKEIN_ERRNO(EFAULT)
    SKEIN_ERRNO(EBUSY)
    SKEIN_ERRNO(EEXIST)
    SKEIN_ERRNO(ENODEV)
    SKEIN_ERRNO(ENOTDIR)
    SKEIN_ERRNO(EISDIR)
    SKEIN_ERRNO(EINVAL)
    SKEIN_ERRNO(ENFILE)
    SKEIN_ERRNO(EMFILE)
    SKEIN_ERRNO(ETXTBSY)
    SKEIN_ERRNO(EFBIG)
    SKEIN_ERRNO(ENOSPC)
    SKEIN_ERRNO(ESPIPE)
    SKEIN_ERRNO(EROFS)
    SKEIN_ERRNO(ENAMETOOLONG)
    SKEIN_ERRNO(ENOSYS)
    SKEIN_ERRNO(ELOOP)
    SKEIN_ERRNO(EOVERFLOW)
    SKEIN_ERRNO(EOPNOTSUPP)
    SKEIN_ERRNO(EDQUOT)
    SKEIN_ERRNO(ESTALE)
#undef SKEIN_ERRNO
    default:
      return "E" + std::to_string(errnum);
  }
}

ErrorInfo system_error(int errnum, const char* syscall, const std::string& path) {
  char buf[128];
  const char* text = strerror_result(strerror_r(errnum, buf, sizeof buf), buf);
  ErrorInfo info;
  info.code = code_for_errno(errnum);
  info.errnum = errnum;
  info.syscall = syscall;
  info.path = path;
  info.message = errno_name(errnum) + ": " + text + ", " + syscall;
  if (!path.empty()) info.message += " '" + path + "'";
  return info;
}

Napi::Value make_error(Napi::Env env, const ErrorInfo& info) {
  const std::string errno_text = info.errnum != 0 ? errno_name(info.errnum) : std::string();
  AddonState* state = AddonState::of(env);
  if (state != nullptr && !state->error_factory.IsEmpty()) {
    return state->error_factory.Call({
        Napi::String::New(env, info.code),
        Napi::String::New(env, info.message),
        info.errnum != 0 ? Napi::String::New(env, errno_text) : env.Undefined(),
        optional_string(env, info.syscall),
        info.path.empty() ? env.Undefined() : Napi::String::New(env, info.path),
    });
  }
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("code", info.code);
  if (info.errnum != 0) error.Set("errno", errno_text);
  if (info.syscall != nullptr) error.Set("syscall", info.syscall);
  if (!info.path.empty()) error.Set("path", info.path);
  return error.Value();
}

void throw_error(Napi::Env env, const ErrorInfo& info) { throw Napi::Error(env, make_error(env, info)); }

void throw_invalid_argument(Napi::Env env, const std::string& message) {
  ErrorInfo info;
  info.code = error_code::kInvalidArgument;
  info.message = message;
  throw_error(env, info);
}

void throw_closed(Napi::Env env, const std::string& what, const std::string& path) {
  ErrorInfo info;
  info.code = error_code::kClosed;
  info.message = what + " after close: '" + path + "'";
  info.path = path;
  throw_error(env, info);
}

}  // namespace skein
