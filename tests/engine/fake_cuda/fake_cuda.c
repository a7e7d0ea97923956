// Stands in for a CUDA library (libcublas_wattserve_test.so.1) at link time only
// (tests/CMakeLists.txt): the plug-in linked against it cannot find it at run time, as on a machine
// without CUDA.
int wattserve_fake_cuda_init(void);
int wattserve_fake_cuda_init(void) {
  return 0;
}
