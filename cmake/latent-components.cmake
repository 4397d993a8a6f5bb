# latent's optional components, written once. Used by the source build (add_subdirectory, FetchContent), the
# installed latentConfig.cmake (find_package(latent COMPONENTS xtensor cuda mpi blas)) and the Conan package's build module.
# Each function fills an INTERFACE target (a normal or an IMPORTED one) that the caller has created.
include_guard(GLOBAL)

# latent::xtensor: latent/interop/xtensor.hpp, which includes xtensor's headers.
# requires: a target named xtensor (xtensor's own config, Conan's and vcpkg's all use that name).
function(latent_define_xtensor_component target latent_target)
  target_link_libraries(${target} INTERFACE ${latent_target} xtensor)
endfunction()

# latent::cuda: the CUDA backend (backend::cuda, and backend::automatic's GPU path), and latent's headers in
# translation units compiled by nvcc. The backend's kernels are in latent/backends/cuda/device.cu, an interface
# source: each target that links latent::cuda compiles it with nvcc (so its project must enable CUDA) and links
# only the CUDA runtime and cuBLAS, never the driver library, so that its programs start where there is no GPU.
# Everything else stays in headers that g++ and clang compile. LATENT_WITH_CUDA tells those headers that the
# kernels are linked in. Eigen stays out of device.cu; latent's headers are host code, so Eigen is kept off the
# device in other .cu files (EIGEN_NO_CUDA: without it nvcc 13 prints dozens of Eigen warnings; it has no effect
# in .cpp files). nvcc must parse them as C++20: CMake 3.25.2 and later know that dialect (cuda_std_20); 3.25.0
# and 3.25.1 do not, so there the flag is passed directly, unless the consuming target sets CUDA_STANDARD. CMake
# 3.25.1 appends its own -std=c++17 when nvcc's host compiler is clang, which overrides it: use g++ as the host
# compiler there (nvcc's default), or a newer CMake.
# requires: find_package(CUDAToolkit) has succeeded (CUDA::cudart and CUDA::cublas exist); include_dir is the
# folder that holds latent/.
function(latent_define_cuda_component target latent_target include_dir)
  target_link_libraries(${target} INTERFACE ${latent_target} CUDA::cudart CUDA::cublas)
  target_sources(${target} INTERFACE "${include_dir}/latent/backends/cuda/device.cu")
  target_compile_definitions(${target} INTERFACE LATENT_WITH_CUDA EIGEN_NO_CUDA)
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25.2)
    target_compile_features(${target} INTERFACE cuda_std_20)
  else()
    target_compile_options(${target} INTERFACE
      "$<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<NOT:$<BOOL:$<TARGET_PROPERTY:CUDA_STANDARD>>>>:-std=c++20>")
  endif()
endfunction()

# latent::mpi: latent/mpi.hpp (data-parallel training over MPI) and the MPI library. latent uses MPI's C interface
# only, so the deprecated C++ bindings stay out (they warn under -Wextra).
# requires: find_package(MPI COMPONENTS CXX) has succeeded (MPI::MPI_CXX exists).
function(latent_define_mpi_component target latent_target)
  target_link_libraries(${target} INTERFACE ${latent_target} MPI::MPI_CXX)
  target_compile_definitions(${target} INTERFACE OMPI_SKIP_MPICXX MPICH_SKIP_MPICXX)
endfunction()

# latent::blas: the CPU backend's matrix products on OpenBLAS (cblas_sgemm, cblas_dgemm) instead of Eigen's kernel.
# latent splits large products over its own threads and calls OpenBLAS from each, so it uses OpenBLAS only while a
# threaded build (pthreads or OpenMP: Debian's libopenblas-dev) is limited to one thread (OPENBLAS_NUM_THREADS=1 or
# openblas_set_num_threads(1)), and Eigen otherwise (see latent/backends/cpu/gemm.hpp). Sets
# LATENT_OPENBLAS_LIBRARY and LATENT_OPENBLAS_INCLUDE_DIR (cache), -NOTFOUND when there is no OpenBLAS with cblas.h.
function(latent_find_openblas)
  find_library(LATENT_OPENBLAS_LIBRARY NAMES openblas DOC "OpenBLAS for latent::blas")
  # Debian keeps OpenBLAS's cblas.h in a folder per build; the default cblas.h may be another BLAS's.
  find_path(LATENT_OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas-pthread openblas-openmp openblas
            DOC "The folder of OpenBLAS's cblas.h for latent::blas")
endfunction()

# requires: latent_find_openblas() found both the library and the header.
function(latent_define_blas_component target latent_target)
  target_link_libraries(${target} INTERFACE ${latent_target} "${LATENT_OPENBLAS_LIBRARY}")
  target_include_directories(${target} SYSTEM INTERFACE "${LATENT_OPENBLAS_INCLUDE_DIR}")
  target_compile_definitions(${target} INTERFACE LATENT_WITH_BLAS)
endfunction()
