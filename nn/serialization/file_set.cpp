#include "nn/serialization/file_set.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

#include "core/error.h"
#include "nn/serialization/file_io.h"

namespace peso::nn {

namespace fs = std::filesystem;

namespace {

// A save's id: random, so that the staged files of two saves never share a name (the
// default generator is not used: saving must not move the training's random stream).
std::string new_save_id() {
    std::random_device rd;
    const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    return fmt::format("{:016x}", v);
}

std::string staged_name(const std::string& name, const std::string& id) { return "." + name + "." + id; }

// Names left by writers of `name` that never finished: staged files of other saves
// (".<name>.<id>") and AtomicFile's temporaries (".<name>.tmp.*", "..<name>.<id>.tmp.*").
bool is_leftover_of(const std::string& entry, const std::string& name) {
    return entry.starts_with("." + name + ".") || entry.starts_with(".." + name + ".");
}

}  // namespace

FileSetWriter::FileSetWriter(fs::path dir, std::string manifest, std::set<std::string> owned)
    : dir_(std::move(dir)), manifest_(std::move(manifest)), id_(new_save_id()), owned_(std::move(owned)) {}

FileSetWriter::~FileSetWriter() {
    std::error_code ec;
    for (const std::string& name : staged_) fs::remove(dir_ / staged_name(name, id_), ec);
}

fs::path FileSetWriter::stage(const std::string& name) {
    PESO_CHECK(name != manifest_ && !name.empty() && name.find('/') == std::string::npos, ValueError,
               "FileSetWriter: bad member name '{}'", name);
    staged_.push_back(name);
    owned_.insert(name);
    return dir_ / staged_name(name, id_);
}

void FileSetWriter::commit(const std::string& extra_json) {
    nlohmann::ordered_json j;
    j["save"] = id_;
    j["files"] = nlohmann::ordered_json::object();
    for (const std::string& name : staged_) {
        const fs::path p = dir_ / staged_name(name, id_);
        std::error_code ec;
        const auto size = fs::file_size(p, ec);
        PESO_CHECK(!ec, IOError, "{}: the staged file {} was not written ({})", (dir_ / name).string(), p.string(),
                   ec.message());
        j["files"][name] = {{"size", size}};
    }
    if (!extra_json.empty()) j["info"] = nlohmann::ordered_json::parse(extra_json);
    const std::string text = j.dump(2) + "\n";
    // The commit point: the staged files are durable (each written atomically), the manifest names them.
    write_file_atomically((dir_ / manifest_).string(), text.data(), text.size());
    // From here on the staged files are the checkpoint's: the destructor must not remove them, whatever fails.
    const std::vector<std::string> staged = std::exchange(staged_, {});
    for (const std::string& name : staged) {
        const fs::path from = dir_ / staged_name(name, id_), to = dir_ / name;
        PESO_CHECK(std::rename(from.c_str(), to.c_str()) == 0, IOError, "cannot rename {} to {}", from.string(),
                   to.string());
    }
    sync_directory(dir_.string());
    // What the committed set does not hold any more: members of an earlier set, unfinished writes.
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
        const std::string entry = e.path().filename().string();
        for (const std::string& name : owned_) {
            const bool written = std::find(staged.begin(), staged.end(), name) != staged.end();
            if (is_leftover_of(entry, name) || (!written && entry == name)) stale.push_back(e.path());
        }
    }
    for (const fs::path& p : stale) fs::remove(p, ec);
}

FileSetReader::FileSetReader(fs::path dir, std::string manifest)
    : dir_(std::move(dir)), manifest_(std::move(manifest)) {
    const fs::path path = dir_ / manifest_;
    std::error_code ec;
    if (!fs::exists(path, ec)) return;
    has_manifest_ = true;
    const std::vector<char> bytes = read_file(path.string());
    try {
        const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
        id_ = j.at("save").get<std::string>();
        PESO_CHECK(!id_.empty() && id_.find('/') == std::string::npos, IOError, "bad save id '{}'", id_);
        for (const auto& [name, f] : j.at("files").items()) {
            PESO_CHECK(!name.empty() && name.find('/') == std::string::npos, IOError, "bad file name '{}'", name);
            // A number beyond 64 bits parses as a double: its conversion would be undefined.
            PESO_CHECK(f.at("size").is_number_unsigned(), IOError, "file '{}': size {} is not a byte count", name,
                       f.at("size").dump());
            sizes_[name] = f.at("size").get<std::uint64_t>();
        }
        if (j.contains("info")) info_ = j.at("info").dump();
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: corrupted manifest: {}", path.string(), e.what()));
    }
}

std::optional<fs::path> FileSetReader::find(const std::string& name) const {
    std::error_code ec;
    if (!has_manifest_) return fs::exists(dir_ / name, ec) ? std::optional(dir_ / name) : std::nullopt;
    const auto it = sizes_.find(name);
    if (it == sizes_.end()) return std::nullopt;
    // Committed but not yet renamed (a crash between the two): the staged file is the set's.
    const fs::path staged = dir_ / staged_name(name, id_);
    const fs::path p = fs::exists(staged, ec) ? staged : dir_ / name;
    PESO_CHECK(fs::exists(p, ec), IOError, "{} is missing ({} lists it)", (dir_ / name).string(), manifest_);
    const auto size = fs::file_size(p, ec);
    PESO_CHECK(!ec && size == it->second, IOError,
               "{}: {} bytes, but {} says {}: the file was changed after the checkpoint was saved", p.string(), size,
               manifest_, it->second);
    return p;
}

fs::path FileSetReader::require(const std::string& name, const std::string& what) const {
    const auto p = find(name);
    PESO_CHECK(p.has_value(), IOError, "{} is not a {}: {} is missing", dir_.string(), what, name);
    return *p;
}

}  // namespace peso::nn
