// A "plug-in" that needs a CUDA library (fake_cuda.c) and cannot find it: what a WATTSERVE_CUDA=ON
// plug-in is on a machine without CUDA. Loading it must fail with a clear message.
extern "C" int wattserve_fake_cuda_init(void);
extern "C" int wattserve_engine_abi_version() {
  return wattserve_fake_cuda_init();
}
