#include "llm/quants.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "util/error.h"

namespace sweinfer::llm {

namespace {

constexpr int kSuper = 256;  // values per k-quant super-block (QK_K)

float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return HalfToFloat(h);
}
void PutHalf(uint8_t* p, float f) {
  const uint16_t h = FloatToHalf(f);
  std::memcpy(p, &h, 2);
}
// A float rounded to the nearest integer the way ggml does it (ties to even, through the mantissa).
int NearestInt(float f) {
  float v = f + 12582912.f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// ---- Layouts (byte offsets inside one block) ----------------------------------------------------
// Q4_0: d f16 | qs[16]               Q4_1: d f16 | m f16 | qs[16]
// Q5_0: d f16 | qh[4] | qs[16]       Q5_1: d f16 | m f16 | qh[4] | qs[16]
// Q8_0: d f16 | qs[32] (int8)        Q8_1: d f16 | s f16 | qs[32] (int8)
// Q4_K: d f16 | dmin f16 | scales[12] | qs[128]
// Q5_K: d f16 | dmin f16 | scales[12] | qh[32] | qs[128]
// Q6_K: ql[128] | qh[64] | scales[16] (int8) | d f16
// Q8_K: d f32 | qs[256] (int8) | bsums[16] (int16)

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (get_scale_min_k4).
void ScaleMin(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void PackScaleMin(int j, uint8_t ls, uint8_t lm, uint8_t* scales) {
  if (j < 4) {
    scales[j] = ls;
    scales[j + 4] = lm;
  } else {
    scales[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
    scales[j - 4] |= ((ls >> 4) << 6);
    scales[j] |= ((lm >> 4) << 6);
  }
}

// ---- Dequantization -----------------------------------------------------------------------------

void DequantQ4_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  for (int j = 0; j < 16; ++j) {
    y[j] = ((b[2 + j] & 0x0F) - 8) * d;
    y[j + 16] = ((b[2 + j] >> 4) - 8) * d;
  }
}
void DequantQ4_1(const uint8_t* b, float* y) {
  const float d = Half(b), m = Half(b + 2);
  for (int j = 0; j < 16; ++j) {
    y[j] = (b[4 + j] & 0x0F) * d + m;
    y[j + 16] = (b[4 + j] >> 4) * d + m;
  }
}
void DequantQ5_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  for (int j = 0; j < 16; ++j) {
    const int x0 = ((b[6 + j] & 0x0F) | (((qh >> j) << 4) & 0x10)) - 16;
    const int x1 = ((b[6 + j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
    y[j] = x0 * d;
    y[j + 16] = x1 * d;
  }
}
void DequantQ5_1(const uint8_t* b, float* y) {
  const float d = Half(b), m = Half(b + 2);
  uint32_t qh;
  std::memcpy(&qh, b + 4, 4);
  for (int j = 0; j < 16; ++j) {
    const int x0 = (b[8 + j] & 0x0F) | (((qh >> j) << 4) & 0x10);
    const int x1 = (b[8 + j] >> 4) | ((qh >> (j + 12)) & 0x10);
    y[j] = x0 * d + m;
    y[j + 16] = x1 * d + m;
  }
}
void DequantQ8_0(const uint8_t* b, float* y) {
  const float d = Half(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<int8_t>(b[2 + j]) * d;
}
void DequantQ4_K(const uint8_t* b, float* y) {
  const float d = Half(b), min = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* q = b + 16;
  for (int j = 0, is = 0; j < kSuper; j += 64, is += 2, q += 32) {
    uint8_t sc, m;
    ScaleMin(is, scales, sc, m);
    const float d1 = d * sc, m1 = min * m;
    ScaleMin(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
  }
}
void DequantQ5_K(const uint8_t* b, float* y) {
  const float d = Half(b), min = Half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* ql = b + 48;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < kSuper; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
    uint8_t sc, m;
    ScaleMin(is, scales, sc, m);
    const float d1 = d * sc, m1 = min * m;
    ScaleMin(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
  }
}
void DequantQ6_K(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = Half(b + 208);
  for (int n = 0; n < kSuper; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int8_t q1 = static_cast<int8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int8_t q2 = static_cast<int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int8_t q3 = static_cast<int8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int8_t q4 = static_cast<int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * sc[is] * q1;
      y[l + 32] = d * sc[is + 2] * q2;
      y[l + 64] = d * sc[is + 4] * q3;
      y[l + 96] = d * sc[is + 6] * q4;
    }
  }
}

// ---- Reference quantizers -----------------------------------------------------------------------

void QuantQ4_0(const float* x, uint8_t* b) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -8, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  for (int j = 0; j < 16; ++j) {
    const uint8_t x0 = std::min<int>(15, static_cast<int8_t>(x[j] * id + 8.5f));
    const uint8_t x1 = std::min<int>(15, static_cast<int8_t>(x[j + 16] * id + 8.5f));
    b[2 + j] = x0 | (x1 << 4);
  }
}
void QuantQ4_1(const float* x, uint8_t* b) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < 32; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  const float d = (max - min) / 15, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  PutHalf(b + 2, min);
  for (int j = 0; j < 16; ++j) {
    const uint8_t x0 = std::min<int>(15, static_cast<int8_t>((x[j] - min) * id + 0.5f));
    const uint8_t x1 = std::min<int>(15, static_cast<int8_t>((x[j + 16] - min) * id + 0.5f));
    b[4 + j] = x0 | (x1 << 4);
  }
}
void QuantQ5_0(const float* x, uint8_t* b) {
  float amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -16, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    const uint8_t x0 = std::min<int>(31, static_cast<int8_t>(x[j] * id + 16.5f));
    const uint8_t x1 = std::min<int>(31, static_cast<int8_t>(x[j + 16] * id + 16.5f));
    b[6 + j] = (x0 & 0x0F) | ((x1 & 0x0F) << 4);
    qh |= ((x0 & 0x10u) >> 4) << j;
    qh |= ((x1 & 0x10u) >> 4) << (j + 16);
  }
  std::memcpy(b + 2, &qh, 4);
}
void QuantQ5_1(const float* x, uint8_t* b) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < 32; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  const float d = (max - min) / 31, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  PutHalf(b + 2, min);
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    const uint8_t x0 = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
    const uint8_t x1 = static_cast<uint8_t>((x[j + 16] - min) * id + 0.5f);
    b[8 + j] = (x0 & 0x0F) | ((x1 & 0x0F) << 4);
    qh |= ((x0 & 0x10u) >> 4) << j;
    qh |= ((x1 & 0x10u) >> 4) << (j + 16);
  }
  std::memcpy(b + 4, &qh, 4);
}
void QuantQ8_0(const float* x, uint8_t* b) {
  float amax = 0;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
}
void QuantQ8_1(const float* x, uint8_t* b) {
  float amax = 0;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127, id = d != 0 ? 1.0f / d : 0.0f;
  PutHalf(b, d);
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    const int8_t q = static_cast<int8_t>(std::round(x[j] * id));
    b[4 + j] = static_cast<uint8_t>(q);
    sum += q;
  }
  PutHalf(b + 2, sum * d);
}

