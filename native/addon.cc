// zimage_ort: a small N-API addon over onnxruntime's C API, for what onnxruntime-node's binding cannot do on the
// CUDA path (issue 20): full CUDA provider options (enable_cuda_graph, a user compute stream, …), inputs and
// outputs bound at fixed addresses in device memory through IO binding (so latents, velocities and features stay on
// the GPU between runs, and CUDA graphs can replay), and registration of custom-op libraries.
//
// It loads the very libonnxruntime.so.1 that onnxruntime-node ships (the path comes from JS; dlopen of a loaded
// library returns the same handle, so both bindings share one OrtEnv), and the CUDA runtime and cuBLAS only when a
// CUDA session or buffer is asked for, so it builds with g++ alone and its CPU path needs no CUDA at all.
// It deliberately knows nothing about models, and does no tensor maths beyond one axpy (x += a·y on float32
// buffers, for the sampler's step on device): the engine's runtime module (inference/runtime/native-session.ts)
// is its only caller.
#include <dlfcn.h>
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onnxruntime_c_api.h"

namespace {

const OrtApi* ort = nullptr;
OrtEnv* env = nullptr;

// ---- CUDA runtime and cuBLAS, resolved at run time (no CUDA headers or libraries at build time) ----
using cudaStream = void*;
struct Cuda {
  bool loaded = false;
  std::string error;
  int (*setDevice)(int) = nullptr;
  int (*malloc)(void**, size_t) = nullptr;
  int (*free)(void*) = nullptr;
  int (*memcpyAsync)(void*, const void*, size_t, int, cudaStream) = nullptr;
  int (*streamCreateWithFlags)(cudaStream*, unsigned) = nullptr;
  int (*streamSynchronize)(cudaStream) = nullptr;
  int (*streamDestroy)(cudaStream) = nullptr;
  int (*memGetInfo)(size_t*, size_t*) = nullptr;
  const char* (*getErrorString)(int) = nullptr;
  // cuBLAS: only for axpy
  void* cublas = nullptr;
  int (*cublasCreate)(void**) = nullptr;
  int (*cublasSetStream)(void*, cudaStream) = nullptr;
  int (*cublasSaxpy)(void*, int, const float*, const float*, int, float*, int) = nullptr;
  int (*cublasSetPointerMode)(void*, int) = nullptr;
} cuda;

bool loadCuda() {
  if (cuda.loaded) return true;
  const char* names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so"};
  void* h = nullptr;
  for (const char* n : names)
    if ((h = dlopen(n, RTLD_NOW | RTLD_GLOBAL))) break;
  if (!h) {
    cuda.error = "the CUDA runtime (libcudart.so.13 or .12) could not be loaded: " + std::string(dlerror());
    return false;
  }
#define SYM(field, name)                                                     \
  cuda.field = reinterpret_cast<decltype(cuda.field)>(dlsym(h, name));       \
  if (!cuda.field) {                                                         \
    cuda.error = std::string("the CUDA runtime has no ") + name;             \
    return false;                                                            \
  }
  SYM(setDevice, "cudaSetDevice")
  SYM(malloc, "cudaMalloc")
  SYM(free, "cudaFree")
  SYM(memcpyAsync, "cudaMemcpyAsync")
  SYM(streamCreateWithFlags, "cudaStreamCreateWithFlags")
  SYM(streamSynchronize, "cudaStreamSynchronize")
  SYM(streamDestroy, "cudaStreamDestroy")
  SYM(memGetInfo, "cudaMemGetInfo")
  SYM(getErrorString, "cudaGetErrorString")
#undef SYM
  cuda.loaded = true;
  return true;
}

bool loadCublas(std::string* err) {
  if (cuda.cublas) return true;
  const char* names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
  void* h = nullptr;
  for (const char* n : names)
    if ((h = dlopen(n, RTLD_NOW | RTLD_GLOBAL))) break;
  if (!h) {
    *err = "cuBLAS (libcublas.so.13 or .12) could not be loaded: " + std::string(dlerror());
    return false;
  }
  cuda.cublasCreate = reinterpret_cast<decltype(cuda.cublasCreate)>(dlsym(h, "cublasCreate_v2"));
  cuda.cublasSetStream = reinterpret_cast<decltype(cuda.cublasSetStream)>(dlsym(h, "cublasSetStream_v2"));
  cuda.cublasSaxpy = reinterpret_cast<decltype(cuda.cublasSaxpy)>(dlsym(h, "cublasSaxpy_v2"));
  cuda.cublasSetPointerMode = reinterpret_cast<decltype(cuda.cublasSetPointerMode)>(dlsym(h, "cublasSetPointerMode_v2"));
  if (!cuda.cublasCreate || !cuda.cublasSetStream || !cuda.cublasSaxpy || !cuda.cublasSetPointerMode) {
    *err = "cuBLAS lacks cublasCreate_v2/cublasSetStream_v2/cublasSaxpy_v2";
    return false;
  }
  if (cuda.cublasCreate(&cuda.cublas) != 0) {
    *err = "cublasCreate failed";
    cuda.cublas = nullptr;
    return false;
  }
  cuda.cublasSetPointerMode(cuda.cublas, 0);  // CUBLAS_POINTER_MODE_HOST
  return true;
}

// ---- N-API helpers ----
struct JsError {
  std::string message;
};

void check(napi_env e, napi_status s, const char* what) {
  if (s != napi_ok) throw JsError{std::string("N-API call failed: ") + what};
}

void ortCheck(OrtStatus* st) {
  if (!st) return;
  std::string msg = ort->GetErrorMessage(st);
  ort->ReleaseStatus(st);
  throw JsError{msg};
}

void cudaCheck(int rc, const char* what) {
  if (rc != 0) throw JsError{std::string(what) + " failed: " + cuda.getErrorString(rc)};
}

std::string str(napi_env e, napi_value v) {
  size_t n = 0;
  check(e, napi_get_value_string_utf8(e, v, nullptr, 0, &n), "string length");
  std::string s(n, '\0');
  check(e, napi_get_value_string_utf8(e, v, s.data(), n + 1, &n), "string");
  return s;
}

napi_value prop(napi_env e, napi_value obj, const char* key) {
  bool has = false;
  check(e, napi_has_named_property(e, obj, key, &has), "has property");
  if (!has) return nullptr;
  napi_value v;
  check(e, napi_get_named_property(e, obj, key, &v), "get property");
  napi_valuetype t;
  check(e, napi_typeof(e, v, &t), "typeof");
  return t == napi_undefined || t == napi_null ? nullptr : v;
}

std::map<std::string, std::string> stringMap(napi_env e, napi_value obj) {
  std::map<std::string, std::string> out;
  if (!obj) return out;
  napi_value keys;
  check(e, napi_get_property_names(e, obj, &keys), "property names");
  uint32_t n;
  check(e, napi_get_array_length(e, keys, &n), "array length");
  for (uint32_t i = 0; i < n; i++) {
    napi_value k, v, vs;
    check(e, napi_get_element(e, keys, i, &k), "element");
    check(e, napi_get_property(e, obj, k, &v), "property");
    check(e, napi_coerce_to_string(e, v, &vs), "to string");
    out[str(e, k)] = str(e, vs);
  }
  return out;
}

std::vector<std::string> stringArray(napi_env e, napi_value arr) {
  std::vector<std::string> out;
  if (!arr) return out;
  uint32_t n;
  check(e, napi_get_array_length(e, arr, &n), "array length");
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    check(e, napi_get_element(e, arr, i, &v), "element");
    out.push_back(str(e, v));
  }
  return out;
}

