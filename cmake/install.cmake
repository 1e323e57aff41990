# What `cmake --install build --prefix P` puts under P, for peso's users:
#   lib/libpeso.a (or libpeso.so.MAJOR.MINOR with -DBUILD_SHARED_LIBS=ON)
#   include/peso/...            the header tree: #include <peso/peso.h>
#   bin/peso                    the command line
#   share/peso/gpt2/            GPT-2's BPE files, where the tokenizer finds them
#   lib/cmake/peso/             pesoConfig.cmake: find_package(peso) -> peso::peso
#   lib/pkgconfig/peso.pc       pkg-config --cflags --libs peso
# All of it is the install component `peso`; the Python module (python/) is the
# component `python`. Inside another project (add_subdirectory) nothing is installed.
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
include(CMakePackageConfigHelpers)

set(PESO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/peso)

# 0.x: any minor release may change the ABI, so the SONAME carries both numbers.
set_target_properties(peso PROPERTIES VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
if(BUILD_SHARED_LIBS)
  # Export only the symbols that involve namespace peso (cmake/peso.map), not
  # what is linked in (CUDA's static runtime) or internal helpers.
  target_link_options(peso PRIVATE -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/peso.map)
  set_property(TARGET peso APPEND PROPERTY LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/peso.map)
endif()

install(TARGETS peso EXPORT pesoTargets COMPONENT peso
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET peso_cli)
  install(TARGETS peso_cli COMPONENT peso RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(BUILD_SHARED_LIBS)
  # Installed programs find the installed libpeso.so: the CLI relative to
  # itself (the install may move), the Python module at the install's libdir.
  file(RELATIVE_PATH PESO_BIN_TO_LIB ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  if(TARGET peso_cli)
    set_target_properties(peso_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${PESO_BIN_TO_LIB}")
  endif()
  if(TARGET peso_python)
    set_target_properties(peso_python PROPERTIES INSTALL_RPATH ${CMAKE_INSTALL_FULL_LIBDIR})
  endif()
endif()

# The headers keep their root-relative includes ("tensor/tensor.h"), so the
# tree goes under include/peso/ whole, and peso::peso puts both include/ and
# include/peso/ on its users' include path. The CUDA kernels' headers and the
# CPU backend's internals stay out: no public header includes them.
install(FILES ${PROJECT_SOURCE_DIR}/peso.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peso COMPONENT peso)
install(FILES ${PROJECT_BINARY_DIR}/generated/core/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peso/core
  COMPONENT peso)
foreach(dir core tensor backends autograd nn models distributed)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peso/${dir} COMPONENT peso
    FILES_MATCHING PATTERN "*.h" PATTERN "*.def"
    PATTERN "cuda" EXCLUDE PATTERN "cpu" EXCLUDE)
endforeach()

# GPT-2's BPE files, fetched into the build by scripts/setup.sh (OPTIONAL: a
# build configured by hand may not have them; the packaging tests check they came).
install(FILES ${PROJECT_BINARY_DIR}/data/gpt2/encoder.json ${PROJECT_BINARY_DIR}/data/gpt2/vocab.bpe
  DESTINATION ${CMAKE_INSTALL_DATADIR}/peso/gpt2 COMPONENT peso OPTIONAL)

# The CMake package: pesoTargets.cmake (peso::peso) and the config that finds
# its dependencies first (cmake/pesoConfig.cmake.in).
install(EXPORT pesoTargets NAMESPACE peso:: DESTINATION ${PESO_CMAKE_DIR} COMPONENT peso)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pesoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/pesoConfig.cmake INSTALL_DESTINATION ${PESO_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_DATADIR)
# 0.x: a release is compatible only with the same minor version.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/pesoConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/pesoConfig.cmake ${PROJECT_BINARY_DIR}/cmake/pesoConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/FindPesoOpenBLAS.cmake ${CMAKE_CURRENT_LIST_DIR}/FindPesoDNNL.cmake
  DESTINATION ${PESO_CMAKE_DIR} COMPONENT peso)

include(${CMAKE_CURRENT_LIST_DIR}/pkgconfig.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
