# oneDNN for peso (Debian's libdnnl-dev). Defines the imported target peso::dnnl
# and DNNL_LIB. A plain library search rather than oneDNN's own CMake package,
# whose Debian build asks for OpenCL's development files too.
find_library(DNNL_LIB NAMES dnnl)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PesoDNNL REQUIRED_VARS DNNL_LIB)
if(PesoDNNL_FOUND AND NOT TARGET peso::dnnl)
  add_library(peso::dnnl UNKNOWN IMPORTED)
  set_target_properties(peso::dnnl PROPERTIES IMPORTED_LOCATION ${DNNL_LIB})
endif()
