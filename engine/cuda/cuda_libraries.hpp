#pragma once
// The CUDA libraries AttnScope opens at run time rather than links — the NVIDIA driver, CUPTI, cuBLAS —
// each opened once per process through dynlib, with what a machine without it loses and how to get it.
// The CUDA runtime itself is linked statically (the CUDA EULA allows it); it opens the driver by itself.
#include <vector>

#include "attnscope/device.hpp"
#include "cuda/dynamic_library.hpp"

namespace attnscope::cuda_libraries {

const dynlib::Library& driver();  // libcuda.so.1
const dynlib::Library& cupti();   // libcupti.so.<the build's CUDA major>
const dynlib::Library& cublas();  // libcublas.so.<the build's CUDA major>

// The three, found or not, for DeviceInfo::runtime_libraries (the rules and `devices` read them there).
std::vector<RuntimeLibrary> status();

}  // namespace attnscope::cuda_libraries