// Scale and min of a sub-block with asymmetric levels 0..nmax, searched as ggml's make_qkx2_quants.
float MakeQkx2(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min, uint8_t* Laux,
               float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0], sum_w = weights[0], sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill_n(L, n, 0);
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min), scale = 1 / iscale, best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = NearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * (diff * diff);
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * Laux[i] + this_min - x[i];
        cur_error += weights[i] * (diff * diff);
      }
      if (cur_error < best_error) {
        std::copy_n(Laux, n, L);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// Q4_K and Q5_K share everything but the number of levels and the search range.
void QuantKWithMins(const float* x, uint8_t* b, int nmax, float rmin, float rdelta, int nstep, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32], mins[8], scales[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = MakeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, rdelta, nstep);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t* packed = b + 4;
  std::memset(packed, 0, 12);
  for (int j = 0; j < 8; ++j) {
    uint8_t ls = static_cast<uint8_t>(NearestInt(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(NearestInt(inv_min * mins[j]));
    PackScaleMin(j, std::min<uint8_t>(63, ls), std::min<uint8_t>(63, lm), packed);
  }
  PutHalf(b, max_scale / 63.f);
  PutHalf(b + 2, max_min / 63.f);
  const float d_all = Half(b), min_all = Half(b + 2);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    ScaleMin(j, packed, sc, m);
    const float d = d_all * sc;
    if (d == 0) continue;
    const float dm = min_all * m;
    for (int ii = 0; ii < 32; ++ii) {
      const int l = NearestInt((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    }
  }
}

void QuantQ4_K(const float* x, uint8_t* b) {
  uint8_t L[kSuper];
  QuantKWithMins(x, b, 15, -1.f, 0.1f, 20, L);
  uint8_t* q = b + 16;
  for (int j = 0; j < kSuper; j += 64, q += 32) {
    for (int l = 0; l < 32; ++l) q[l] = L[j + l] | (L[j + l + 32] << 4);
  }
}

void QuantQ5_K(const float* x, uint8_t* b) {
  uint8_t L[kSuper];
  QuantKWithMins(x, b, 31, -0.5f, 0.1f, 15, L);
  uint8_t* qh = b + 16;
  uint8_t* ql = b + 48;
  std::memset(qh, 0, 32);
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < kSuper; n += 64, m1 <<= 2, m2 <<= 2, ql += 32) {
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) {
        l1 -= 16;
        qh[j] |= m1;
      }
      if (l2 > 15) {
        l2 -= 16;
        qh[j] |= m2;
      }
      ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
    }
  }
}