std::vector<int64_t> dimsOf(napi_env e, napi_value arr) {
  std::vector<int64_t> out;
  uint32_t n;
  check(e, napi_get_array_length(e, arr, &n), "dims length");
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int64_t d;
    check(e, napi_get_element(e, arr, i, &v), "dims element");
    check(e, napi_get_value_int64(e, v, &d), "dims value");
    if (d < 0) throw JsError{"dims must be non-negative"};
    out.push_back(d);
  }
  return out;
}

struct ElemType {
  const char* name;
  ONNXTensorElementDataType type;
  size_t bytes;
};
const ElemType kTypes[] = {
    {"float32", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, 4},   {"float16", ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, 2},
    {"bfloat16", ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, 2}, {"int64", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, 8},
    {"int32", ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, 4},     {"bool", ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, 1},
};
const ElemType& typeByName(const std::string& n) {
  for (const auto& t : kTypes)
    if (n == t.name) return t;
  throw JsError{"unsupported element type " + n + " (float32, float16, bfloat16, int64, int32, bool)"};
}
const char* typeName(ONNXTensorElementDataType t) {
  for (const auto& k : kTypes)
    if (k.type == t) return k.name;
  return "other";
}

// ---- sessions and their bound buffers ----
struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
  const ElemType* type = nullptr;
  std::vector<int64_t> dims;
  OrtValue* value = nullptr;
  bool input = true;
  bool host = false;  // in host memory although the session is on CUDA (inputs that CPU-side kernels read: shapes, pads)
};

