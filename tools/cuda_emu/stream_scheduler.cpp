#include "tools/cuda_emu/stream_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <string_view>

#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/device_memory.h"
#include "tools/cuda_emu/kernel_error.h"
#include "tools/cuda_emu/runtime_state.h"
#include "tools/cuda_emu/thread_order.h"

namespace peso::cuda::emu {
namespace {

struct QueuedWork {
    std::uint64_t seq = 0;
    std::vector<StreamMark> waits;  // besides the item before it on its stream
    WorkItem item;
};

struct StreamQueue {
    StreamKey key;
    std::uint64_t submitted = 0;
    std::uint64_t completed = 0;
    std::deque<QueuedWork> pending;
    bool forget_when_done = false;
};

// After this many queries in a row find work unfinished, the host is polling.
constexpr int polling_queries = 64;

struct Scheduler {
    // Recursive: a work item that fails may be described while the lock is held.
    std::recursive_mutex mutex;
    std::map<std::uint64_t, StreamQueue> streams;
    std::map<std::uintptr_t, std::size_t> blocks;  // declared caching-allocator blocks
    std::mt19937_64 rng{0x5eed};
    std::exception_ptr error;  // the first a work item threw, not yet rethrown
    int unfinished_queries = 0;
};

Scheduler& scheduler() {
    static Scheduler instance;
    return instance;
}

bool async_from_environment() {
    const char* text = std::getenv("PESO_EMU_ASYNC");
    return text != nullptr && std::string_view(text) == "1";
}

std::atomic<bool>& async_setting() {
    static std::atomic<bool> on{[] {
        const bool on = async_from_environment();
        if (on) scheduler().rng.seed(random_order_seed() ^ 0xa5a5a5a5ull);
        return on;
    }()};
    return on;
}

bool done(const Scheduler& s, StreamMark mark) {
    if (mark.seq == 0) return true;
    const auto it = s.streams.find(mark.stream);
    return it == s.streams.end() || it->second.completed >= mark.seq;
}

// The marks new work on `key` waits for under the legacy default stream's
// rules: legacy work waits for every blocking stream's earlier work, a
// blocking stream's work for the legacy stream's; non-blocking streams neither.
void add_implicit_waits(const Scheduler& s, StreamKey key, std::vector<StreamMark>& waits) {
    for (const auto& [id, q] : s.streams) {
        if (q.submitted == q.completed || id == key.id) continue;
        const bool waits_for = key.id == legacy_stream.id ? q.key.blocking : (id == legacy_stream.id && key.blocking);
        if (waits_for) waits.push_back({id, q.submitted});
    }
}

// How far each stream must run for `targets` to be done: the targets and,
// transitively, what their items wait for.
std::map<std::uint64_t, std::uint64_t> required(const Scheduler& s, std::vector<StreamMark> targets) {
    std::map<std::uint64_t, std::uint64_t> need;
    while (!targets.empty()) {
        const StreamMark mark = targets.back();
        targets.pop_back();
        const auto it = s.streams.find(mark.stream);
        if (it == s.streams.end()) continue;
        const StreamQueue& q = it->second;
        std::uint64_t& upto = need[mark.stream];
        const std::uint64_t from = std::max(upto, q.completed);
        if (mark.seq <= from) continue;
        upto = mark.seq;
        for (const QueuedWork& w : q.pending) {
            if (w.seq > mark.seq) break;
            if (w.seq > from) targets.insert(targets.end(), w.waits.begin(), w.waits.end());
        }
    }
    return need;
}

void run_one(Scheduler& s, StreamQueue& q) {
    QueuedWork w = std::move(q.pending.front());
    q.pending.pop_front();
    try {
        w.item.run();
    } catch (...) {
        if (!s.error) s.error = std::current_exception();
    }
    q.completed = w.seq;
    s.unfinished_queries = 0;
}

void drop_forgotten_streams(Scheduler& s) {
    std::erase_if(s.streams, [](const auto& entry) {
        return entry.second.forget_when_done && entry.second.pending.empty();
    });
}

// Runs, in a random order that respects every wait, exactly what `targets` need.
void run_for(Scheduler& s, const std::vector<StreamMark>& targets) {
    const auto need = required(s, targets);
    std::vector<StreamQueue*> ready;
    for (;;) {
        ready.clear();
        bool finished = true;
        for (const auto& [id, upto] : need) {
            const auto it = s.streams.find(id);
            if (it == s.streams.end() || it->second.completed >= upto) continue;
            finished = false;
            const QueuedWork& head = it->second.pending.front();
            if (std::all_of(head.waits.begin(), head.waits.end(), [&](StreamMark m) { return done(s, m); }))
                ready.push_back(&it->second);
        }
        if (finished) break;
        if (ready.empty()) throw KernelError("CUDA emulator: the stream scheduler found no work it could run");
        run_one(s, *ready[s.rng() % ready.size()]);
    }
    drop_forgotten_streams(s);
}

std::vector<StreamMark> stream_ends(const Scheduler& s) {
    std::vector<StreamMark> ends;
    for (const auto& [id, q] : s.streams) ends.push_back({id, q.submitted});
    return ends;
}

std::string describe_stream(std::uint64_t id) {
    return id == legacy_stream.id ? std::string("the legacy default stream") : fmt::format("stream #{}", id);
}

bool overlaps(const MemoryRange& r, std::uintptr_t begin, std::size_t size) {
    return r.size > 0 && r.begin < begin + size && begin < r.begin + r.size;
}

}  // namespace

bool async_mode() { return async_setting().load(std::memory_order_relaxed); }

void set_async_mode(bool on) {
    if (!on && async_mode()) {
        run_all();
        async_setting().store(false);
        return;
    }
    async_setting().store(on);
}

AsyncModeGuard::AsyncModeGuard(bool on, std::uint64_t seed) : saved_(async_mode()) {
    if (on) {  // the scope's order replays from its seed, whatever ran before
        Scheduler& s = scheduler();
        const std::lock_guard lock(s.mutex);
        s.rng.seed(seed ^ 0xa5a5a5a5ull);
    }
    set_async_mode(on);
}

AsyncModeGuard::~AsyncModeGuard() { set_async_mode(saved_); }

std::size_t queued_work() {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    std::size_t n = 0;
    for (const auto& [id, q] : s.streams) n += q.pending.size();
    return n;
}

StreamMark submit(StreamKey stream, WorkItem work, const std::vector<StreamMark>& extra_waits) {
    if (!async_mode()) {
        work.run();
        return {};
    }
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    StreamQueue& q = s.streams[stream.id];
    q.key = stream;
    QueuedWork w;
    for (const StreamMark m : extra_waits)
        if (!done(s, m)) w.waits.push_back(m);
    add_implicit_waits(s, stream, w.waits);
    w.seq = ++q.submitted;
    w.item = std::move(work);
    q.pending.push_back(std::move(w));
    return {stream.id, q.submitted};
}

void run_until_stream_done(StreamKey stream) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    const auto it = s.streams.find(stream.id);
    if (it != s.streams.end()) run_for(s, {{stream.id, it->second.submitted}});
}

