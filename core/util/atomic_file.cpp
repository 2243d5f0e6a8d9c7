#include "core/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/util/error.hpp"

namespace dbsplit {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw RuntimeError("cannot write " + path + ": " + what + ": " + std::strerror(error) +
                     "; check that the directory exists and is writable");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  std::filesystem::path target(path);
  // Character devices (e.g. -o /dev/null, -o /dev/stdout) cannot be replaced by rename.
  std::error_code ec;
  if (std::filesystem::is_character_file(target, ec)) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) fail(path, "open", errno);
    bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    int error = errno;
    if (std::fclose(f) != 0 || !ok) fail(path, "write", error);
    return;
  }
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string temp = dir + "/." + target.filename().string() + ".XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "create a temporary file in " + dir, errno);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail(path, "write", error);
    }
    written += static_cast<size_t>(n);
  }
  // mkstemp creates 0600; an output file should get the usual permissions.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  int synced = ::fsync(fd);
  int error = errno;
  if (::close(fd) != 0 && synced == 0) {
    synced = -1;
    error = errno;
  }
  if (synced != 0) {
    ::unlink(temp.c_str());
    fail(path, "flush", error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    ::unlink(temp.c_str());
    fail(path, "rename into place", error);
  }
}

}  // namespace dbsplit