struct Session {
  OrtSession* session = nullptr;
  OrtIoBinding* binding = nullptr;
  OrtMemoryInfo* memInfo = nullptr;
  OrtMemoryInfo* hostInfo = nullptr;
  OrtRunOptions* runOptions = nullptr;
  bool cudaEp = false;
  int device = 0;
  cudaStream stream = nullptr;
  std::map<std::string, Buffer> buffers;
  bool busy = false;

  void freeBuffer(Buffer& b) {
    if (b.value) ort->ReleaseValue(b.value);
    if (b.data) {
      if (cudaEp && !b.host) cuda.free(b.data);
      else std::free(b.data);
    }
    b = Buffer{};
  }
  void release() {
    for (auto& [n, b] : buffers) freeBuffer(b);
    buffers.clear();
    if (binding) ort->ReleaseIoBinding(binding);
    if (session) ort->ReleaseSession(session);
    if (memInfo) ort->ReleaseMemoryInfo(memInfo);
    if (hostInfo) ort->ReleaseMemoryInfo(hostInfo);
    if (runOptions) ort->ReleaseRunOptions(runOptions);
    if (stream) cuda.streamDestroy(stream);
    binding = nullptr, session = nullptr, memInfo = nullptr, hostInfo = nullptr, runOptions = nullptr, stream = nullptr;
  }
  ~Session() { release(); }
};

Session* unwrap(napi_env e, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  check(e, napi_get_cb_info(e, info, argc, argv, &self, nullptr), "cb info");
  Session* s = nullptr;
  check(e, napi_unwrap(e, self, reinterpret_cast<void**>(&s)), "unwrap");
  if (!s || !s->session) throw JsError{"this native session was released"};
  return s;
}

#define JS_GUARD(...)                                     \
  try {                                                   \
    __VA_ARGS__                                           \
  } catch (const JsError& err) {                          \
    napi_throw_error(e, "ZIMAGE_NATIVE", err.message.c_str()); \
    return nullptr;                                       \
  }

// init(libonnxruntimePath): loads onnxruntime's C API from the given library and creates (or joins) the OrtEnv.
napi_value Init(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 1;
    napi_value argv[1];
    check(e, napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr), "cb info");
    if (argc < 1) throw JsError{"init(libonnxruntimePath) needs the path of libonnxruntime.so.1"};
    std::string path = str(e, argv[0]);
    if (!ort) {
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!h) throw JsError{"cannot load " + path + ": " + dlerror()};
      using GetApiBase = const OrtApiBase* (*)();
      auto base = reinterpret_cast<GetApiBase>(dlsym(h, "OrtGetApiBase"));
      if (!base) throw JsError{path + " exports no OrtGetApiBase"};
      const OrtApi* api = base()->GetApi(ORT_API_VERSION);
      if (!api) {
        throw JsError{path + " is onnxruntime " + base()->GetVersionString() + ", which lacks C API version " +
                      std::to_string(ORT_API_VERSION) + " (the headers this addon was built with)"};
      }
      ort = api;
      ortCheck(ort->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "zimage-native", &env));
    }
    napi_value v;
    check(e, napi_create_string_utf8(e, ORT_API_VERSION == 29 ? "1.29" : "?", NAPI_AUTO_LENGTH, &v), "string");
    return v;
  })
}

