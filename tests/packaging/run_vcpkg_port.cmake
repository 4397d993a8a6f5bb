# Runs ports/latent/portfile.cmake unchanged, as vcpkg would for a release-only x64-linux build, with plain
# CMake doing the work of the vcpkg functions it calls. vcpkg itself cannot be installed here; this checks what
# the portfile decides (its configure options, install layout, config fix-up, files it adds or removes) and what
# vcpkg's post-build checks would reject. The consume.vcpkg_manifest test then builds tests/consumer/vcpkg/
# against the result.
#
# cmake -DPORT_DIR=<ports/latent> -DPACKAGES_DIR=<empty prefix> -DBUILD_DIR=<scratch> -DGENERATOR=<generator>
#       -DCXX=<C++ compiler> -P run_vcpkg_port.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS PORT_DIR PACKAGES_DIR BUILD_DIR GENERATOR CXX)
  if(NOT ${var})
    message(FATAL_ERROR "run_vcpkg_port.cmake: pass -D${var}=...")
  endif()
endforeach()

# What vcpkg defines before it includes a portfile.
set(PORT latent)
file(READ "${PORT_DIR}/vcpkg.json" manifest)
string(JSON VERSION GET "${manifest}" version-semver)
set(CURRENT_PACKAGES_DIR "${PACKAGES_DIR}")
set(CURRENT_BUILDTREES_DIR "${BUILD_DIR}")
set(TARGET_TRIPLET x64-linux)
set(VCPKG_TARGET_IS_LINUX ON)
file(REMOVE_RECURSE "${PACKAGES_DIR}" "${BUILD_DIR}")

function(fail)
  list(JOIN ARGN "" text)
  message(FATAL_ERROR "vcpkg port: ${text}")
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH"
                        "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG;MAYBE_UNUSED_VARIABLES")
  if(arg_UNPARSED_ARGUMENTS)
    fail("vcpkg_cmake_configure: arguments this stand-in does not know: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT IS_DIRECTORY "${arg_SOURCE_PATH}" OR NOT EXISTS "${arg_SOURCE_PATH}/CMakeLists.txt")
    fail("SOURCE_PATH '${arg_SOURCE_PATH}' holds no CMakeLists.txt")
  endif()
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    fail("set(VCPKG_BUILD_TYPE release) is expected for a header-only port (found '${VCPKG_BUILD_TYPE}')")
  endif()
  set(build "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
  # vcpkg's own settings for every port (a subset), then the port's.
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${build}" -G "${GENERATOR}"
            "-DCMAKE_CXX_COMPILER=${CXX}" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
            -DCMAKE_INSTALL_LIBDIR:STRING=lib -DCMAKE_INSTALL_BINDIR:STRING=bin
            -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
            -DFETCHCONTENT_FULLY_DISCONNECTED=ON
            ${arg_OPTIONS} ${arg_OPTIONS_RELEASE}
    RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT rc EQUAL 0)
    message(NOTICE "${output}")
    fail("configuring ${arg_SOURCE_PATH} with the port's options failed")
  endif()
  # vcpkg warns about options the project never reads: a misspelt option silently changes nothing.
  string(FIND "${output}" "Manually-specified variables were not used by the project:" unused_at)
  if(NOT unused_at EQUAL -1)
    string(SUBSTRING "${output}" ${unused_at} -1 unused_block)
    foreach(option IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE)
      if(option MATCHES "^-D([A-Za-z0-9_]+)[:=]")
        set(name "${CMAKE_MATCH_1}")
        string(FIND "${unused_block}" "\n    ${name}\n" unused)
        if(NOT unused EQUAL -1 AND NOT name IN_LIST arg_MAYBE_UNUSED_VARIABLES)
          fail("the option ${name} is not used by the project (a typo? or list it in MAYBE_UNUSED_VARIABLES)")
        endif()
      endif()
    endforeach()
  endif()
  set_property(GLOBAL PROPERTY latent_port_build "${build}")
endfunction()

function(vcpkg_cmake_install)
  get_property(build GLOBAL PROPERTY latent_port_build)
  if(NOT build)
    fail("vcpkg_cmake_install before vcpkg_cmake_configure")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --target install
                  RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT rc EQUAL 0)
    message(NOTICE "${output}")
    fail("building the install target failed")
  endif()
endfunction()

