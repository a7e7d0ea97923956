/* A fake libnvidia-ml for the NVML sensor and NVML clock actuator tests. It exports the NVML
 * functions wattserve uses, with their real C signatures, and answers from a control file named by
 * the environment variable FAKE_NVML_CONFIG, re-read on every call so a test can change values
 * between reads:
 *
 *   init_rc=0 count_rc=0
 *   name=FakeGPU uuid=GPU-fake-0 energy_mj=12345 power_mw=250000 energy_supported=1 fail_energy=0
 * fail_power=0 instant_mw=260000
 *
 * The first line holds global settings; every line with name= is one GPU, in index order.
 * *_rc and fail_* are NVML return codes (0 = success); energy_supported=0 makes
 * nvmlDeviceGetTotalEnergyConsumption return NVML_ERROR_NOT_SUPPORTED (3). instant_mw is the
 * field NVML_FI_DEV_POWER_INSTANT of nvmlDeviceGetFieldValues; without it (or with a negative
 * value) that field is NOT_SUPPORTED. Device calls before
 * nvmlInit_v2 return NVML_ERROR_UNINITIALIZED (1), as the real library does.
 *
 * Clocks and power limit (src/adapt/nvml_clocks.h), on a GPU's line:
 *
 *   mem_clocks=2619,1593 gr_clocks=1980,1410,990 app_gr=1980 app_mem=2619 fail_clocks=0
 *   power_limit_mw=700000 power_min_mw=200000 power_max_mw=700000 set_rc=0
 *
 * mem_clocks / gr_clocks are the supported clocks in MHz (any order; the graphics ones are the
 * same for every memory clock); without them, or with fail_clocks=RC, the supported-clock calls
 * fail (NOT_SUPPORTED, or RC). app_gr / app_mem are the application clocks until the setter
 * sets others (nvmlDeviceResetApplicationsClocks puts these back). Without power_max_mw the
 * power-limit calls are NOT_SUPPORTED. set_rc=RC makes every setter fail with RC (4 is
 * NVML_ERROR_NO_PERMISSION). The setters count every call, failed or not, and remember the
 * values they were given: fake_nvml_setter_calls() and the other fake_nvml_* functions below
 * read them; fake_nvml_reset() clears them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;

enum { kMaxGpus = 16, kHandleBase = 0x1000 };

typedef struct {
  char name[64];
  char uuid[64];
  unsigned long long energy_mj;
  unsigned power_mw;
  int energy_supported;
  int fail_energy;
  int fail_power;
  int fail_handle;
  long long instant_mw; /* < 0: field not supported */
  unsigned mem_clocks[32];
  unsigned n_mem;
  unsigned gr_clocks[256];
  unsigned n_gr;
  unsigned app_gr;
  unsigned app_mem;
  int fail_clocks;
  unsigned power_limit_mw;
  unsigned power_min_mw;
  unsigned power_max_mw;
  int set_rc;
} FakeGpu;

typedef struct {
  int init_rc;
  int count_rc;
  unsigned count;
  FakeGpu gpu[kMaxGpus];
} FakeConfig;

static int g_init_refs = 0;
static int g_init_calls = 0;
static int g_shutdown_calls = 0;

/* What the setters were asked: calls (failed ones too) and, per GPU, the values set. */
static int g_set_clocks_calls = 0;
static int g_reset_clocks_calls = 0;
static int g_set_power_limit_calls = 0;
static int g_clocks_set[kMaxGpus];  /* application clocks set and not reset since */
static unsigned g_set_gr[kMaxGpus]; /* the last values set (0: none) */
static unsigned g_set_mem[kMaxGpus];
static int g_limit_set[kMaxGpus];
static unsigned g_set_limit_mw[kMaxGpus];

/* Test hooks: how often nvmlInit_v2 succeeded and nvmlShutdown was called. */
int fake_nvml_init_calls(void) {
  return g_init_calls;
}
int fake_nvml_shutdown_calls(void) {
  return g_shutdown_calls;
}

