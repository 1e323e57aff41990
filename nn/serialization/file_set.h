#pragma once
// Files of one directory replaced together (a checkpoint: config, tokenizer,
// weights, training state): after a crash at any moment the directory holds
// the whole new set or the whole previous one, never a mix.
//
// How (a small journal; the manifest's atomic replacement is the commit):
//  1. FileSetWriter::stage(name) gives a staged path ".<name>.<save id>"; the
//     caller writes the member there with an atomic writer (fsync, rename,
//     directory fsync), so the staged file is complete and durable.
//  2. commit() writes the manifest (e.g. checkpoint.json: the save id, each
//     member's size, the caller's JSON) atomically: from here on the set is
//     the new one.
//  3. commit() then renames each staged file to its name and removes what the
//     set no longer holds (members of the previous set not written this time,
//     staged files of saves that never committed).
// FileSetReader::find(name) answers with the staged file when it still exists
// (a crash between 2 and 3; rename is atomic, so a member is at exactly one of
// its two names), else the plain name, checking the size the manifest gives.
// A directory without a manifest (older checkpoints, files copied by hand) is
// read as plain files.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace peso::nn {

class FileSetWriter {
public:
    // `dir` must exist. `owned`: the names a set in this directory may hold;
    // those not written by this set are removed once it is committed.
    FileSetWriter(std::filesystem::path dir, std::string manifest, std::set<std::string> owned);
    // Without a commit (a failed save), removes the files it staged.
    ~FileSetWriter();
    FileSetWriter(const FileSetWriter&) = delete;
    FileSetWriter& operator=(const FileSetWriter&) = delete;
    // Where to write member `name` (a plain file name in the directory).
    std::filesystem::path stage(const std::string& name);
    // Makes the staged members the directory's set (see above). Every staged
    // member must have been written. `extra_json`: a JSON object stored in
    // the manifest under "info" ("" for none). Throws IOError naming the file.
    void commit(const std::string& extra_json = "");
    const std::string& save_id() const { return id_; }

private:
    std::filesystem::path dir_;
    std::string manifest_, id_;
    std::set<std::string> owned_;
    std::vector<std::string> staged_;
};

class FileSetReader {
public:
    // Reads `dir`/`manifest` when present (IOError naming it when unreadable).
    FileSetReader(std::filesystem::path dir, std::string manifest);
    bool has_manifest() const { return has_manifest_; }
    // The path holding member `name`, or nullopt when the set has none (with a
    // manifest: not listed; without: no such file). IOError when the manifest
    // lists it but it is missing or has another size.
    std::optional<std::filesystem::path> find(const std::string& name) const;
    // find(), or IOError "<dir> is not a <what>: <name> is missing".
    std::filesystem::path require(const std::string& name, const std::string& what) const;
    // The manifest's "info" object as JSON ("" when none).
    const std::string& info_json() const { return info_; }

private:
    std::filesystem::path dir_;
    std::string manifest_, id_, info_;
    bool has_manifest_ = false;
    std::map<std::string, std::uint64_t> sizes_;
};

}  // namespace peso::nn
