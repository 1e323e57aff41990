# OpenBLAS for peso: the OpenMP build, so that BLAS and peso's loops share one
# thread pool (Debian's libopenblas-openmp-dev), else any libopenblas.
# Defines the imported target peso::openblas, and OPENBLAS_LIB / OPENBLAS_INCLUDE.
# Used by peso's own build and, installed beside pesoConfig.cmake, by its users.
find_library(OPENBLAS_LIB NAMES openblas
  PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp NO_DEFAULT_PATH)
if(NOT OPENBLAS_LIB)
  find_library(OPENBLAS_LIB NAMES openblas)
endif()
find_path(OPENBLAS_INCLUDE cblas.h PATHS /usr/include/x86_64-linux-gnu/openblas-openmp
  /usr/include/aarch64-linux-gnu/openblas-openmp /usr/include/openblas)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PesoOpenBLAS REQUIRED_VARS OPENBLAS_LIB)
if(PesoOpenBLAS_FOUND AND NOT TARGET peso::openblas)
  add_library(peso::openblas UNKNOWN IMPORTED)
  set_target_properties(peso::openblas PROPERTIES IMPORTED_LOCATION ${OPENBLAS_LIB})
endif()