/* Test hooks for the setters. */
int fake_nvml_setter_calls(void) {
  return g_set_clocks_calls + g_reset_clocks_calls + g_set_power_limit_calls;
}
int fake_nvml_set_clocks_calls(void) {
  return g_set_clocks_calls;
}
int fake_nvml_reset_clocks_calls(void) {
  return g_reset_clocks_calls;
}
int fake_nvml_set_power_limit_calls(void) {
  return g_set_power_limit_calls;
}
unsigned fake_nvml_graphics_mhz(unsigned gpu) {
  return gpu < kMaxGpus ? g_set_gr[gpu] : 0;
}
unsigned fake_nvml_memory_mhz(unsigned gpu) {
  return gpu < kMaxGpus ? g_set_mem[gpu] : 0;
}
unsigned fake_nvml_power_limit_mw(unsigned gpu) {
  return gpu < kMaxGpus ? g_set_limit_mw[gpu] : 0;
}
void fake_nvml_reset(void) {
  g_set_clocks_calls = g_reset_clocks_calls = g_set_power_limit_calls = 0;
  memset(g_clocks_set, 0, sizeof g_clocks_set);
  memset(g_set_gr, 0, sizeof g_set_gr);
  memset(g_set_mem, 0, sizeof g_set_mem);
  memset(g_limit_set, 0, sizeof g_limit_set);
  memset(g_set_limit_mw, 0, sizeof g_set_limit_mw);
}

/* "2619,1593" into out; returns how many. */
static unsigned parse_list(const char* value, unsigned* out, unsigned max) {
  unsigned n = 0;
  const char* p = value;
  while (*p && n < max) {
    char* end = NULL;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p) break;
    out[n++] = (unsigned)v;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

static void set_key(FakeConfig* c, FakeGpu* g, const char* key, const char* value) {
  long long v = strtoll(value, NULL, 10);
  if (!strcmp(key, "init_rc"))
    c->init_rc = (int)v;
  else if (!strcmp(key, "count_rc"))
    c->count_rc = (int)v;
  else if (!g)
    return;
  else if (!strcmp(key, "name"))
    snprintf(g->name, sizeof g->name, "%s", value);
  else if (!strcmp(key, "uuid"))
    snprintf(g->uuid, sizeof g->uuid, "%s", value);
  else if (!strcmp(key, "energy_mj"))
    g->energy_mj = strtoull(value, NULL, 10);
  else if (!strcmp(key, "power_mw"))
    g->power_mw = (unsigned)v;
  else if (!strcmp(key, "energy_supported"))
    g->energy_supported = (int)v;
  else if (!strcmp(key, "fail_energy"))
    g->fail_energy = (int)v;
  else if (!strcmp(key, "fail_power"))
    g->fail_power = (int)v;
  else if (!strcmp(key, "fail_handle"))
    g->fail_handle = (int)v;
  else if (!strcmp(key, "instant_mw"))
    g->instant_mw = v;
  else if (!strcmp(key, "mem_clocks"))
    g->n_mem = parse_list(value, g->mem_clocks, sizeof g->mem_clocks / sizeof g->mem_clocks[0]);
  else if (!strcmp(key, "gr_clocks"))
    g->n_gr = parse_list(value, g->gr_clocks, sizeof g->gr_clocks / sizeof g->gr_clocks[0]);
  else if (!strcmp(key, "app_gr"))
    g->app_gr = (unsigned)v;
  else if (!strcmp(key, "app_mem"))
    g->app_mem = (unsigned)v;
  else if (!strcmp(key, "fail_clocks"))
    g->fail_clocks = (int)v;
  else if (!strcmp(key, "power_limit_mw"))
    g->power_limit_mw = (unsigned)v;
  else if (!strcmp(key, "power_min_mw"))
    g->power_min_mw = (unsigned)v;
  else if (!strcmp(key, "power_max_mw"))
    g->power_max_mw = (unsigned)v;
  else if (!strcmp(key, "set_rc"))
    g->set_rc = (int)v;
}

static void load(FakeConfig* c) {
  memset(c, 0, sizeof *c);
  const char* path = getenv("FAKE_NVML_CONFIG");
  FILE* f = path ? fopen(path, "r") : NULL;
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    FakeGpu* g = NULL;
    if (strstr(line, "name=") && c->count < kMaxGpus) {
      g = &c->gpu[c->count++];
      g->energy_supported = 1;
      g->instant_mw = -1;
      snprintf(g->uuid, sizeof g->uuid, "GPU-fake-%u", c->count - 1);
    }
    for (char* tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
      char* eq = strchr(tok, '=');
      if (!eq) continue;
      *eq = '\0';
      set_key(c, g, tok, eq + 1);
    }
  }
  fclose(f);
}

