// Colour helpers: emotion palette (warm for positive valence, cold for negative),
// hue rotation, tone mapping, grain and vignette.
#include "lib/noise.glsl"


vec3 hsv2rgb(vec3 c) {
    vec3 p = abs(fract(c.xxx + vec3(0.0, 2.0 / 3.0, 1.0 / 3.0)) * 6.0 - 3.0);
    return c.z * mix(vec3(1.0), clamp(p - 1.0, 0.0, 1.0), c.y);
}

// Rotate hue by `turns` (1.0 = full circle) keeping luma (YIQ rotation).
vec3 hue_rotate(vec3 col, float turns) {
    const mat3 toYIQ = mat3(0.299, 0.596, 0.211, 0.587, -0.274, -0.523, 0.114, -0.322, 0.312);
    const mat3 toRGB = mat3(1.0, 1.0, 1.0, 0.956, -0.272, -1.106, 0.621, -0.647, 1.703);
    vec3 yiq = toYIQ * col;
    float a = turns * 6.28318530718;
    float c = cos(a), s = sin(a);
    yiq.yz = mat2(c, s, -s, c) * yiq.yz;
    return max(toRGB * yiq, 0.0);
}

// Main emotional tint: -1 blue-violet, -0.5 cyan, 0 pale moonlight, +0.5 amber, +1 gold.
vec3 emotion_tint(float valence) {
    vec3 violet = vec3(0.42, 0.30, 1.00);
    vec3 cyan = vec3(0.15, 0.78, 1.00);
    vec3 pale = vec3(0.80, 0.86, 1.00);
    vec3 amber = vec3(1.00, 0.55, 0.16);
    vec3 gold = vec3(1.00, 0.78, 0.32);
    float v = clamp(valence, -1.0, 1.0);
    if (v < -0.5) return mix(violet, cyan, (v + 1.0) * 2.0);
    if (v < 0.0) return mix(cyan, pale, (v + 0.5) * 2.0);
    if (v < 0.5) return mix(pale, amber, v * 2.0);
    return mix(amber, gold, (v - 0.5) * 2.0);
}

// A deeper companion colour for shadows and haze.
vec3 emotion_shadow(float valence) {
    float v = clamp(valence, -1.0, 1.0);
    vec3 cold = vec3(0.05, 0.03, 0.16);
    vec3 mid = vec3(0.03, 0.04, 0.08);
    vec3 warm = vec3(0.16, 0.05, 0.02);
    return v < 0.0 ? mix(mid, cold, -v) : mix(mid, warm, v);
}

// ACES filmic approximation (Narkowicz).
vec3 tonemap(vec3 x) {
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

vec3 add_grain(vec3 col, vec2 frag, float t, float amount) {
    float n = hash12(frag + fract(t * 13.7) * 117.0) - 0.5;
    return col + n * amount * 0.12;
}

float vignette(vec2 uv01, float strength) {
    vec2 d = uv01 - 0.5;
    return 1.0 - strength * dot(d, d) * 2.2;
}