// new Session(modelPath, { ep, deviceId, cuda: {k: v}, userStream, customOps: [paths], config: {k: v},
//                          optLevel, memPattern, logLevel, intraThreads, profilePrefix })
napi_value SessionNew(napi_env e, napi_callback_info info) {
  JS_GUARD({
    if (!ort) throw JsError{"call init(libonnxruntimePath) first"};
    size_t argc = 2;
    napi_value argv[2], self;
    check(e, napi_get_cb_info(e, info, &argc, argv, &self, nullptr), "cb info");
    if (argc < 2) throw JsError{"new Session(modelPath, options)"};
    std::string model = str(e, argv[0]);
    napi_value o = argv[1];
    auto s = std::make_unique<Session>();
    napi_value v;
    std::string ep = (v = prop(e, o, "ep")) ? str(e, v) : "cpu";
    if (ep != "cpu" && ep != "cuda") throw JsError{"ep must be cpu or cuda, not " + ep};
    s->cudaEp = ep == "cuda";
    if ((v = prop(e, o, "deviceId"))) check(e, napi_get_value_int32(e, v, &s->device), "deviceId");

    OrtSessionOptions* so = nullptr;
    ortCheck(ort->CreateSessionOptions(&so));
    std::unique_ptr<OrtSessionOptions, void (*)(OrtSessionOptions*)> soGuard(so, [](OrtSessionOptions* p) { ort->ReleaseSessionOptions(p); });
    std::string level = (v = prop(e, o, "optLevel")) ? str(e, v) : "all";
    GraphOptimizationLevel gl = level == "disabled" ? ORT_DISABLE_ALL : level == "basic" ? ORT_ENABLE_BASIC
                                : level == "extended" ? ORT_ENABLE_EXTENDED : ORT_ENABLE_ALL;
    ortCheck(ort->SetSessionGraphOptimizationLevel(so, gl));
    int32_t logLevel = 3;
    if ((v = prop(e, o, "logLevel"))) check(e, napi_get_value_int32(e, v, &logLevel), "logLevel");
    ortCheck(ort->SetSessionLogSeverityLevel(so, logLevel));
    if ((v = prop(e, o, "intraThreads"))) {
      int32_t n;
      check(e, napi_get_value_int32(e, v, &n), "intraThreads");
      ortCheck(ort->SetIntraOpNumThreads(so, n));
    }
    if ((v = prop(e, o, "memPattern"))) {
      bool on;
      check(e, napi_get_value_bool(e, v, &on), "memPattern");
      ortCheck(on ? ort->EnableMemPattern(so) : ort->DisableMemPattern(so));
    }
    if ((v = prop(e, o, "profilePrefix"))) ortCheck(ort->EnableProfiling(so, str(e, v).c_str()));
    for (const auto& [k, val] : stringMap(e, prop(e, o, "config"))) ortCheck(ort->AddSessionConfigEntry(so, k.c_str(), val.c_str()));
    for (const auto& lib : stringArray(e, prop(e, o, "customOps"))) ortCheck(ort->RegisterCustomOpsLibrary_V2(so, lib.c_str()));

    if (s->cudaEp) {
      if (!loadCuda()) throw JsError{cuda.error};
      cudaCheck(cuda.setDevice(s->device), "cudaSetDevice");
      OrtCUDAProviderOptionsV2* co = nullptr;
      ortCheck(ort->CreateCUDAProviderOptions(&co));
      std::unique_ptr<OrtCUDAProviderOptionsV2, void (*)(OrtCUDAProviderOptionsV2*)> coGuard(co, [](OrtCUDAProviderOptionsV2* p) { ort->ReleaseCUDAProviderOptions(p); });
      auto opts = stringMap(e, prop(e, o, "cuda"));
      opts["device_id"] = std::to_string(s->device);
      std::vector<const char*> keys, vals;
      for (const auto& [k, val] : opts) keys.push_back(k.c_str()), vals.push_back(val.c_str());
      ortCheck(ort->UpdateCUDAProviderOptions(co, keys.data(), vals.data(), keys.size()));
      bool userStream = true;
      if ((v = prop(e, o, "userStream"))) check(e, napi_get_value_bool(e, v, &userStream), "userStream");
      if (userStream) {
        cudaCheck(cuda.streamCreateWithFlags(&s->stream, 1 /* cudaStreamNonBlocking */), "cudaStreamCreate");
        ortCheck(ort->UpdateCUDAProviderOptionsWithValue(co, "user_compute_stream", s->stream));
      }
      ortCheck(ort->SessionOptionsAppendExecutionProvider_CUDA_V2(so, co));
      ortCheck(ort->CreateMemoryInfo("Cuda", OrtDeviceAllocator, s->device, OrtMemTypeDefault, &s->memInfo));
    } else {
      ortCheck(ort->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &s->memInfo));
    }
    ortCheck(ort->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &s->hostInfo));
    ortCheck(ort->CreateSession(env, model.c_str(), so, &s->session));
    ortCheck(ort->CreateIoBinding(s->session, &s->binding));
    ortCheck(ort->CreateRunOptions(&s->runOptions));
    check(e, napi_wrap(e, self, s.release(), [](napi_env, void* p, void*) { delete static_cast<Session*>(p); }, nullptr, nullptr), "wrap");
    return self;
  })
}

