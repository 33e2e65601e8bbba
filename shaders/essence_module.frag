#version 330
/* {
  "DESCRIPTION": "The Essence Module: a luminous crystal core with filaments that flickers with the emotion in the room. Warm with positive valence, cold with negative, unstable with arousal, fracturing with chaos.",
  "INPUTS": [
    {"NAME": "intensity", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0, "LABEL": "Intensity"},
    {"NAME": "hue_shift", "TYPE": "float", "DEFAULT": 0.0, "MIN": -0.5, "MAX": 0.5, "LABEL": "Hue shift"},
    {"NAME": "grain", "TYPE": "float", "DEFAULT": 0.35, "MIN": 0.0, "MAX": 1.0, "LABEL": "Film grain"},
    {"NAME": "core_size", "TYPE": "float", "DEFAULT": 0.2, "MIN": 0.08, "MAX": 0.35, "LABEL": "Core size"},
    {"NAME": "filaments", "TYPE": "float", "DEFAULT": 0.7, "MIN": 0.0, "MAX": 1.0, "LABEL": "Filaments"}
  ]
} */
#include "lib/common.glsl"
#include "lib/noise.glsl"
#include "lib/color.glsl"

// Brightness multiplier: a slow breath in a calm room, a nervous flicker when excited.
float flicker(float t, float ex) {
    float breath = 0.04 * sin(t * 0.9) + 0.02 * sin(t * 2.3 + 1.0);
    float freq = 3.0 + 20.0 * ex;
    float jitter = (noise1(t * freq) - 0.5) * 2.0 + (noise1(t * freq * 2.7 + 9.0) - 0.5);
    float amp = 0.03 + 0.65 * ex * ex;
    // Stuttering drop-outs, more and deeper as arousal climbs.
    float stutter = step(1.0 - 0.35 * ex * ex, hash11(floor(t * freq * 0.5)));
    return max(0.05, 1.0 + breath + amp * jitter - stutter * 0.6 * ex);
}

// The luminous core at p (centered units); returns colour before tonemapping.
vec3 core(vec2 p, float t, float radius, float ex, vec3 tint, vec3 hot, float fil_amount) {
    float d = length(p);
    float a = atan(p.y, p.x);
    // Crystal rim: a faceted, slowly turning hexagon softened by noise.
    float facets = 6.0;
    float seg = cos(floor(0.5 + (a + t * 0.05) / (TAU / facets)) * (TAU / facets) - (a + t * 0.05));
    float crystal = d * mix(1.0, seg, 0.35);
    float wobble = 0.015 * gnoise(vec2(a * 3.0, t * (0.4 + 2.0 * ex)));
    float rim = crystal - radius - wobble;

    // Interior: turbulent plasma with bright veins.
    vec2 q;
    float plasma = warped(p * 5.0 / radius * 0.35, t * (0.6 + 2.5 * ex), 0.55, q);
    float veins = ridged(p * 9.0 + q * 2.0 + t * 0.2, 4);
    float inside = smoothstep(0.01, -0.02, rim);
    vec3 col = inside * (tint * (0.18 + 0.5 * (plasma + 0.5)) * (0.6 + 0.4 * smoothstep(0.0, -0.05, rim)) + hot * pow(veins, 6.0) * 1.1);
    // White-hot heart and the glow that bleeds past the rim.
    col += hot * 0.8 * exp(-d * d / (radius * radius * 0.04));
    col += tint * 0.02 / (abs(rim) + 0.02) * 0.45;
    col += tint * 0.5 * exp(-max(rim, 0.0) * 6.0) * 0.35;

    // Filaments: thin arcs leaving the core, bending in the noise field.
    float fil = 0.0;
    for (int i = 0; i < 9; i++) {
        float fi = float(i);
        float base = fi * TAU / 9.0 + 0.3 * sin(t * 0.11 + fi * 1.7);
        float bend = (0.5 + 1.6 * ex) * gnoise(vec2(d * 2.5 - t * (0.3 + 1.5 * ex), fi * 7.31));
        float da = mod(a - base - bend * d + PI, TAU) - PI;
        float w = 0.0035 + 0.006 * d;
        float len = 0.35 + 0.45 * hash11(fi + floor(t * 0.2 + fi * 0.37));
        float along = smoothstep(radius * 0.8, radius * 1.05, d) * exp(-max(d - radius, 0.0) / len * 2.2);
        fil += w / (abs(da) * d + w) * along * (0.6 + 0.4 * sin(fi * 3.1 + t * (1.0 + 5.0 * ex)));
    }
    col += mix(tint, hot, 0.35) * fil * 0.55 * fil_amount;
    return col;
}

