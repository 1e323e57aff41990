#pragma once
// The two ways peso touches files it must not damage or trust:
//  - AtomicFile: written piece by piece to a uniquely named temporary file in
//    the destination's directory, then fsync'ed, renamed over the target and
//    the directory fsync'ed: a crash at any moment leaves the previous file or
//    the new one, never a part; a failure (or a destructor without commit)
//    removes the temporary. A commit also removes the temporaries of the same
//    target that a killed writer left behind.
//  - MappedFile: a file mapped read-only (no copy in a buffer); release()
//    drops pages already used from this process's memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace peso::nn {

class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(const void* data, std::size_t size);
    // Makes the new file durable under its name. Throws IOError naming it.
    void commit();

private:
    std::string path_, tmp_;
    int fd_ = -1;
};

class MappedFile {
public:
    explicit MappedFile(const std::string& path);  // IOError when missing or unreadable
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const char* data() const { return data_; }
    std::size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    // Copies [offset, offset + size) to dst in chunks, releasing each chunk's
    // pages once copied: reading a file costs no more than a chunk of memory
    // beyond the destination.
    void copy_out(std::uint64_t offset, std::uint64_t size, void* dst) const;

private:
    std::string path_;
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

// Writes bytes to `path` atomically (AtomicFile).
void write_file_atomically(const std::string& path, const char* data, std::size_t size);
// fsync of a directory: makes the renames and creations in it durable.
void sync_directory(const std::string& dir);
// The whole file (for small files: configs, caches).
std::vector<char> read_file(const std::string& path);

}  // namespace peso::nn