// describe(): { inputs: [{name, type, dims}], outputs: [...] } (dynamic dims are -1)
napi_value SessionDescribe(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 0;
    Session* s = unwrap(e, info, &argc, nullptr);
    OrtAllocator* alloc;
    ortCheck(ort->GetAllocatorWithDefaultOptions(&alloc));
    napi_value result;
    check(e, napi_create_object(e, &result), "object");
    for (int out = 0; out < 2; out++) {
      size_t n;
      ortCheck(out ? ort->SessionGetOutputCount(s->session, &n) : ort->SessionGetInputCount(s->session, &n));
      napi_value arr;
      check(e, napi_create_array_with_length(e, n, &arr), "array");
      for (size_t i = 0; i < n; i++) {
        char* name;
        OrtTypeInfo* ti;
        ortCheck(out ? ort->SessionGetOutputName(s->session, i, alloc, &name) : ort->SessionGetInputName(s->session, i, alloc, &name));
        ortCheck(out ? ort->SessionGetOutputTypeInfo(s->session, i, &ti) : ort->SessionGetInputTypeInfo(s->session, i, &ti));
        const OrtTensorTypeAndShapeInfo* tsi;
        ortCheck(ort->CastTypeInfoToTensorInfo(ti, &tsi));
        ONNXTensorElementDataType et = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        size_t rank = 0;
        std::vector<int64_t> dims;
        if (tsi) {
          ortCheck(ort->GetTensorElementType(tsi, &et));
          ortCheck(ort->GetDimensionsCount(tsi, &rank));
          dims.resize(rank);
          ortCheck(ort->GetDimensions(tsi, dims.data(), rank));
        }
        napi_value item, nv, tv, dv;
        check(e, napi_create_object(e, &item), "object");
        check(e, napi_create_string_utf8(e, name, NAPI_AUTO_LENGTH, &nv), "string");
        check(e, napi_create_string_utf8(e, typeName(et), NAPI_AUTO_LENGTH, &tv), "string");
        check(e, napi_create_array_with_length(e, rank, &dv), "array");
        for (size_t d = 0; d < rank; d++) {
          napi_value x;
          check(e, napi_create_int64(e, dims[d], &x), "int");
          check(e, napi_set_element(e, dv, d, x), "set");
        }
        check(e, napi_set_named_property(e, item, "name", nv), "set");
        check(e, napi_set_named_property(e, item, "type", tv), "set");
        check(e, napi_set_named_property(e, item, "dims", dv), "set");
        check(e, napi_set_element(e, arr, i, item), "set");
        alloc->Free(alloc, name);
        ort->ReleaseTypeInfo(ti);
      }
      check(e, napi_set_named_property(e, result, out ? "outputs" : "inputs", arr), "set");
    }
    return result;
  })
}

