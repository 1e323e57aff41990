#include "nn/serialization/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace peso::nn {

namespace fs = std::filesystem;

namespace {

std::string sys_error(const std::string& what, const std::string& path) {
    return fmt::format("{} '{}': {}", what, path, std::strerror(errno));
}

fs::path parent_dir(const std::string& path) {
    const fs::path p(path);
    return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

// Pages copied out of a mapping are given back in chunks of this size.
constexpr std::size_t kChunk = std::size_t{8} << 20;

std::string temporary_prefix(const std::string& path) { return "." + fs::path(path).filename().string() + ".tmp."; }

// Temporary files of the same target that a killed writer left behind: once
// a newer version is in place they hold nothing anyone needs.
void remove_stale_temporaries(const std::string& path) {
    const std::string prefix = temporary_prefix(path);
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto& e : fs::directory_iterator(parent_dir(path), ec))
        if (e.path().filename().string().starts_with(prefix)) stale.push_back(e.path());
    for (const fs::path& p : stale) fs::remove(p, ec);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    std::string pattern = (parent_dir(path_) / (temporary_prefix(path_) + "XXXXXX")).string();
    fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ < 0) throw IOError(sys_error("cannot write", path_));
    tmp_ = pattern;
    ::fchmod(fd_, 0644);  // mkstemp's 0600 would hide the file from other users
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t w = ::write(fd_, p, size);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw IOError(sys_error("cannot write", path_));
        p += w;
        size -= static_cast<std::size_t>(w);
    }
}

void AtomicFile::commit() {
    const int fd = fd_;
    fd_ = -1;
    const bool synced = ::fsync(fd) == 0;
    if (::close(fd) != 0 || !synced) throw IOError(sys_error("cannot flush", path_));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw IOError(sys_error("cannot rename the temporary file to", path_));
    tmp_.clear();
    remove_stale_temporaries(path_);
    sync_directory(parent_dir(path_).string());  // make the rename itself durable
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IOError(sys_error("cannot open", path));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw IOError(fmt::format("cannot read '{}': not a regular file", path));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const std::string msg = sys_error("cannot map", path);
            ::close(fd);
            throw IOError(msg);
        }
        data_ = static_cast<const char*>(p);
    }
    ::close(fd);  // the mapping keeps the file
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

void MappedFile::copy_out(std::uint64_t offset, std::uint64_t size, void* dst) const {
    PESO_CHECK(offset <= size_ && size <= size_ - offset, IOError, "{}: bytes [{}, +{}) lie outside its {} bytes",
               path_, offset, size, size_);
    const long page = ::sysconf(_SC_PAGESIZE);
    char* out = static_cast<char*>(dst);
    for (std::uint64_t done = 0; done < size;) {
        const std::uint64_t n = std::min<std::uint64_t>(kChunk, size - done);
        std::memcpy(out + done, data_ + offset + done, n);
        // Give back the whole pages just read (a page shared with the next tensor is kept).
        const std::uint64_t first = (offset + done) / page * page, last = (offset + done + n) / page * page;
        if (last > first) ::madvise(const_cast<char*>(data_) + first, last - first, MADV_DONTNEED);
        done += n;
    }
}

void write_file_atomically(const std::string& path, const char* data, std::size_t size) {
    AtomicFile f(path);
    f.write(data, size);
    f.commit();
}

void sync_directory(const std::string& dir) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::vector<char> read_file(const std::string& path) {
    const MappedFile f(path);
    return std::vector<char>(f.data(), f.data() + f.size());
}

}  // namespace peso::nn
