#version 330
/* {
  "DESCRIPTION": "Crowd chaos: one glowing ring per face at its place in the room, coloured by that face's valence and pulsing with its arousal, drifting in a turbulent flow field that churns with the crowd's chaos and disagreement.",
  "INPUTS": [
    {"NAME": "intensity", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0, "LABEL": "Intensity"},
    {"NAME": "hue_shift", "TYPE": "float", "DEFAULT": 0.0, "MIN": -0.5, "MAX": 0.5, "LABEL": "Hue shift"},
    {"NAME": "grain", "TYPE": "float", "DEFAULT": 0.3, "MIN": 0.0, "MAX": 1.0, "LABEL": "Film grain"},
    {"NAME": "turbulence", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0, "LABEL": "Turbulence"},
    {"NAME": "ring_size", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.3, "MAX": 3.0, "LABEL": "Ring size"}
  ]
} */
#include "lib/common.glsl"
#include "lib/noise.glsl"
#include "lib/color.glsl"

void main() {
    vec2 frag = gl_FragCoord.xy;
    vec2 p = centered_uv(frag);
    float t = u_time;
    float chaos = clamp(u_chaos, 0.0, 1.0);
    float unrest = clamp(0.15 + 0.6 * chaos + 0.4 * u_spread, 0.0, 1.0) * in_turbulence;
    vec3 crowd_tint = hue_rotate(emotion_tint(u_valence), in_hue_shift);

    // Each face stirs the field: a vortex turning with its arousal.
    vec2 swirl = vec2(0.0);
    for (int i = 0; i < MAX_FACES; i++) {
        if (i >= u_face_slots) break;
        vec2 c = to_centered(u_face[i].xy);
        vec2 d = p - c;
        float fall = exp(-dot(d, d) * 18.0);
        swirl += vec2(-d.y, d.x) * fall * (1.0 + 3.0 * max(u_face[i].w, 0.0)) * 2.0;
    }

    // Flow field: domain-warped noise, banded into streamlines.
    vec2 q;
    float field = warped(p * 1.8 + swirl, t * (0.3 + 1.2 * unrest), 0.15 + 0.5 * unrest, q);
    float streams = 0.5 + 0.5 * sin((field + 0.3 * q.x) * (10.0 + 14.0 * unrest) - t * 1.5);
    streams = pow(streams, 6.0 - 3.0 * unrest);
    vec3 col = emotion_shadow(u_valence) * (0.45 + 0.8 * (field + 0.5));
    col += mix(crowd_tint, vec3(0.7, 0.3, 1.0), 0.25 * chaos) * streams * (0.05 + 0.12 * unrest);

    // Faces: a bright heart, a pulsing ring and a soft halo, threads between neighbours.
    for (int i = 0; i < MAX_FACES; i++) {
        if (i >= u_face_slots) break;
        vec4 f = u_face[i];
        vec2 c = to_centered(f.xy);
        float size = max(u_face_size[i], 0.02);
        float ex = excitement(f.w);
        vec3 tint = hue_rotate(emotion_tint(f.z), in_hue_shift);
        float pulse = 0.5 + 0.5 * sin(t * (1.5 + 9.0 * ex) + float(i) * 1.9);
        float r = (0.05 + 0.35 * size) * in_ring_size * (1.0 + (0.08 + 0.25 * ex) * pulse);
        vec2 d = p - c;
        // Wobble the ring with the local turbulence.
        float ang = atan(d.y, d.x);
        float wob = 0.012 * unrest * gnoise(vec2(ang * 3.0 + float(i) * 5.0, t * 2.0));
        float dist = length(d);
        float ring = 0.006 / (abs(dist - r - wob) + 0.006);
        float heart = exp(-dist * dist / (r * r * 0.08));
        float halo = exp(-dist / (r * 1.5)) * 0.35;
        float energy = 0.8 + 0.6 * ex * pulse;
        col += tint * (ring * 0.6 + halo) * energy;
        col += mix(tint, vec3(1.0), 0.6) * heart * 1.3 * energy;
        for (int j = 0; j < MAX_FACES; j++) {
            if (j >= u_face_slots) break;
            if (j <= i) continue;
            vec2 b = to_centered(u_face[j].xy);
            vec2 ab = b - c;
            float h = clamp(dot(p - c, ab) / dot(ab, ab), 0.0, 1.0);
            float seg = length(p - c - ab * h);
            float shimmer = 0.5 + 0.5 * sin(h * 40.0 - t * 4.0 + float(i + j));
            vec3 link = mix(tint, hue_rotate(emotion_tint(u_face[j].z), in_hue_shift), h);
            col += link * 0.0025 / (seg + 0.004) * 0.25 * shimmer * exp(-length(ab) * 1.2);
        }
    }

    col *= mix(0.5, 1.0, u_presence) * in_intensity;
    col = tonemap(col * 1.15);
    col *= vignette(v_uv, 0.8);
    col = add_grain(col, frag, t, in_grain);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