// bind(name, 'input'|'output', type, dims, host?): a buffer on the session's device (or in host memory with host =
// true) at a fixed address, bound to the graph's input or output `name`. Rebinding a name with the same type, dims
// and place keeps the buffer (and its address).
napi_value SessionBind(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 5;
    napi_value argv[5];
    Session* s = unwrap(e, info, &argc, argv);
    if (argc < 4) throw JsError{"bind(name, 'input'|'output', type, dims, host?)"};
    bool host = false;
    if (argc > 4) check(e, napi_get_value_bool(e, argv[4], &host), "host flag");
    if (!s->cudaEp) host = true;
    std::string name = str(e, argv[0]), kind = str(e, argv[1]);
    if (kind != "input" && kind != "output") throw JsError{"bind: kind must be input or output"};
    const ElemType& t = typeByName(str(e, argv[2]));
    std::vector<int64_t> dims = dimsOf(e, argv[3]);
    size_t count = 1;
    for (int64_t d : dims) count *= static_cast<size_t>(d);
    auto it = s->buffers.find(name);
    if (it != s->buffers.end() && it->second.type == &t && it->second.dims == dims && it->second.input == (kind == "input") && it->second.host == host) return nullptr;
    if (it != s->buffers.end()) s->freeBuffer(it->second);
    Buffer b;
    b.type = &t, b.dims = dims, b.input = kind == "input", b.host = host;
    b.bytes = count * t.bytes;
    size_t alloc = b.bytes ? b.bytes : 1;
    if (!host) cudaCheck(cuda.malloc(&b.data, alloc), "cudaMalloc");
    else if (!(b.data = std::aligned_alloc(64, (alloc + 63) / 64 * 64))) throw JsError{"out of host memory"};
    ortCheck(ort->CreateTensorWithDataAsOrtValue(host ? s->hostInfo : s->memInfo, b.data, b.bytes, dims.data(), dims.size(), t.type, &b.value));
    if (b.input) ortCheck(ort->BindInput(s->binding, name.c_str(), b.value));
    else ortCheck(ort->BindOutput(s->binding, name.c_str(), b.value));
    s->buffers[name] = std::move(b);
    return nullptr;
  })
}

Buffer& bufferOf(Session* s, const std::string& name) {
  if (s->busy) throw JsError{"a run of this session is in flight: await it before touching its buffers"};
  auto it = s->buffers.find(name);
  if (it == s->buffers.end()) throw JsError{"no buffer is bound to " + name + " (call bind first)"};
  return it->second;
}

// kind: 0 host→host, 1 host→device, 2 device→host, 3 device→device (cudaMemcpyKind)
void copyBytes(Session* s, void* dst, const void* src, size_t n, int kind) {
  if (!n) return;
  if (kind != 0) {
    cudaCheck(cuda.memcpyAsync(dst, src, n, kind, s->stream), "cudaMemcpyAsync");
    cudaCheck(cuda.streamSynchronize(s->stream), "cudaStreamSynchronize");
  } else {
    std::memcpy(dst, src, n);
  }
}

// write(name, typedArray): host → the bound buffer (same byte length required).
napi_value SessionWrite(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 2;
    napi_value argv[2];
    Session* s = unwrap(e, info, &argc, argv);
    if (argc < 2) throw JsError{"write(name, typedArray)"};
    Buffer& b = bufferOf(s, str(e, argv[0]));
    bool isTyped = false;
    check(e, napi_is_typedarray(e, argv[1], &isTyped), "is typed array");
    if (!isTyped) throw JsError{"write: data must be a typed array"};
    napi_typedarray_type tt;
    size_t len;
    void* data;
    napi_value ab;
    size_t off;
    check(e, napi_get_typedarray_info(e, argv[1], &tt, &len, &data, &ab, &off), "typed array info");
    size_t bytes = len * (tt == napi_float32_array || tt == napi_int32_array || tt == napi_uint32_array ? 4
                          : tt == napi_uint16_array || tt == napi_int16_array ? 2
                          : tt == napi_bigint64_array || tt == napi_biguint64_array || tt == napi_float64_array ? 8 : 1);
    if (bytes != b.bytes) {
      throw JsError{"write " + str(e, argv[0]) + ": " + std::to_string(bytes) + " bytes given, the buffer holds " + std::to_string(b.bytes) +
                    " (" + b.type->name + ")"};
    }
    copyBytes(s, b.data, data, bytes, b.host ? 0 : 1);
    return nullptr;
  })
}

// read(name): the bound buffer → a new ArrayBuffer on the host (the caller views it with the right typed array).
napi_value SessionRead(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 1;
    napi_value argv[1];
    Session* s = unwrap(e, info, &argc, argv);
    Buffer& b = bufferOf(s, str(e, argv[0]));
    void* data;
    napi_value ab;
    check(e, napi_create_arraybuffer(e, b.bytes, &data, &ab), "array buffer");
    copyBytes(s, data, b.data, b.bytes, b.host ? 0 : 2);
    return ab;
  })
}

