#include "cli/out_dir_guard.h"

#include "core/error.h"

namespace peso::cli {

namespace {
// The files that make a directory a checkpoint someone may want to keep.
constexpr const char* kCheckpointFiles[] = {"train_state.safetensors", "model.safetensors", "config.json",
                                             "checkpoint.json"};
}  // namespace

std::string checkpoint_file_in(const fs::path& dir) {
    std::error_code ec;
    for (const char* f : kCheckpointFiles)
        if (fs::exists(dir / f, ec)) return f;
    return "";
}

void check_train_out_dir(const fs::path& dir, const OutDirIntent& intent) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return;
    PESO_CHECK(fs::is_directory(dir, ec), IOError, "--out {} exists and is not a directory", dir.string());
    const std::string found = checkpoint_file_in(dir);
    if (found.empty() || intent.resume || intent.init_from || intent.force) return;
    throw IOError(fmt::format("--out {} holds a checkpoint ({}): continue it with --resume, or replace it with --force",
                              dir.string(), found));
}

OutDirGuard::OutDirGuard(fs::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    existed_ = fs::is_directory(dir_, ec);
    if (existed_)
        for (const auto& e : fs::directory_iterator(dir_, ec)) before_.insert(e.path().filename().string());
}

void OutDirGuard::create() { fs::create_directories(dir_); }

OutDirGuard::~OutDirGuard() {
    if (keep_) return;
    std::error_code ec;
    if (!existed_) {
        fs::remove_all(dir_, ec);
        return;
    }
    std::set<fs::path> added;
    for (const auto& e : fs::directory_iterator(dir_, ec))
        if (!before_.count(e.path().filename().string())) added.insert(e.path());
    for (const fs::path& p : added) fs::remove_all(p, ec);
}

}  // namespace peso::cli
