// nvcc's build of the emulator's test kernels: compile-only (no GPU here), to
// keep every kernel the emulator runs valid CUDA for sm_80 and sm_90, and to
// put ptxas's register and spill report for them in the build log.
#include "tests/cuda/test_kernels.cuh"

namespace peso::cuda::test_kernels {

// Never called; it instantiates and references each kernel the way the tests launch it.
void launch_every_test_kernel() {
    launch_block_sum<float>(nullptr, nullptr, 0, 256);
    launch_block_sum<double>(nullptr, nullptr, 0, 256);
    launch_block_sum<int>(nullptr, nullptr, 0, 256);
    launch_warp_shuffle_sum<float>(nullptr, nullptr, 0, 256);
    launch_warp_shuffle_sum<double>(nullptr, nullptr, 0, 256);
    launch_warp_shuffle_sum<int>(nullptr, nullptr, 0, 256);
    launch_reverse_blocks(nullptr, nullptr, nullptr, 0, 64);
    launch(warp_inclusive_scan, 1, 64, 0, nullptr, nullptr, nullptr, 0);
    launch(segment_max_and_broadcast<8>, 1, 64, 0, nullptr, nullptr, nullptr, nullptr);
    launch(segment_max_and_broadcast<32>, 1, 64, 0, nullptr, nullptr, nullptr, nullptr);
    launch(warp_votes, 1, 64, 0, nullptr, nullptr, nullptr, nullptr, nullptr);
    launch(warp_reduce_intrinsics, 1, 64, 0, nullptr, nullptr, nullptr, nullptr, nullptr);
    launch(block_votes, 1, 64, 0, nullptr, nullptr, nullptr, nullptr, nullptr);
    launch(half_pair_sums, 1, 32, 0, nullptr, nullptr, nullptr);
    launch(histogram, 1, 64, 0, nullptr, nullptr, 0, nullptr);
    launch(atomic_mix, 1, 64, 0, nullptr, nullptr, 0, nullptr);
    launch(write_coordinates, dim3(2, 3, 1), dim3(8, 4, 2), 0, nullptr, nullptr);
    launch(shift_right_racy, 1, 64, 0, nullptr, nullptr, nullptr);
    launch(barrier_in_branch, 1, 64, 0, nullptr, nullptr);
    launch(barriers_at_two_sites, 1, 64, 0, nullptr, nullptr);
    launch(barrier_in_uneven_loop, 1, 64, 0, nullptr, nullptr);
    launch(mismatched_shuffle_masks, 1, 32, 0, nullptr, nullptr, nullptr);
    launch(shuffle_mask_without_caller, 1, 32, 0, nullptr, nullptr, nullptr);
    launch(shuffle_against_barrier, 1, 32, 0, nullptr, nullptr, nullptr);
    launch(full_mask_sum_in_partial_warp, 1, 48, 0, nullptr, nullptr, nullptr);
    launch(out_of_bounds_write, 1, 4, 0, nullptr, nullptr, 0);
    launch(shared_out_of_bounds_write, 1, 1, 0, nullptr, nullptr);
    launch(calls_trap, 1, 32, 0, nullptr, nullptr);
    launch(add_one, 1, 32, 0, nullptr, nullptr, 0);
}

}  // namespace peso::cuda::test_kernels
