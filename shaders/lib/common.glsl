// Shared entry points for every visual: varyings, output, the shared uniforms, small helpers.
#include "lib/uniforms.glsl"

in vec2 v_uv;          // 0..1 across the target, y up
out vec4 fragColor;

const float PI = 3.14159265359;
const float TAU = 6.28318530718;

// Centered coordinates: y in -0.5..0.5, x scaled by the aspect ratio.
vec2 centered_uv(vec2 frag) {
    return (frag - 0.5 * u_resolution) / u_resolution.y;
}

// A picture position (0..1, y up) in centered_uv space.
vec2 to_centered(vec2 p01) {
    return (p01 - 0.5) * vec2(u_resolution.x / u_resolution.y, 1.0);
}

// Excitement 0..1 from arousal -1..1 (a neutral room is 0, calm).
float excitement(float arousal) {
    return clamp(arousal, 0.0, 1.0);
}

mat2 rot2(float a) {
    float c = cos(a), s = sin(a);
    return mat2(c, -s, s, c);
}
