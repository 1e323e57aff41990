#pragma once
// What `peso gpt train` may do to its --out directory, in one place:
//  - check_train_out_dir: refuses a directory that holds a checkpoint unless
//    the command says what to do with it (--resume continues it, --force
//    replaces it, --init-from starts a new run in it); the one place such a rule lives.
//  - OutDirGuard: a command that fails before it has saved anything leaves no
//    new files behind: on destruction without keep(), it removes the entries
//    of the directory that it did not find there (and the directory itself if
//    it created it).
#include <filesystem>
#include <set>
#include <string>

namespace peso::cli {

namespace fs = std::filesystem;

// How the command treats an existing checkpoint in --out.
struct OutDirIntent {
    bool resume = false;     // --resume: continue it
    bool init_from = false;  // --init-from: a new run from another checkpoint's weights replaces it
    bool force = false;      // --force: replace it
};

// The checkpoint file found in `dir` ("" when none).
std::string checkpoint_file_in(const fs::path& dir);

// Throws IOError when `dir` is not a directory, or holds a checkpoint and
// `intent` does not say what to do with it.
void check_train_out_dir(const fs::path& dir, const OutDirIntent& intent);

class OutDirGuard {
public:
    explicit OutDirGuard(fs::path dir);
    ~OutDirGuard();
    OutDirGuard(const OutDirGuard&) = delete;
    OutDirGuard& operator=(const OutDirGuard&) = delete;

    // Creates the directory (when missing); what it creates is removed on failure.
    void create();
    // From here on the command's files are its results: nothing is removed.
    void keep() { keep_ = true; }

private:
    fs::path dir_;
    bool existed_;
    std::set<std::string> before_;  // the entries found in dir_
    bool keep_ = false;
};

}  // namespace peso::cli