void run_until(StreamMark mark) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    run_for(s, {mark});
}

void run_all() {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    run_for(s, stream_ends(s));
}

void rethrow_work_error() {
    Scheduler& s = scheduler();
    std::exception_ptr error;
    {
        const std::lock_guard lock(s.mutex);
        error = std::exchange(s.error, nullptr);
    }
    if (error) std::rethrow_exception(error);
}

bool is_done(StreamMark mark) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    return done(s, mark);
}

StreamMark stream_end(StreamKey stream) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    const auto it = s.streams.find(stream.id);
    return it == s.streams.end() ? StreamMark{} : StreamMark{stream.id, it->second.submitted};
}

void note_unfinished_query(StreamMark mark) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    if (++s.unfinished_queries >= polling_queries) run_for(s, {mark});
}

void forget_stream_when_done(StreamKey stream) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    const auto it = s.streams.find(stream.id);
    if (it == s.streams.end()) return;
    it->second.forget_when_done = true;
    drop_forgotten_streams(s);
}

MemoryRange range_of(const void* p) {
    if (p == nullptr) return {};
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    {
        Scheduler& s = scheduler();
        const std::lock_guard lock(s.mutex);
        // The block holding p, or the one p is the end of.
        for (const std::uintptr_t a : {address, address - 1}) {
            auto it = s.blocks.upper_bound(a);
            if (it == s.blocks.begin()) continue;
            --it;
            if (a < it->first + it->second) return {it->first, it->second};
        }
    }
    const auto allocation = find_allocation(p);
    return allocation ? MemoryRange{allocation->begin, allocation->size} : MemoryRange{};
}

void note_block_allocated(const void* p, std::size_t size, cudaStream_t stream) {
    if (p == nullptr || size == 0) return;
    const auto begin = reinterpret_cast<std::uintptr_t>(p);
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    if (async_mode()) {
        // What the stream's next work is ordered after.
        const StreamKey key = stream_key(stream);
        std::vector<StreamMark> targets;
        if (const auto it = s.streams.find(key.id); it != s.streams.end()) targets.push_back({key.id, it->second.submitted});
        add_implicit_waits(s, key, targets);
        const auto need = required(s, targets);
        for (const auto& [id, q] : s.streams) {
            const auto n = need.find(id);
            const std::uint64_t ordered = std::max(q.completed, n == need.end() ? 0 : n->second);
            for (const QueuedWork& w : q.pending) {
                if (w.seq <= ordered) continue;
                if (std::none_of(w.item.ranges.begin(), w.item.ranges.end(),
                                 [&](const MemoryRange& r) { return overlaps(r, begin, size); }))
                    continue;
                throw KernelError(fmt::format(
                    "CUDA emulator (async streams): the caching allocator hands out the block at {} ({} bytes) "
                    "for work on {} while {} still uses it on {}, and nothing orders that work before the block's "
                    "new use: the block was freed and reused while the other stream may still read or write it. "
                    "Record every stream a tensor is used on (record_stream: the allocator then waits for those "
                    "streams' events before it reuses the block), or synchronise with that stream before the "
                    "tensor is freed",
                    p, size, describe_stream(key.id), w.item.describe ? w.item.describe() : "work",
                    describe_stream(id)));
            }
        }
    }
    s.blocks[begin] = size;
}

void note_block_freed(const void* p) {
    Scheduler& s = scheduler();
    const std::lock_guard lock(s.mutex);
    s.blocks.erase(reinterpret_cast<std::uintptr_t>(p));
}

}  // namespace peso::cuda::emu