// copyFrom(name, otherSession, otherName): device-to-device (or host) copy between bound buffers of equal size.
napi_value SessionCopyFrom(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 3;
    napi_value argv[3];
    Session* s = unwrap(e, info, &argc, argv);
    if (argc < 3) throw JsError{"copyFrom(name, otherSession, otherName)"};
    Session* o = nullptr;
    check(e, napi_unwrap(e, argv[1], reinterpret_cast<void**>(&o)), "unwrap other");
    if (!o || !o->session) throw JsError{"copyFrom: the other session was released"};
    if (o->cudaEp != s->cudaEp) throw JsError{"copyFrom: both sessions must be on the same execution provider"};
    Buffer& dst = bufferOf(s, str(e, argv[0]));
    Buffer& src = bufferOf(o, str(e, argv[2]));
    if (dst.bytes != src.bytes) throw JsError{"copyFrom: sizes differ (" + std::to_string(src.bytes) + " → " + std::to_string(dst.bytes) + " bytes)"};
    if (o != s && o->cudaEp) cudaCheck(cuda.streamSynchronize(o->stream), "cudaStreamSynchronize");
    copyBytes(s, dst.data, src.data, dst.bytes, (src.host ? 0 : 2) | (dst.host ? 0 : 1));
    return nullptr;
  })
}

// axpy(name, alpha, otherSession, otherName): float32 buffers, name += alpha · other (cuBLAS on CUDA).
napi_value SessionAxpy(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 4;
    napi_value argv[4];
    Session* s = unwrap(e, info, &argc, argv);
    if (argc < 4) throw JsError{"axpy(name, alpha, otherSession, otherName)"};
    double alpha;
    check(e, napi_get_value_double(e, argv[1], &alpha), "alpha");
    Session* o = nullptr;
    check(e, napi_unwrap(e, argv[2], reinterpret_cast<void**>(&o)), "unwrap other");
    if (!o || !o->session || o->cudaEp != s->cudaEp) throw JsError{"axpy: the other session is released or on another provider"};
    Buffer& y = bufferOf(s, str(e, argv[0]));
    Buffer& x = bufferOf(o, str(e, argv[3]));
    if (y.type->type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || x.type->type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || x.bytes != y.bytes)
      throw JsError{"axpy needs two float32 buffers of one size"};
    int n = static_cast<int>(y.bytes / 4);
    float a = static_cast<float>(alpha);
    if (x.host != y.host) throw JsError{"axpy: both buffers must be on the device or both on the host"};
    if (!y.host) {
      std::string err;
      if (!loadCublas(&err)) throw JsError{err};
      if (o != s) cudaCheck(cuda.streamSynchronize(o->stream), "cudaStreamSynchronize");
      if (cuda.cublasSetStream(cuda.cublas, s->stream) != 0) throw JsError{"cublasSetStream failed"};
      if (cuda.cublasSaxpy(cuda.cublas, n, &a, static_cast<float*>(x.data), 1, static_cast<float*>(y.data), 1) != 0) throw JsError{"cublasSaxpy failed"};
      cudaCheck(cuda.streamSynchronize(s->stream), "cudaStreamSynchronize");
    } else {
      float* yd = static_cast<float*>(y.data);
      const float* xd = static_cast<const float*>(x.data);
      for (int i = 0; i < n; i++) yd[i] += a * xd[i];
    }
    return nullptr;
  })
}

// run(): RunWithBinding off the JS thread; a Promise that resolves when the outputs are in their buffers.
struct RunWork {
  Session* s;
  napi_deferred deferred;
  napi_async_work work;
  std::string error;
};