// Symmetric levels -nmax..nmax-1 for a Q6_K sub-block (make_qx_quants with rmse_type 1).
float MakeQx(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < 1e-15f) {
    std::fill_n(L, n, 0);
    return 0.f;
  }
  float iscale = -nmax / max, sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = NearestInt(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = NearestInt(iscale * x[i]);
        L[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

void QuantQ6_K(const float* x, uint8_t* b) {
  int8_t L[kSuper];
  float scales[16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < 16; ++ib) {
    scales[ib] = MakeQx(16, 32, x + 16 * ib, L + 16 * ib);
    if (std::fabs(scales[ib]) > max_abs_scale) {
      max_abs_scale = std::fabs(scales[ib]);
      max_scale = scales[ib];
    }
  }
  std::memset(b, 0, 210);
  if (max_abs_scale < 1e-15f) return;  // all zero (d = +0)
  int8_t* sc = reinterpret_cast<int8_t*>(b + 192);
  const float iscale = -128.f / max_scale;
  PutHalf(b + 208, 1 / iscale);
  for (int ib = 0; ib < 16; ++ib) sc[ib] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[ib])));
  const float d_all = Half(b + 208);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * sc[j];
    if (d == 0) continue;
    for (int ii = 0; ii < 16; ++ii) {
      const int l = NearestInt(x[16 * j + ii] / d);
      L[16 * j + ii] = static_cast<int8_t>(std::max(-32, std::min(31, l)) + 32);
    }
  }
  uint8_t* ql = b;
  uint8_t* qh = b + 128;
  for (int j = 0; j < kSuper; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = q1 | (q3 << 4);
      ql[l + 32] = q2 | (q4 << 4);
      qh[l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
    }
  }
}

void QuantQ8_K(const float* x, uint8_t* b) {
  float amax = 0, max = 0;
  for (int j = 0; j < kSuper; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  int8_t* qs = reinterpret_cast<int8_t*>(b + 4);
  if (amax == 0) {
    std::memset(b, 0, 292);
    return;
  }
  const float iscale = -127.f / max;
  for (int j = 0; j < kSuper; ++j) qs[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * x[j])));
  for (int j = 0; j < 16; ++j) {
    int16_t sum = 0;
    for (int ii = 0; ii < 16; ++ii) sum = static_cast<int16_t>(sum + qs[j * 16 + ii]);
    std::memcpy(b + 260 + 2 * j, &sum, 2);
  }
  const float d = 1 / iscale;
  std::memcpy(b, &d, 4);
}

