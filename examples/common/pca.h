#pragma once
// Principal component analysis for plots: rows (e.g. word embeddings) of any
// width projected onto their top principal directions, so that a 2-D scatter
// shows as much of their spread as two axes can.
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace peso::examples {

struct Projection {
    std::vector<std::vector<double>> points;  // (rows, components): the centred rows in the new basis
    std::vector<double> explained;            // the fraction of the total variance along each component
};

// x (N, D) floating tensor on any device. The components are the leading
// eigenvectors of the covariance, found by power iteration with deflation
// (D is small here), each signed so that its largest entry is positive
// (deterministic plots). components <= D.
Projection pca(const Tensor& x, std::int64_t components = 2);

}  // namespace peso::examples
