# `make package` / `cpack --config build/CPackConfig.cmake`: one .deb, peso_<version>_<arch>.deb,
# holding the install component `peso` (library, headers, CMake and pkg-config
# files, the CLI, the BPE files); the Python module is left to `cmake --install`.
# For a package others install, configure with -DCMAKE_INSTALL_PREFIX=/usr
# -DPESO_NATIVE=OFF (-march=native would tie the library to this machine's CPU).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME peso)
set(CPACK_PACKAGE_VENDOR "peso")
set(CPACK_PACKAGE_CONTACT "peso developers <peso@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "autodiff and tensor engine in C++20, with a GPT and its command line")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL peso)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The headers and the static library's link line need the -dev packages.
set(PESO_DEB_DEPENDS "libfmt-dev, libopenblas-openmp-dev, libdnnl-dev, libgomp1, libstdc++6")
if(PESO_WITH_MPI)
  string(APPEND PESO_DEB_DEPENDS ", libopenmpi-dev")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS ${PESO_DEB_DEPENDS})
if(PESO_WITH_CUDA)
  # CUDA comes from NVIDIA's installer or repository, not Debian's: say so rather than name a package.
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nvidia-cuda-toolkit")
endif()
include(CPack)