// ---- Dot products (weights . quantized activations) ----------------------------------------------

float DotQ4_0(const uint8_t* w, const uint8_t* a) {
  int sum = 0;
  for (int j = 0; j < 16; ++j) {
    sum += ((w[2 + j] & 0x0F) - 8) * static_cast<int8_t>(a[2 + j]) + ((w[2 + j] >> 4) - 8) * static_cast<int8_t>(a[18 + j]);
  }
  return sum * Half(w) * Half(a);
}
float DotQ4_1(const uint8_t* w, const uint8_t* a) {
  int sum = 0;
  for (int j = 0; j < 16; ++j) {
    sum += (w[4 + j] & 0x0F) * static_cast<int8_t>(a[4 + j]) + (w[4 + j] >> 4) * static_cast<int8_t>(a[20 + j]);
  }
  return Half(w) * Half(a) * sum + Half(w + 2) * Half(a + 2);
}
float DotQ5_0(const uint8_t* w, const uint8_t* a) {
  uint32_t qh;
  std::memcpy(&qh, w + 2, 4);
  int sum = 0;
  for (int j = 0; j < 16; ++j) {
    const int x0 = ((w[6 + j] & 0x0F) | (((qh >> j) << 4) & 0x10)) - 16;
    const int x1 = ((w[6 + j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
    sum += x0 * static_cast<int8_t>(a[2 + j]) + x1 * static_cast<int8_t>(a[18 + j]);
  }
  return sum * Half(w) * Half(a);
}
float DotQ5_1(const uint8_t* w, const uint8_t* a) {
  uint32_t qh;
  std::memcpy(&qh, w + 4, 4);
  int sum = 0;
  for (int j = 0; j < 16; ++j) {
    const int x0 = (w[8 + j] & 0x0F) | (((qh >> j) << 4) & 0x10);
    const int x1 = (w[8 + j] >> 4) | ((qh >> (j + 12)) & 0x10);
    sum += x0 * static_cast<int8_t>(a[4 + j]) + x1 * static_cast<int8_t>(a[20 + j]);
  }
  return Half(w) * Half(a) * sum + Half(w + 2) * Half(a + 2);
}
float DotQ8_0(const uint8_t* w, const uint8_t* a) {
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += static_cast<int8_t>(w[2 + j]) * static_cast<int8_t>(a[2 + j]);
  return sum * Half(w) * Half(a);
}

float ActivationScaleK(const uint8_t* a) {
  float d;
  std::memcpy(&d, a, 4);
  return d;
}
int16_t BlockSum(const uint8_t* a, int j) {
  int16_t s;
  std::memcpy(&s, a + 260 + 2 * j, 2);
  return s;
}

// Q4_K and Q5_K: sum over sub-blocks of scale * (q . y) minus min * (sum of y), the latter from bsums.
float DotKWithMins(const uint8_t* w, const uint8_t* a, bool five_bits) {
  const int8_t* y = reinterpret_cast<const int8_t*>(a + 4);
  const uint8_t* scales = w + 4;
  const uint8_t* qh = w + 16;
  const uint8_t* ql = w + (five_bits ? 48 : 16);
  int32_t sum_q = 0, sum_m = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    ScaleMin(j, scales, sc, m);
    const uint8_t* q = ql + 32 * (j / 2);
    const int shift = (j % 2) * 4;
    int32_t s = 0;
    for (int l = 0; l < 32; ++l) {
      int v = (q[l] >> shift) & 0xF;
      if (five_bits && (qh[l] >> j) & 1) v += 16;
      s += v * y[32 * j + l];
    }
    sum_q += sc * s;
    sum_m += m * (BlockSum(a, 2 * j) + BlockSum(a, 2 * j + 1));
  }
  const float dy = ActivationScaleK(a);
  return Half(w) * dy * sum_q - Half(w + 2) * dy * sum_m;
}

float DotQ6_K(const uint8_t* w, const uint8_t* a) {
  const int8_t* y = reinterpret_cast<const int8_t*>(a + 4);
  const uint8_t* ql = w;
  const uint8_t* qh = w + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(w + 192);
  int32_t sum = 0;
  for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, y += 128) {
    for (int g = 0; g < 4; ++g) {  // the four 32-value groups of this half
      for (int s = 0; s < 2; ++s) {
        int32_t part = 0;
        for (int l = 16 * s; l < 16 * s + 16; ++l) {
          // Groups 0 and 2 take the low and high nibbles of ql[l], groups 1 and 3 those of ql[l + 32].
          const uint8_t low = (ql[l + 32 * (g % 2)] >> (4 * (g / 2))) & 0xF;
          const int q = static_cast<int>(low | (((qh[l] >> (2 * g)) & 3) << 4)) - 32;
          part += q * y[32 * g + l];
        }
        sum += sc[2 * g + s] * part;
      }
    }
  }
  return Half(w + 208) * ActivationScaleK(a) * sum;
}

}  // namespace