void main() {
    vec2 frag = gl_FragCoord.xy;
    vec2 p = centered_uv(frag);
    float t = u_time;
    float ex = excitement(u_arousal);
    float calm = clamp(-u_arousal, 0.0, 1.0);
    float chaos = clamp(u_chaos, 0.0, 1.0);
    float presence = mix(0.55, 1.0, u_presence);

    // Glitch: horizontal slices torn sideways as chaos rises.
    float band = floor(v_uv.y * 36.0);
    float tick = floor(t * (6.0 + 18.0 * chaos));
    float tear = step(1.0 - 0.45 * chaos, hash12(vec2(band, tick)));
    p.x += tear * (hash12(vec2(tick, band)) - 0.5) * 0.18 * chaos;

    // Shards: the core breaks into Voronoi cells that drift apart.
    float radius = in_core_size * (1.0 + 0.08 * ex) * mix(1.0, 0.92, calm);
    vec2 cell;
    vec2 vor = voronoi(p * (7.0 / radius * 0.2) + vec2(0.0, t * 0.05), cell);
    vec2 shard_dir = hash22(cell) - 0.5;
    float shard_t = floor(t * (1.0 + 3.0 * chaos));
    vec2 shard = shard_dir * 0.10 * chaos * (0.6 + 0.4 * hash12(cell + shard_t));
    vec2 ps = p + shard * smoothstep(radius * 1.6, 0.0, length(p));

    vec3 tint = hue_rotate(emotion_tint(u_valence), in_hue_shift);
    vec3 hot = mix(tint, vec3(1.0, 0.96, 0.9), 0.55);
    float f = flicker(t, ex) * in_intensity * presence;

    // Chromatic split grows with chaos.
    vec2 split = vec2(0.006 + 0.02 * chaos, 0.0);
    vec3 col;
    col.r = core(ps + split, t, radius, ex, tint, hot, in_filaments).r;
    col.g = core(ps, t, radius, ex, tint, hot, in_filaments).g;
    col.b = core(ps - split, t, radius, ex, tint, hot, in_filaments).b;
    col *= f;

    // Cracks: hot seams along the shard borders inside the core.
    float crack = (1.0 - smoothstep(0.0, 0.035 + 0.03 * chaos, vor.y)) *
                  smoothstep(radius * 1.5, radius * 0.3, length(p));
    col += hot * crack * chaos * 1.6 * f;
    col *= 1.0 - 0.5 * chaos * smoothstep(0.05, 0.0, vor.y) * step(length(p), radius);

    // Background haze: the city's dark air, tinted by the room.
    vec2 q;
    float haze = warped(p * 1.6 + 3.0, t * 0.15, 0.35, q);
    vec3 bg = emotion_shadow(u_valence) * (0.25 + 0.6 * (haze + 0.5));
    bg += tint * 0.04 * smoothstep(0.2, 0.8, q.x + 0.5);
    col += bg * (0.7 + 0.3 * f);

    // Scanline hum and glitch colour noise with chaos.
    col *= 1.0 - 0.06 * chaos * (0.5 + 0.5 * sin(frag.y * 2.0 + t * 40.0));
    col += tear * chaos * 0.05 * vec3(hash12(vec2(tick, band + 3.0)), 0.2, 0.8) * tint;

    col = tonemap(col * 1.1);
    col *= vignette(v_uv, 0.9);
    col = add_grain(col, frag, t, in_grain);
    col = pow(max(col, 0.0), vec3(0.95));
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
