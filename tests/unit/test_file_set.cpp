// Files replaced as one set (nn/serialization/file_set.h): each crash point of
// a save leaves a directory whose reader sees the whole new set or the whole
// previous one, and a commit cleans up what earlier saves left.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "nn/serialization/file_set.h"

using namespace peso;
using namespace peso::nn;
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kOwned{"a.txt", "b.txt", "c.txt"};

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / "peso_test_file_set" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string get(const fs::path& p) {
    std::stringstream ss;
    ss << std::ifstream(p, std::ios::binary).rdbuf();
    return ss.str();
}

// What a reader of `dir` sees as member `name` ("-" when the set has none).
std::string seen(const fs::path& dir, const std::string& name) {
    const auto p = FileSetReader(dir, "set.json").find(name);
    return p ? get(*p) : "-";
}

// A save of {a, b} = {text + "a", text + "b"}, staged and committed.
void save(const fs::path& dir, const std::string& text, const std::string& info = "") {
    FileSetWriter w(dir, "set.json", kOwned);
    put(w.stage("a.txt"), text + "a");
    put(w.stage("b.txt"), text + "b");
    w.commit(info);
}

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("a committed set is read back; a staged but uncommitted one is not seen") {
    const fs::path dir = fresh_dir("commit");
    save(dir, "v1.", R"({"step": 1})");
    CHECK(seen(dir, "a.txt") == "v1.a");
    CHECK(seen(dir, "b.txt") == "v1.b");
    CHECK(seen(dir, "c.txt") == "-");
    CHECK(FileSetReader(dir, "set.json").info_json() == R"({"step":1})");
    CHECK(entries(dir) == 3);  // a.txt, b.txt, set.json: nothing staged is left

    // A failed save (no commit) removes what it staged.
    {
        FileSetWriter w(dir, "set.json", kOwned);
        put(w.stage("a.txt"), "v2.a");
    }
    CHECK(entries(dir) == 3);
    // A crash before the commit (no destructor runs): the staged files of save 2 are ignored...
    put(dir / ".a.txt.00000000000000aa", "v2.a");
    put(dir / "..b.txt.00000000000000aa.tmp.XYZ123", "v2");  // a temporary of AtomicFile's
    CHECK(seen(dir, "a.txt") == "v1.a");
    CHECK(seen(dir, "b.txt") == "v1.b");
    CHECK(entries(dir) == 5);
    // ... and the next commit removes them.
    save(dir, "v3.");
    CHECK(seen(dir, "a.txt") == "v3.a");
    CHECK(entries(dir) == 3);
}

TEST_CASE("a crash between the commit and the renames: the reader sees the new set, member by member") {
    const fs::path dir = fresh_dir("pending");
    save(dir, "v1.");
    // Simulated: save 2 committed (its manifest written), then a.txt renamed but not b.txt.
    FileSetWriter w(dir, "set.json", kOwned);
    put(w.stage("a.txt"), "v2.a");
    put(w.stage("b.txt"), "v2.b");
    const std::string id = w.save_id();
    put(dir / "set.json",
        "{\"save\": \"" + id + "\", \"files\": {\"a.txt\": {\"size\": 4}, \"b.txt\": {\"size\": 4}}}");
    fs::rename(dir / (".a.txt." + id), dir / "a.txt");
    CHECK(get(dir / "b.txt") == "v1.b");  // the plain name still holds the previous save's file
    CHECK(seen(dir, "a.txt") == "v2.a");
    CHECK(seen(dir, "b.txt") == "v2.b");  // from its staged name
}

TEST_CASE("members the new set lacks are removed; sizes are checked") {
    const fs::path dir = fresh_dir("owned");
    FileSetWriter w(dir, "set.json", kOwned);
    put(w.stage("a.txt"), "one");
    put(w.stage("c.txt"), "three");
    w.commit();
    put(dir / "b.txt", "stray");  // e.g. a train_state of an older layout
    FileSetWriter w2(dir, "set.json", kOwned);
    put(w2.stage("a.txt"), "uno");
    w2.commit();
    CHECK(seen(dir, "a.txt") == "uno");
    CHECK(seen(dir, "c.txt") == "-");
    CHECK_FALSE(fs::exists(dir / "b.txt"));
    CHECK_FALSE(fs::exists(dir / "c.txt"));
    put(dir / "a.txt", "changed");
    CHECK_THROWS_WITH_AS(FileSetReader(dir, "set.json").find("a.txt"),
                         doctest::Contains("7 bytes, but set.json says 3"), IOError);
    fs::remove(dir / "a.txt");
    CHECK_THROWS_WITH_AS(FileSetReader(dir, "set.json").find("a.txt"), doctest::Contains("a.txt is missing"), IOError);
}

TEST_CASE("without a manifest the plain files are the set; a corrupted manifest is an error naming it") {
    const fs::path dir = fresh_dir("plain");
    put(dir / "a.txt", "old");
    CHECK(seen(dir, "a.txt") == "old");
    CHECK(seen(dir, "b.txt") == "-");
    CHECK_FALSE(FileSetReader(dir, "set.json").has_manifest());
    CHECK_THROWS_WITH_AS(FileSetReader(dir, "set.json").require("b.txt", "thing"),
                         doctest::Contains("is not a thing: b.txt is missing"), IOError);
    put(dir / "set.json", "{\"save\": 3}");
    CHECK_THROWS_WITH_AS(FileSetReader(dir, "set.json"), doctest::Contains("set.json: corrupted manifest"), IOError);
    FileSetWriter w(dir, "set.json", kOwned);
    w.stage("a.txt");  // never written
    CHECK_THROWS_WITH_AS(w.commit(), doctest::Contains("was not written"), IOError);
}