int BlockValues(DType type) {
  switch (type) {
    case DType::kQ4_0: case DType::kQ4_1: case DType::kQ5_0: case DType::kQ5_1: case DType::kQ8_0: case DType::kQ8_1:
      return 32;
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K: case DType::kQ8_K: return kSuper;
    default: return 1;
  }
}

size_t BlockBytes(DType type) {
  switch (type) {
    case DType::kF32: return 4;
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kQ4_0: return 18;
    case DType::kQ4_1: return 20;
    case DType::kQ5_0: return 22;
    case DType::kQ5_1: return 24;
    case DType::kQ8_0: return 34;
    case DType::kQ8_1: return 36;
    case DType::kQ4_K: return 144;
    case DType::kQ5_K: return 176;
    case DType::kQ6_K: return 210;
    case DType::kQ8_K: return 292;
  }
  return 0;
}

bool IsBlockQuantized(DType type) { return BlockValues(type) > 1; }

namespace {
void CheckWhole(DType type, int64_t cols) {
  if (cols % BlockValues(type)) {
    throw Error(DTypeName(type) + " needs rows of a multiple of " + std::to_string(BlockValues(type)) + " values, not " +
                std::to_string(cols));
  }
}
}  // namespace

void DequantizeRow(DType type, const uint8_t* row, int64_t cols, float* out) {
  CheckWhole(type, cols);
  void (*block)(const uint8_t*, float*) = nullptr;
  switch (type) {
    case DType::kQ4_0: block = DequantQ4_0; break;
    case DType::kQ4_1: block = DequantQ4_1; break;
    case DType::kQ5_0: block = DequantQ5_0; break;
    case DType::kQ5_1: block = DequantQ5_1; break;
    case DType::kQ8_0: block = DequantQ8_0; break;
    case DType::kQ4_K: block = DequantQ4_K; break;
    case DType::kQ5_K: block = DequantQ5_K; break;
    case DType::kQ6_K: block = DequantQ6_K; break;
    default: throw Error("cannot dequantize " + DTypeName(type));
  }
  const int values = BlockValues(type);
  const size_t bytes = BlockBytes(type);
  for (int64_t b = 0; b < cols / values; ++b) block(row + b * bytes, out + b * values);
}

