// Fused bf16 CUDA kernels as an onnxruntime custom-op library (issue 20), domain "zimage", CUDA EP only:
//   SwiGLU(a, b)                       = silu(a)·b                   (the w1/w3 outputs of the DiT's feed-forward)
//   QkNormRope(x, w, cos, sin, pos)    = RotaryEmbedding(RMSNorm_D(x)·w) per head, interleaved pairs
//                                        (the DiT's q/k: Reshape → RMSNormalization over head_dim → Reshape →
//                                        com.microsoft RotaryEmbedding(interleaved=1), in one pass)
// Each keeps the unfused graph's roundings (silu rounded to bf16 before the product; the normalized value rounded
// to bf16 before the rotation) so the parity test compares against onnxruntime's own kernels at bf16 tolerance.
// Built by `npm run setup:gpu` with nvcc for sm_80 and sm_90 (native/kernels/build.sh). Kernels launch on
// onnxruntime's compute stream and allocate nothing, so a session capturing CUDA graphs can replay them.
// It deliberately has no CPU kernels: graphs using these ops are CUDA-only, like the bf16 graphs they live in.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "onnxruntime_c_api.h"

namespace {

const OrtApi* api = nullptr;

// ---------------------------------------------------------------- kernels
__device__ __forceinline__ float bf(const __nv_bfloat16 v) { return __bfloat162float(v); }

// 8 bf16 (16 bytes) per thread per iteration; a grid-stride loop; scalar tail.
__global__ void swiglu_kernel(const __nv_bfloat16* __restrict__ a, const __nv_bfloat16* __restrict__ b,
                              __nv_bfloat16* __restrict__ y, int64_t n) {
  const int64_t vecs = n / 8;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < vecs; i += stride) {
    uint4 va = reinterpret_cast<const uint4*>(a)[i];
    uint4 vb = reinterpret_cast<const uint4*>(b)[i];
    uint4 vy;
    const __nv_bfloat16* pa = reinterpret_cast<const __nv_bfloat16*>(&va);
    const __nv_bfloat16* pb = reinterpret_cast<const __nv_bfloat16*>(&vb);
    __nv_bfloat16* py = reinterpret_cast<__nv_bfloat16*>(&vy);
#pragma unroll
    for (int k = 0; k < 8; k++) {
      float x = bf(pa[k]);
      float s = bf(__float2bfloat16(x / (1.f + __expf(-x))));  // QuickGelu(alpha=1) output, rounded like the graph
      py[k] = __float2bfloat16(s * bf(pb[k]));
    }
    reinterpret_cast<uint4*>(y)[i] = vy;
  }
  for (int64_t i = vecs * 8 + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    float x = bf(a[i]);
    float s = bf(__float2bfloat16(x / (1.f + __expf(-x))));
    y[i] = __float2bfloat16(s * bf(b[i]));
  }
}