/* The GPU behind a handle, or NULL (with *rc set) when the call must fail. */
static FakeGpu* device(nvmlDevice_t dev, FakeConfig* c, nvmlReturn_t* rc) {
  load(c);
  uintptr_t i = (uintptr_t)dev - kHandleBase;
  if (g_init_refs == 0)
    *rc = 1; /* NVML_ERROR_UNINITIALIZED */
  else if (i >= c->count)
    *rc = 2; /* NVML_ERROR_INVALID_ARGUMENT */
  else
    return &c->gpu[i];
  return NULL;
}

nvmlReturn_t nvmlInit_v2(void) {
  FakeConfig c;
  load(&c);
  if (c.init_rc != 0) return c.init_rc;
  ++g_init_refs;
  ++g_init_calls;
  return 0;
}

nvmlReturn_t nvmlShutdown(void) {
  ++g_shutdown_calls;
  if (g_init_refs == 0) return 1;
  --g_init_refs;
  return 0;
}

const char* nvmlErrorString(nvmlReturn_t rc) {
  switch (rc) {
    case 0:
      return "Success";
    case 1:
      return "Uninitialized";
    case 2:
      return "Invalid Argument";
    case 3:
      return "Not Supported";
    case 4:
      return "Insufficient Permissions";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    case 18:
      return "RM has detected an NVML/RM version mismatch.";
    default:
      return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  FakeConfig c;
  load(&c);
  if (g_init_refs == 0) return 1;
  if (!count) return 2;
  if (c.count_rc != 0) return c.count_rc;
  *count = c.count;
  return 0;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* dev) {
  FakeConfig c;
  load(&c);
  if (g_init_refs == 0) return 1;
  if (!dev || index >= c.count) return 2;
  if (c.gpu[index].fail_handle) return c.gpu[index].fail_handle;
  *dev = (nvmlDevice_t)(uintptr_t)(kHandleBase + index);
  return 0;
}

static nvmlReturn_t copy_string(const char* s, char* out, unsigned int length) {
  if (!out) return 2;
  if (strlen(s) + 1 > length) return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
  memcpy(out, s, strlen(s) + 1);
  return 0;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char* name, unsigned int length) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  return g ? copy_string(g->name, name, length) : rc;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char* uuid, unsigned int length) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  return g ? copy_string(g->uuid, uuid, length) : rc;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long* energy) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!energy) return 2;
  if (!g->energy_supported) return 3; /* NVML_ERROR_NOT_SUPPORTED */
  if (g->fail_energy) return g->fail_energy;
  *energy = g->energy_mj;
  return 0;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int* power) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!power) return 2;
  if (g->fail_power) return g->fail_power;
  *power = g->power_mw;
  return 0;
}

/* nvmlFieldValue_t as in nvml.h (40 bytes). */
typedef struct {
  unsigned int fieldId;
  unsigned int scopeId;
  long long timestamp;
  long long latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  union {
    double dVal;
    unsigned int uiVal;
    unsigned long long ullVal;
  } value;
} FakeFieldValue;

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t dev, int count, FakeFieldValue* values) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!values || count < 0) return 2;
  for (int i = 0; i < count; ++i) {
    FakeFieldValue* v = &values[i];
    if (v->fieldId == 186 && g->instant_mw >= 0) { /* NVML_FI_DEV_POWER_INSTANT, mW */
      v->valueType = 1;                            /* NVML_VALUE_TYPE_UNSIGNED_INT */
      v->value.uiVal = (unsigned)g->instant_mw;
      v->nvmlReturn = 0;
    } else {
      v->nvmlReturn = 3;
    }
  }
  return 0;
}

/* Clocks and power limit. */

static nvmlReturn_t copy_clocks(const unsigned* clocks, unsigned n, unsigned int* count,
                                unsigned int* out) {
  if (!count) return 2;
  if (*count < n) {
    *count = n;
    return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
  }
  if (!out) return 2;
  memcpy(out, clocks, n * sizeof *clocks);
  *count = n;
  return 0;
}

