#pragma once
// The queues of the asynchronous stream mode (async_streams.h), for the
// emulated runtime, launches and cuBLAS. Each stream is a FIFO of work items;
// an item may run once the items it depends on have run: the one before it on
// its stream, the event marks its stream waits for, and under the legacy
// default stream's rules the work queued earlier on the legacy stream (for an
// item of a blocking stream) or on every blocking stream (for an item of the
// legacy stream). A synchronisation runs what it waits for and nothing else,
// choosing at random among the items that are ready.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

// A stream as the scheduler knows it: id 0 is the legacy default stream.
struct StreamKey {
    std::uint64_t id = 0;
    bool blocking = true;  // synchronises with the legacy default stream
};
inline constexpr StreamKey legacy_stream{0, true};

// The point on a stream an event marks: done once the stream's item `seq` has
// run. seq 0 (an event not recorded, or recorded in synchronous mode) is done.
struct StreamMark {
    std::uint64_t stream = 0;
    std::uint64_t seq = 0;
};

// Memory a work item reads or writes: device or pinned host memory.
struct MemoryRange {
    std::uintptr_t begin = 0;
    std::size_t size = 0;
};

struct WorkItem {
    std::function<void()> run;
    std::function<std::string()> describe;  // "kernel f launched at x.cu:12 ...", for reports
    std::vector<MemoryRange> ranges;
};

// Runs `work` now in synchronous mode; queues it on `stream` in async mode.
// Returns the mark of its end.
StreamMark submit(StreamKey stream, WorkItem work, const std::vector<StreamMark>& extra_waits = {});

// Run what the host waits for. An exception a work item threw is kept and
// rethrown by rethrow_work_error(), so that a sync point reached from a
// destructor (cudaFree) does not throw.
void run_until_stream_done(StreamKey stream);
void run_until(StreamMark mark);
void run_all();
void rethrow_work_error();

bool is_done(StreamMark mark);
// The mark of the last work queued on `stream` so far.
StreamMark stream_end(StreamKey stream);
// A query that finds work not done: after many in a row the host is taken to
// be polling, and the work it polls for runs, so that a wait loop ends.
void note_unfinished_query(StreamMark mark);

// A stream destroyed with work queued keeps it until it has run.
void forget_stream_when_done(StreamKey stream);

// The device or pinned range that `p` points into: its caching-allocator
// block when one is declared (or, for an end pointer, the block it ends), else
// its emulated allocation; empty for pageable host memory.
MemoryRange range_of(const void* p);

}  // namespace peso::cuda::emu
