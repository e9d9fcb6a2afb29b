# Install rules and the Debian package: `cmake --install build --prefix P` puts the programs, the desktop
# entry, the icon, man pages made from the programs' own --help, the README and the licence notices in
# the GNUInstallDirs places; `cpack --config build/CPackConfig.cmake` (or `cmake --build build --target
# package`) builds attnscope_<version>_<arch>.deb from the same rules.
include(GNUInstallDirs)
# /usr/share/doc/<package>, as Debian wants: GNUInstallDirs' DOCDIR names the project (AttnScope), and a
# package config found earlier may already have cached it.
set(ATTNSCOPE_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/attnscope)

install(TARGETS attnscope-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET attnscope)
  # Next to attnscope-cli, as in the build tree: the app starts its worker from its own folder.
  install(TARGETS attnscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/resources/attnscope.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/attnscope.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
endif()

# The library backends' Python bridge and our Triton kernel, in the same relative places as in the source
# tree (python_libs/ and triton_flash/ side by side): the installed programs import them from there.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/kernels/python_libs/attnscope_libs
        DESTINATION ${ATTNSCOPE_DATA_INSTALL_DIR}/python_libs FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/kernels/triton_flash/triton_flash.py DESTINATION ${ATTNSCOPE_DATA_INSTALL_DIR}/triton_flash)

# --- man pages from --help (help2man) -----------------------------------------------------------
find_program(ATTNSCOPE_HELP2MAN help2man)
find_program(ATTNSCOPE_GZIP gzip)
function(attnscope_man_page target summary)
  set(page ${PROJECT_BINARY_DIR}/man/${target}.1)
  add_custom_command(
    OUTPUT ${page}.gz
    # The GUI prints its help without a display.
    COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
            ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${target}> -DOUTPUT=${page} "-DNAME=${summary}"
            -DHELP2MAN=${ATTNSCOPE_HELP2MAN} -DGZIP=${ATTNSCOPE_GZIP}
            -P ${PROJECT_SOURCE_DIR}/cmake/ManPage.cmake
    DEPENDS ${target} ${PROJECT_SOURCE_DIR}/cmake/ManPage.cmake
    COMMENT "Man page ${target}.1 from ${target} --help"
    VERBATIM)
  add_custom_target(${target}-man ALL DEPENDS ${page}.gz)
  install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
if(ATTNSCOPE_HELP2MAN AND ATTNSCOPE_GZIP)
  attnscope_man_page(attnscope-cli "list devices, judge and measure attention backends from the command line")
  if(TARGET attnscope)
    attnscope_man_page(attnscope "desktop app: which attention backends can run a problem, why not, and what they cost")
  endif()
else()
  message(STATUS "AttnScope: no help2man (Debian package help2man): the install has no man pages")
endif()

# --- README and licence notices -----------------------------------------------------------------
# Debian wants the licences of everything compiled into the binaries in /usr/share/doc/<package>/copyright:
# the header-only libraries (nlohmann/json, CLI11, cudnn-frontend) and the static CUDA runtime. Their
# texts are taken from where this machine has them; resources/copyright.head says what AttnScope's is.
set(_copyright ${PROJECT_BINARY_DIR}/copyright)
file(READ ${PROJECT_SOURCE_DIR}/resources/copyright.head _text)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/resources/copyright.head)
set(_notices
    "nlohmann/json (compiled in)|/usr/share/doc/nlohmann-json3-dev/copyright"
    "CLI11 (compiled in)|/usr/share/doc/libcli11-dev/copyright")
if(ATTNSCOPE_HAVE_CUDA)
  get_filename_component(_cuda_root "${CUDAToolkit_BIN_DIR}" DIRECTORY)
  # EULA.txt in NVIDIA's installers; the runtime wheel's License.txt in a toolkit assembled from wheels.
  file(GLOB _cudart_licence "${_cuda_root}/EULA.txt" "${_cuda_root}/dist-info/nvidia_cuda_runtime-*/licenses/License.txt")
  if(_cudart_licence)
    list(GET _cudart_licence 0 _cudart_licence)
    list(APPEND _notices "NVIDIA CUDA runtime ${CUDAToolkit_VERSION} (cudart_static, linked in)|${_cudart_licence}")
  endif()
  file(GLOB _frontend_licences "${PROJECT_SOURCE_DIR}/.deps/cudnn-frontend-*/*.dist-info/licenses/*")
  foreach(_file IN LISTS _frontend_licences)
    list(APPEND _notices "cudnn-frontend (headers compiled in)|${_file}")
  endforeach()
endif()
foreach(n IN LISTS _notices)
  string(REPLACE "|" ";" n "${n}")
  list(GET n 0 _what)
  list(GET n 1 _file)
  get_filename_component(_name "${_file}" NAME)
  if(EXISTS "${_file}")
    file(READ "${_file}" _body)
    string(APPEND _text "\n\n===== ${_what}: ${_name} =====\n\n${_body}")
  else()
    string(APPEND _text "\n\n===== ${_what}: licence text not found on the build machine (${_file}) =====\n")
  endif()
endforeach()
file(WRITE ${_copyright} "${_text}")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE ${_copyright} DESTINATION ${ATTNSCOPE_DOCDIR})

# --- the .deb -----------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME attnscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "AttnScope developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "which attention backends can run your problem on a GPU, and what they cost")
set(CPACK_PACKAGE_DESCRIPTION
    "AttnScope judges attention backends (FlashAttention-style kernels, cuBLAS, cuDNN, CPU references) for a\n"
    "problem and a device, greys the ones that cannot run with every unmet rule and its fix, and measures\n"
    "the others: CUPTI-timed latency, peak memory and error against an fp64 reference, plotted and exported.\n"
    "Contains the Qt desktop app (attnscope) and the CLI (attnscope-cli). The CUDA libraries are optional:\n"
    "without the NVIDIA driver, CUPTI or cuBLAS the programs still start, say what is missing, and run the CPU backends.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# AttnScope is GPL-3.0-or-later (LICENSE; README.md says why and lists the licences of what it uses). A
# .deb has no licence field: Debian reads /usr/share/doc/attnscope/copyright, installed above.
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Debian's package names for what the binaries link (Qt 6, QCustomPlot, OpenBLAS, libstdc++), found by
# dpkg-shlibdeps from the binaries themselves.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(ATTNSCOPE_HAVE_CUDA)
  # Opened at run time, so optional (engine/cuda/cuda_libraries.cpp): the driver's libcuda.so.1 is what any
  # GPU needs; CUPTI, cuBLAS and cuDNN of this CUDA major come from NVIDIA's repository.
  set(_cuda_pkg "${CUDAToolkit_VERSION_MAJOR}-${CUDAToolkit_VERSION_MINOR}")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcuda1")
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS
      "cuda-cupti-${_cuda_pkg}, libcublas-${_cuda_pkg}, libcudnn9-cuda-${CUDAToolkit_VERSION_MAJOR}")
endif()
include(CPack)