napi_value SessionRun(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 0;
    Session* s = unwrap(e, info, &argc, nullptr);
    if (s->busy) throw JsError{"run: this session is already running (await the previous run)"};
    auto* w = new RunWork{s, nullptr, nullptr, ""};
    napi_value promise, name;
    check(e, napi_create_promise(e, &w->deferred, &promise), "promise");
    check(e, napi_create_string_utf8(e, "zimage-native-run", NAPI_AUTO_LENGTH, &name), "string");
    check(e, napi_create_async_work(e, nullptr, name,
        [](napi_env, void* p) {
          auto* w = static_cast<RunWork*>(p);
          OrtStatus* st = ort->RunWithBinding(w->s->session, w->s->runOptions, w->s->binding);
          if (!st && w->s->cudaEp) {
            int rc = cuda.streamSynchronize(w->s->stream);
            if (rc) w->error = std::string("cudaStreamSynchronize after run failed: ") + cuda.getErrorString(rc);
          }
          if (st) {
            w->error = ort->GetErrorMessage(st);
            ort->ReleaseStatus(st);
          }
        },
        [](napi_env e, napi_status, void* p) {
          auto* w = static_cast<RunWork*>(p);
          w->s->busy = false;
          if (w->error.empty()) {
            napi_value u;
            napi_get_undefined(e, &u);
            napi_resolve_deferred(e, w->deferred, u);
          } else {
            napi_value msg, err, code;
            napi_create_string_utf8(e, w->error.c_str(), NAPI_AUTO_LENGTH, &msg);
            napi_create_string_utf8(e, "ZIMAGE_NATIVE", NAPI_AUTO_LENGTH, &code);
            napi_create_error(e, code, msg, &err);
            napi_reject_deferred(e, w->deferred, err);
          }
          napi_delete_async_work(e, w->work);
          delete w;
        },
        w, &w->work), "async work");
    s->busy = true;
    check(e, napi_queue_async_work(e, w->work), "queue");
    return promise;
  })
}

// endProfiling(): the profile file's path.
napi_value SessionEndProfiling(napi_env e, napi_callback_info info) {
  JS_GUARD({
    size_t argc = 0;
    Session* s = unwrap(e, info, &argc, nullptr);
    OrtAllocator* alloc;
    ortCheck(ort->GetAllocatorWithDefaultOptions(&alloc));
    char* file;
    ortCheck(ort->SessionEndProfiling(s->session, alloc, &file));
    napi_value v;
    check(e, napi_create_string_utf8(e, file, NAPI_AUTO_LENGTH, &v), "string");
    alloc->Free(alloc, file);
    return v;
  })
}

napi_value SessionRelease(napi_env e, napi_callback_info info) {
  JS_GUARD({
    napi_value self;
    size_t argc = 0;
    check(e, napi_get_cb_info(e, info, &argc, nullptr, &self, nullptr), "cb info");
    Session* s = nullptr;
    check(e, napi_unwrap(e, self, reinterpret_cast<void**>(&s)), "unwrap");
    if (s && s->busy) throw JsError{"release: a run is still in flight"};
    if (s) s->release();
    return nullptr;
  })
}

// deviceMemory(): { free, total } bytes of the current CUDA device (for VRAM peaks), or null without CUDA.
napi_value DeviceMemory(napi_env e, napi_callback_info) {
  JS_GUARD({
    napi_value v;
    if (!loadCuda()) {
      check(e, napi_get_null(e, &v), "null");
      return v;
    }
    size_t fr = 0, total = 0;
    cudaCheck(cuda.memGetInfo(&fr, &total), "cudaMemGetInfo");
    napi_value f, t;
    check(e, napi_create_object(e, &v), "object");
    check(e, napi_create_double(e, static_cast<double>(fr), &f), "double");
    check(e, napi_create_double(e, static_cast<double>(total), &t), "double");
    check(e, napi_set_named_property(e, v, "free", f), "set");
    check(e, napi_set_named_property(e, v, "total", t), "set");
    return v;
  })
}

napi_value ModuleInit(napi_env e, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"describe", nullptr, SessionDescribe, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bind", nullptr, SessionBind, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"write", nullptr, SessionWrite, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"read", nullptr, SessionRead, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyFrom", nullptr, SessionCopyFrom, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"axpy", nullptr, SessionAxpy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, SessionRun, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"endProfiling", nullptr, SessionEndProfiling, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"release", nullptr, SessionRelease, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value cls, fn;
  napi_define_class(e, "Session", NAPI_AUTO_LENGTH, SessionNew, nullptr, sizeof(methods) / sizeof(methods[0]), methods, &cls);
  napi_set_named_property(e, exports, "Session", cls);
  napi_create_function(e, "init", NAPI_AUTO_LENGTH, Init, nullptr, &fn);
  napi_set_named_property(e, exports, "init", fn);
  napi_create_function(e, "deviceMemory", NAPI_AUTO_LENGTH, DeviceMemory, nullptr, &fn);
  napi_set_named_property(e, exports, "deviceMemory", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)