void QuantizeRow(DType type, const float* in, int64_t cols, uint8_t* out) {
  CheckWhole(type, cols);
  void (*block)(const float*, uint8_t*) = nullptr;
  switch (type) {
    case DType::kQ4_0: block = QuantQ4_0; break;
    case DType::kQ4_1: block = QuantQ4_1; break;
    case DType::kQ5_0: block = QuantQ5_0; break;
    case DType::kQ5_1: block = QuantQ5_1; break;
    case DType::kQ8_0: block = QuantQ8_0; break;
    case DType::kQ8_1: block = QuantQ8_1; break;
    case DType::kQ4_K: block = QuantQ4_K; break;
    case DType::kQ5_K: block = QuantQ5_K; break;
    case DType::kQ6_K: block = QuantQ6_K; break;
    case DType::kQ8_K: block = QuantQ8_K; break;
    default: throw Error("cannot quantize to " + DTypeName(type));
  }
  const int values = BlockValues(type);
  const size_t bytes = BlockBytes(type);
  for (int64_t b = 0; b < cols / values; ++b) block(in + b * values, out + b * bytes);
}

DType ActivationType(DType weight_type) {
  switch (weight_type) {
    case DType::kQ4_1: case DType::kQ5_1: return DType::kQ8_1;
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K: return DType::kQ8_K;
    default: return DType::kQ8_0;
  }
}

size_t ActivationRowBytes(DType weight_type, int64_t cols) { return RowBytes(ActivationType(weight_type), cols); }

namespace {

// Activations as llama.cpp's CPU backend quantizes them at run time (quantize_row_q8_0 / _q8_1),
// which is not the reference quantizer: rounding to nearest even, and on x86 the inverse scale
// taken as 127 / amax rather than 1 / d (its AVX code); elsewhere 1 / d.
void ActivationsQ8(const float* x, uint8_t* b, bool with_sum) {
  float amax = 0;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
#if defined(__x86_64__)
  const float id = amax != 0 ? 127.f / amax : 0.0f;
#else
  const float id = d != 0 ? 1.0f / d : 0.0f;
#endif
  PutHalf(b, d);
  uint8_t* qs = b + (with_sum ? 4 : 2);
  int sum = 0;
  for (int j = 0; j < 32; ++j) {
    const int8_t q = static_cast<int8_t>(std::nearbyint(x[j] * id));
    qs[j] = static_cast<uint8_t>(q);
    sum += q;
  }
  if (with_sum) PutHalf(b + 2, sum * d);
}

}  // namespace

void QuantizeActivations(DType weight_type, const float* in, int64_t cols, uint8_t* out) {
  const DType type = ActivationType(weight_type);
  if (type == DType::kQ8_K) {
    QuantizeRow(type, in, cols, out);
    return;
  }
  CheckWhole(type, cols);
  for (int64_t b = 0; b < cols / 32; ++b) ActivationsQ8(in + 32 * b, out + b * BlockBytes(type), type == DType::kQ8_1);
}

float DotQuantized(DType weight_type, const uint8_t* row, const uint8_t* activations, int64_t cols) {
  float (*block)(const uint8_t*, const uint8_t*) = nullptr;
  switch (weight_type) {
    case DType::kQ4_0: block = DotQ4_0; break;
    case DType::kQ4_1: block = DotQ4_1; break;
    case DType::kQ5_0: block = DotQ5_0; break;
    case DType::kQ5_1: block = DotQ5_1; break;
    case DType::kQ8_0: block = DotQ8_0; break;
    case DType::kQ4_K: return [&] {
        float sum = 0;
        for (int64_t b = 0; b < cols / kSuper; ++b) sum += DotKWithMins(row + b * 144, activations + b * 292, false);
        return sum;
      }();
    case DType::kQ5_K: return [&] {
        float sum = 0;
        for (int64_t b = 0; b < cols / kSuper; ++b) sum += DotKWithMins(row + b * 176, activations + b * 292, true);
        return sum;
      }();
    case DType::kQ6_K: block = DotQ6_K; break;
    default: throw Error("no quantized dot product for " + DTypeName(weight_type));
  }
  const int values = BlockValues(weight_type);
  const size_t bytes = BlockBytes(weight_type), act_bytes = BlockBytes(ActivationType(weight_type));
  float sum = 0;
  for (int64_t b = 0; b < cols / values; ++b) sum += block(row + b * bytes, activations + b * act_bytes);
  return sum;
}

}  // namespace sweinfer::llm