static int listed(const unsigned* clocks, unsigned n, unsigned mhz) {
  for (unsigned i = 0; i < n; ++i)
    if (clocks[i] == mhz) return 1;
  return 0;
}

static unsigned gpu_index(nvmlDevice_t dev) {
  return (unsigned)((uintptr_t)dev - kHandleBase);
}

nvmlReturn_t nvmlDeviceGetSupportedMemoryClocks(nvmlDevice_t dev, unsigned int* count,
                                                unsigned int* clocks) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (g->fail_clocks) return g->fail_clocks;
  if (g->n_mem == 0) return 3;
  return copy_clocks(g->mem_clocks, g->n_mem, count, clocks);
}

nvmlReturn_t nvmlDeviceGetSupportedGraphicsClocks(nvmlDevice_t dev, unsigned int mem_mhz,
                                                  unsigned int* count, unsigned int* clocks) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (g->fail_clocks) return g->fail_clocks;
  if (g->n_gr == 0) return 3;
  if (!listed(g->mem_clocks, g->n_mem, mem_mhz)) return 6; /* NVML_ERROR_NOT_FOUND */
  return copy_clocks(g->gr_clocks, g->n_gr, count, clocks);
}

/* clock_type: nvmlClockType_t, 0 graphics, 2 memory. */
nvmlReturn_t nvmlDeviceGetApplicationsClock(nvmlDevice_t dev, int clock_type, unsigned int* mhz) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!mhz) return 2;
  if (g->fail_clocks) return g->fail_clocks;
  if (g->n_mem == 0) return 3;
  const unsigned i = gpu_index(dev);
  if (clock_type == 0)
    *mhz = g_clocks_set[i] ? g_set_gr[i] : g->app_gr;
  else if (clock_type == 2)
    *mhz = g_clocks_set[i] ? g_set_mem[i] : g->app_mem;
  else
    return 2;
  return 0;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t dev, unsigned int* min_mw,
                                                          unsigned int* max_mw) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!min_mw || !max_mw) return 2;
  if (g->power_max_mw == 0) return 3;
  *min_mw = g->power_min_mw;
  *max_mw = g->power_max_mw;
  return 0;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t dev, unsigned int* limit_mw) {
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (!limit_mw) return 2;
  if (g->power_max_mw == 0) return 3;
  const unsigned i = gpu_index(dev);
  *limit_mw = g_limit_set[i] ? g_set_limit_mw[i] : g->power_limit_mw;
  return 0;
}

nvmlReturn_t nvmlDeviceSetApplicationsClocks(nvmlDevice_t dev, unsigned int mem_mhz,
                                             unsigned int gr_mhz) {
  ++g_set_clocks_calls;
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (g->set_rc) return g->set_rc;
  if (g->n_mem == 0) return 3;
  if (!listed(g->mem_clocks, g->n_mem, mem_mhz) || !listed(g->gr_clocks, g->n_gr, gr_mhz)) return 2;
  const unsigned i = gpu_index(dev);
  g_clocks_set[i] = 1;
  g_set_gr[i] = gr_mhz;
  g_set_mem[i] = mem_mhz;
  return 0;
}

nvmlReturn_t nvmlDeviceResetApplicationsClocks(nvmlDevice_t dev) {
  ++g_reset_clocks_calls;
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (g->set_rc) return g->set_rc;
  if (g->n_mem == 0) return 3;
  g_clocks_set[gpu_index(dev)] = 0;
  return 0;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t dev, unsigned int limit_mw) {
  ++g_set_power_limit_calls;
  FakeConfig c;
  nvmlReturn_t rc = 0;
  FakeGpu* g = device(dev, &c, &rc);
  if (!g) return rc;
  if (g->set_rc) return g->set_rc;
  if (g->power_max_mw == 0) return 3;
  if (limit_mw < g->power_min_mw || limit_mw > g->power_max_mw) return 2;
  const unsigned i = gpu_index(dev);
  g_limit_set[i] = 1;
  g_set_limit_mw[i] = limit_mw;
  return 0;
}
