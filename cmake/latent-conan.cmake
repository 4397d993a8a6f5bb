# Build module of the Conan package (conanfile.py): CMakeDeps includes it after it has created latent's targets.
# It gives latent::cuda the settings latent's own CMake config gives it, from the same function.
include("${CMAKE_CURRENT_LIST_DIR}/latent-components.cmake")
if(TARGET latent::cuda)
  find_package(CUDAToolkit REQUIRED)  # a system dependency: Conan does not package the CUDA toolkit
  latent_define_cuda_component(latent::cuda latent::core "${CMAKE_CURRENT_LIST_DIR}/../../../include")
endif()