// One warp per (token, head): D values, lanes own interleaved pairs (2·lane, 2·lane+1), (2·lane+64, …), …
// Sum of squares in fp32 by warp shuffle; y = bf16(x·rsqrt(mean+eps)·w); rotate pair j with cos/sin[pos, j].
template <int D>
__global__ void qk_norm_rope_kernel(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ w,
                                    const __nv_bfloat16* __restrict__ cosT, const __nv_bfloat16* __restrict__ sinT,
                                    const int64_t* __restrict__ pos, int posMode, int64_t rows, int heads, int seq,
                                    float eps, __nv_bfloat16* __restrict__ y) {
  constexpr int P = D / 64;  // pairs per lane
  const int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const int64_t token = row / heads;  // row = (b·S + s)·H + h
  const __nv_bfloat162* xr = reinterpret_cast<const __nv_bfloat162*>(x + row * D);
  float2 v[P];
  float ss = 0.f;
#pragma unroll
  for (int p = 0; p < P; p++) {
    v[p] = __bfloat1622float2(xr[lane + 32 * p]);
    ss += v[p].x * v[p].x + v[p].y * v[p].y;
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  const float inv = rsqrtf(ss / D + eps);
  // position: per token ([B,S] ids) or an offset ([1]) plus the token's index in its sequence
  const int64_t s = token % seq;
  const int64_t at = posMode == 0 ? pos[token] : pos[0] + s;
  __nv_bfloat162* yr = reinterpret_cast<__nv_bfloat162*>(y + row * D);
#pragma unroll
  for (int p = 0; p < P; p++) {
    const int j = lane + 32 * p;  // pair index in [0, D/2)
    const float a = bf(__float2bfloat16(v[p].x * inv * bf(w[2 * j])));
    const float b = bf(__float2bfloat16(v[p].y * inv * bf(w[2 * j + 1])));
    const float c = bf(cosT[at * (D / 2) + j]), sn = bf(sinT[at * (D / 2) + j]);
    yr[j] = __floats2bfloat162_rn(a * c - b * sn, a * sn + b * c);
  }
}

// ---------------------------------------------------------------- onnxruntime glue
OrtStatus* fail(const std::string& msg) { return api->CreateStatus(ORT_RUNTIME_EXCEPTION, msg.c_str()); }

#define ORT_TRY(expr)                \
  do {                               \
    OrtStatus* _s = (expr);          \
    if (_s) return _s;               \
  } while (0)

struct Tensor {
  const OrtValue* value = nullptr;
  std::vector<int64_t> dims;
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  int64_t count = 1;
};

OrtStatus* input(OrtKernelContext* ctx, size_t i, Tensor* t) {
  ORT_TRY(api->KernelContext_GetInput(ctx, i, &t->value));
  OrtTensorTypeAndShapeInfo* info;
  ORT_TRY(api->GetTensorTypeAndShape(t->value, &info));
  size_t rank;
  api->GetDimensionsCount(info, &rank);
  t->dims.resize(rank);
  api->GetDimensions(info, t->dims.data(), rank);
  api->GetTensorElementType(info, &t->type);
  api->ReleaseTensorTypeAndShapeInfo(info);
  t->count = 1;
  for (int64_t d : t->dims) t->count *= d;
  return nullptr;
}

template <typename T>
OrtStatus* data(const OrtValue* v, const T** out) {
  void* p;
  ORT_TRY(api->GetTensorMutableData(const_cast<OrtValue*>(v), &p));
  *out = static_cast<const T*>(p);
  return nullptr;
}

OrtStatus* launched(const char* op) {
  cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : fail(std::string(op) + ": kernel launch failed: " + cudaGetErrorString(e));
}

struct Kernel {
  int heads = 0;
  float eps = 1e-6f;
};

struct OpBase : OrtCustomOp {
  const char* name;
  std::vector<ONNXTensorElementDataType> inputs;
  OpBase(const char* n, std::vector<ONNXTensorElementDataType> in) : OrtCustomOp{}, name(n), inputs(std::move(in)) {
    version = ORT_API_VERSION;
    GetName = [](const OrtCustomOp* op) { return static_cast<const OpBase*>(op)->name; };
    GetExecutionProviderType = [](const OrtCustomOp*) { return "CUDAExecutionProvider"; };
    GetInputType = [](const OrtCustomOp* op, size_t i) { return static_cast<const OpBase*>(op)->inputs[i]; };
    GetInputTypeCount = [](const OrtCustomOp* op) { return static_cast<const OpBase*>(op)->inputs.size(); };
    GetOutputType = [](const OrtCustomOp*, size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16; };
    GetOutputTypeCount = [](const OrtCustomOp*) { return size_t{1}; };
    GetInputCharacteristic = [](const OrtCustomOp*, size_t) { return INPUT_OUTPUT_REQUIRED; };
    GetOutputCharacteristic = [](const OrtCustomOp*, size_t) { return INPUT_OUTPUT_REQUIRED; };
    GetInputMemoryType = [](const OrtCustomOp*, size_t) { return OrtMemTypeDefault; };
    GetVariadicInputMinArity = [](const OrtCustomOp*) { return 1; };
    GetVariadicInputHomogeneity = [](const OrtCustomOp*) { return 0; };
    GetVariadicOutputMinArity = [](const OrtCustomOp*) { return 1; };
    GetVariadicOutputHomogeneity = [](const OrtCustomOp*) { return 0; };
    GetStartVersion = [](const OrtCustomOp*) { return 1; };
    GetEndVersion = [](const OrtCustomOp*) { return INT_MAX; };
    GetMayInplace = [](int**, int**) { return size_t{0}; };
    ReleaseMayInplace = [](int*, int*) {};
    GetAliasMap = [](int**, int**) { return size_t{0}; };
    ReleaseAliasMap = [](int*, int*) {};
    KernelDestroy = [](void* k) { delete static_cast<Kernel*>(k); };
    CreateKernelV2 = [](const OrtCustomOp*, const OrtApi* a, const OrtKernelInfo* info, void** out) -> OrtStatus* {
      auto* k = new Kernel;
      int64_t h = 0;
      float e = 0;
      // optional attributes: a missing one leaves the default (its status is released, not returned)
      if (OrtStatus* s = a->KernelInfoGetAttribute_int64(info, "num_heads", &h)) a->ReleaseStatus(s);
      else k->heads = static_cast<int>(h);
      if (OrtStatus* s = a->KernelInfoGetAttribute_float(info, "epsilon", &e)) a->ReleaseStatus(s);
      else k->eps = e;
      *out = k;
      return nullptr;
    };
  }
};

OrtStatus* SwigluCompute(void*, OrtKernelContext* ctx) {
  Tensor a, b;
  ORT_TRY(input(ctx, 0, &a));
  ORT_TRY(input(ctx, 1, &b));
  if (a.dims != b.dims) return fail("SwiGLU: a and b must have the same shape");
  OrtValue* out;
  ORT_TRY(api->KernelContext_GetOutput(ctx, 0, a.dims.data(), a.dims.size(), &out));
  const __nv_bfloat16 *pa, *pb;
  __nv_bfloat16* py;
  ORT_TRY(data(a.value, &pa));
  ORT_TRY(data(b.value, &pb));
  ORT_TRY(api->GetTensorMutableData(out, reinterpret_cast<void**>(&py)));
  void* stream;
  ORT_TRY(api->KernelContext_GetGPUComputeStream(ctx, &stream));
  if (a.count == 0) return nullptr;
  if ((reinterpret_cast<uintptr_t>(pa) | reinterpret_cast<uintptr_t>(pb) | reinterpret_cast<uintptr_t>(py)) % 16)
    return fail("SwiGLU: buffers must be 16-byte aligned");
  const int threads = 256;
  int64_t blocks = (a.count / 8 + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535 * 8) blocks = 65535 * 8;
  swiglu_kernel<<<static_cast<unsigned>(blocks), threads, 0, static_cast<cudaStream_t>(stream)>>>(pa, pb, py, a.count);
  return launched("SwiGLU");
}

OrtStatus* QkNormRopeCompute(void* k, OrtKernelContext* ctx) {
  const Kernel& kern = *static_cast<Kernel*>(k);
  Tensor x, w, c, s, p;
  ORT_TRY(input(ctx, 0, &x));
  ORT_TRY(input(ctx, 1, &w));
  ORT_TRY(input(ctx, 2, &c));
  ORT_TRY(input(ctx, 3, &s));
  ORT_TRY(input(ctx, 4, &p));
  if (x.dims.size() != 3 || kern.heads <= 0 || x.dims[2] % kern.heads) return fail("QkNormRope: x must be [B,S,H·D] and num_heads must divide H·D");
  const int64_t D = x.dims[2] / kern.heads;
  if (w.count != D) return fail("QkNormRope: the norm weight must have head_dim values");
  if (c.dims.size() != 2 || c.dims[1] != D / 2 || s.dims != c.dims) return fail("QkNormRope: cos and sin must be [max_pos, head_dim/2]");
  const int64_t B = x.dims[0], S = x.dims[1];
  int posMode;
  if (p.count == B * S && p.dims.size() == 2) posMode = 0;
  else if (p.count == 1) posMode = 1;
  else return fail("QkNormRope: position ids must be [B,S] or [1] (an offset)");
  OrtValue* out;
  ORT_TRY(api->KernelContext_GetOutput(ctx, 0, x.dims.data(), x.dims.size(), &out));
  const __nv_bfloat16 *px, *pw, *pc, *ps;
  const int64_t* pp;
  __nv_bfloat16* py;
  ORT_TRY(data(x.value, &px));
  ORT_TRY(data(w.value, &pw));
  ORT_TRY(data(c.value, &pc));
  ORT_TRY(data(s.value, &ps));
  ORT_TRY(data(p.value, &pp));
  ORT_TRY(api->GetTensorMutableData(out, reinterpret_cast<void**>(&py)));
  void* stream;
  ORT_TRY(api->KernelContext_GetGPUComputeStream(ctx, &stream));
  const int64_t rows = B * S * kern.heads;
  if (rows == 0) return nullptr;
  const int threads = 256;  // 8 rows per block
  const unsigned blocks = static_cast<unsigned>((rows * 32 + threads - 1) / threads);
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  switch (D) {
    case 64: qk_norm_rope_kernel<64><<<blocks, threads, 0, st>>>(px, pw, pc, ps, pp, posMode, rows, kern.heads, static_cast<int>(S), kern.eps, py); break;
    case 128: qk_norm_rope_kernel<128><<<blocks, threads, 0, st>>>(px, pw, pc, ps, pp, posMode, rows, kern.heads, static_cast<int>(S), kern.eps, py); break;
    case 256: qk_norm_rope_kernel<256><<<blocks, threads, 0, st>>>(px, pw, pc, ps, pp, posMode, rows, kern.heads, static_cast<int>(S), kern.eps, py); break;
    default: return fail("QkNormRope: head_dim must be 64, 128 or 256, not " + std::to_string(D));
  }
  return launched("QkNormRope");
}

struct Swiglu : OpBase {
  Swiglu() : OpBase("SwiGLU", {ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16}) {
    KernelComputeV2 = [](void* k, OrtKernelContext* ctx) { return SwigluCompute(k, ctx); };
  }
};
struct QkNormRope : OpBase {
  QkNormRope()
      : OpBase("QkNormRope", {ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16,
                              ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16,
                              ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64}) {
    KernelComputeV2 = [](void* k, OrtKernelContext* ctx) { return QkNormRopeCompute(k, ctx); };
  }
};

Swiglu swigluOp;
QkNormRope qkNormRopeOp;
std::mutex domainMutex;
OrtCustomOpDomain* domain = nullptr;

}  // namespace

extern "C" __attribute__((visibility("default"))) OrtStatus* RegisterCustomOps(OrtSessionOptions* options, const OrtApiBase* base) {
  api = base->GetApi(ORT_API_VERSION);
  if (!api) return nullptr;  // cannot even report: the caller's onnxruntime is older than these headers
  std::lock_guard<std::mutex> lock(domainMutex);
  if (!domain) {
    ORT_TRY(api->CreateCustomOpDomain("zimage", &domain));
    ORT_TRY(api->CustomOpDomain_Add(domain, &swigluOp));
    ORT_TRY(api->CustomOpDomain_Add(domain, &qkNormRopeOp));
  }
  return api->AddCustomOpDomain(options, domain);
}
