// peso_ddp_bench: data-parallel training of GPT-2 124M (bench/README.md).
// Run under mpirun for N ranks, or alone for one process; every rank trains on
// its --batch rows of a global batch of N x --batch random sequences of 64
// tokens (random weights: speed does not depend on them). Rank 0 prints the
// median step time, tokens/s over all ranks, the median time backward spent
// waiting for gradient averages after its own computation (communication not
// hidden behind backward) and, with --zero, the parameter broadcasts after the
// optimizer step, and every rank's peak resident memory.
//   mpirun -np 2 peso_ddp_bench [--batch 4] [--seq 64] [--steps 8] [--warmup 2] [--zero]
#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench/timing.h"
#include "distributed/init.h"
#include "models/gpt/gpt.h"
#include "nn/clip_grad.h"
#include "nn/distributed_data_parallel.h"
#include "nn/optim/adam.h"
#include "nn/optim/zero_redundancy.h"
#include "peso.h"

using namespace peso;

namespace {

double peak_rss_gb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t batch = 4, seq = 64;
    int steps = 8, warmup = 2;
    bool zero_on = false;
    for (int i = 1; i < argc; ++i) {
        const bool v = i + 1 < argc;
        if (!std::strcmp(argv[i], "--batch") && v) batch = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--seq") && v) seq = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--steps") && v) steps = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--warmup") && v) warmup = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--zero")) zero_on = true;
        else {
            fmt::print(stderr, "peso_ddp_bench: unknown argument '{}'\n", argv[i]);
            return 2;
        }
    }
    const auto comm = distributed::init_process_group();
    const int world = comm->world_size(), rank = comm->rank();
    models::GptConfig c = models::GptConfig::preset("gpt2", 50257, 1024);
    c.dropout = 0.0;
    manual_seed(1337);
    models::Gpt model(c);
    nn::optim::AdamWOptions o;
    o.lr = 6e-4;
    nn::optim::AdamW opt(model.optimizer_groups(0.1), o);
    std::unique_ptr<nn::DistributedDataParallel> ddp;
    if (world > 1) ddp = std::make_unique<nn::DistributedDataParallel>(model, comm);
    std::unique_ptr<nn::optim::ZeroRedundancyOptimizer> zero;
    if (zero_on) zero = std::make_unique<nn::optim::ZeroRedundancyOptimizer>(opt, comm);
    Generator g(42);
    const Tensor idx = native::randint(0, c.vocab_size, {batch * world, seq}, DType::i64, &g);
    const Tensor tgt = native::randint(0, c.vocab_size, {batch * world, seq}, DType::i64, &g);
    const Tensor x = native::narrow(idx, 0, rank * batch, batch), y = native::narrow(tgt, 0, rank * batch, batch);
    std::vector<double> step_s, wait_s, update_s;
    for (int s = 0; s < warmup + steps; ++s) {
        const double t0 = bench::now_seconds();
        opt.zero_grad();
        model.forward(x, y).loss.backward();
        nn::clip_grad_norm_(model.parameters(), 1.0);
        const double t1 = bench::now_seconds();
        if (zero) zero->step();
        else opt.step();
        const double t2 = bench::now_seconds();
        if (s < warmup) continue;
        step_s.push_back(t2 - t0);
        wait_s.push_back(ddp ? ddp->last_wait_seconds() : 0.0);
        update_s.push_back(t2 - t1);
    }
    Tensor rss = native::zeros({world}, DType::f64);
    rss.data_ptr<double>()[rank] = peak_rss_gb();
    comm->allgather(rss)->wait();
    if (rank != 0) return 0;
    const double step = bench::median(step_s), wait = bench::median(wait_s);
    std::string rss_list;
    for (int r = 0; r < world; ++r) rss_list += fmt::format("{}{:.2f}", r ? ", " : "", rss.data_ptr<double>()[r]);
    fmt::print("gpt2 124M, {} rank(s) x {} thread(s), B={}/rank T={}{}: {:.0f} ms/step, {:.0f} tok/s; "
               "unhidden gradient wait {:.0f} ms ({:.1f}% of the step); optimizer step {:.0f} ms; "
               "peak RSS per rank [{}] GB\n",
               world, omp_get_max_threads(), batch, seq, zero ? ", ZeRO-1" : "", step * 1e3,
               static_cast<double>(batch * world * seq) / step, wait * 1e3, 100.0 * wait / step,
               bench::median(update_s) * 1e3, rss_list);
}