# vcpkg moves the config files to share/<package> and rewrites how they compute the install prefix, for a
# config two folders below it. The port installs them there already, so this stand-in only checks that nothing
# needs moving or rewriting.
function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION"
                        "PACKAGE_NAME;CONFIG_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH "share/${arg_PACKAGE_NAME}")
  endif()
  if(NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    fail("CONFIG_PATH ${arg_CONFIG_PATH}: install the config to share/${arg_PACKAGE_NAME} (LATENT_INSTALL_CMAKEDIR)")
  endif()
  set(config_dir "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  foreach(file IN ITEMS ${arg_PACKAGE_NAME}Config.cmake ${arg_PACKAGE_NAME}ConfigVersion.cmake)
    if(NOT EXISTS "${config_dir}/${file}")
      fail("${arg_CONFIG_PATH}/${file} was not installed")
    endif()
  endforeach()
  file(GLOB configs "${config_dir}/*.cmake")
  foreach(config IN LISTS configs)
    file(READ "${config}" text)
    if(text MATCHES "PACKAGE_PREFIX_DIR \"\\\${CMAKE_CURRENT_LIST_DIR}/([./]*)\"")
      if(NOT CMAKE_MATCH_1 STREQUAL "../../")
        fail("${config} finds its prefix at '${CMAKE_MATCH_1}' from its folder; vcpkg would rewrite it to '../../'")
      endif()
    endif()
    string(REGEX MATCHALL "get_filename_component\\(_IMPORT_PREFIX \"\\\${_IMPORT_PREFIX}\" PATH\\)" ups "${text}")
    list(LENGTH ups up_count)
    if(up_count GREATER 0 AND NOT up_count EQUAL 2)
      fail("${config} climbs ${up_count} folders to its prefix; vcpkg would rewrite it to 2")
    endif()
    foreach(absolute IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")
      string(FIND "${text}" "${absolute}" at)
      if(NOT at EQUAL -1)
        fail("${config} holds the absolute path ${absolute}")
      endif()
    endforeach()
  endforeach()
endfunction()

# vcpkg rewrites .pc files to find their prefix from their own folder; latent's already does.
function(vcpkg_fixup_pkgconfig)
  file(GLOB pc_files "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc")
  if(NOT pc_files)
    fail("no .pc file in lib/pkgconfig or share/pkgconfig")
  endif()
  foreach(pc IN LISTS pc_files)
    file(STRINGS "${pc}" prefix REGEX "^prefix=")
    if(NOT prefix STREQUAL "prefix=\${pcfiledir}/../..")
      fail("${pc}: '${prefix}' is not relative to the file (prefix=\${pcfiledir}/../..)")
    endif()
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "FILE_LIST")
  set(text "")
  foreach(file IN LISTS arg_FILE_LIST)
    file(READ "${file}" content)
    string(APPEND text "${content}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

include("${PORT_DIR}/portfile.cmake")

# vcpkg's post-build checks that apply to a header-only port.
foreach(required IN ITEMS include/latent/latent.hpp include/latent/version.hpp share/${PORT}/copyright
                          share/${PORT}/usage share/${PORT}/latentConfig.cmake share/${PORT}/latentTargets.cmake)
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${required}")
    fail("${required} is missing from the package")
  endif()
endforeach()
foreach(forbidden IN ITEMS lib debug bin share/cmake)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${forbidden}")
    fail("${forbidden}/ must not be in a header-only package")
  endif()
endforeach()
get_filename_component(source_root "${PORT_DIR}/../.." ABSOLUTE)
# The paths go into a regular expression: escape its special characters (a build folder named g++ has two).
set(build_paths "")
foreach(path IN ITEMS "${CURRENT_BUILDTREES_DIR}" "${CURRENT_PACKAGES_DIR}" "${source_root}/")
  string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" escaped "${path}")
  list(APPEND build_paths "${escaped}")
endforeach()
list(JOIN build_paths "|" build_paths)
file(GLOB_RECURSE installed "${CURRENT_PACKAGES_DIR}/*")
foreach(file IN LISTS installed)
  file(STRINGS "${file}" hits REGEX "${build_paths}")
  if(hits)
    fail("${file} holds an absolute path of the build: ${hits}")
  endif()
endforeach()
list(LENGTH installed count)
message(STATUS "vcpkg port ${PORT} ${VERSION}: ${count} files in ${CURRENT_PACKAGES_DIR}")
