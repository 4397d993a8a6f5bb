# Fixture of the consumption tests: a fresh install of BUILD_DIR into STAGE, and a copy of it at RELOCATED
# (an install that was moved after the fact must still work: the config and .pc files are relative).
# cmake -DBUILD_DIR=<build> -DSTAGE=<dir> -DRELOCATED=<dir> -P stage_install.cmake

foreach(var IN ITEMS BUILD_DIR STAGE RELOCATED)
  if(NOT ${var})
    message(FATAL_ERROR "stage_install.cmake: pass -D${var}=...")
  endif()
endforeach()

# Start empty, so a header deleted from the source tree does not linger in the stage.
file(REMOVE_RECURSE "${STAGE}" "${RELOCATED}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${STAGE}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${STAGE} failed (${rc})")
endif()
file(COPY "${STAGE}/" DESTINATION "${RELOCATED}")
message(STATUS "installed to ${STAGE}, copied to ${RELOCATED}")
