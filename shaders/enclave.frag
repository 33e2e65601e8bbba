#version 330
/* {
  "DESCRIPTION": "The Access Enclave of Neo-Lumen: a corridor of light gates in perspective. The gates open onto a radiant portal when the room is positive and close into a barred, scanned cage when it is negative. Each face lights windows in the walls.",
  "INPUTS": [
    {"NAME": "intensity", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0, "LABEL": "Intensity"},
    {"NAME": "hue_shift", "TYPE": "float", "DEFAULT": 0.0, "MIN": -0.5, "MAX": 0.5, "LABEL": "Hue shift"},
    {"NAME": "grain", "TYPE": "float", "DEFAULT": 0.3, "MIN": 0.0, "MAX": 1.0, "LABEL": "Film grain"},
    {"NAME": "speed", "TYPE": "float", "DEFAULT": 0.25, "MIN": 0.0, "MAX": 2.0, "LABEL": "Approach speed"},
    {"NAME": "horizon", "TYPE": "float", "DEFAULT": 0.02, "MIN": -0.3, "MAX": 0.3, "LABEL": "Horizon height"}
  ]
} */
#include "lib/common.glsl"
#include "lib/noise.glsl"
#include "lib/color.glsl"

const float WALL = 1.7;     // half width of the corridor in world units
const float CEIL = 2.2;     // height of the gate tops above the floor
const float EYE = 1.0;      // eye height above the floor
const float GAP = 1.6;      // distance between gates

// Glowing outline of an arch (pillars + round top) in gate-local units; returns intensity.
float arch(vec2 q, float half_w, float height, float width) {
    float spring = height - half_w;                  // where the round top starts
    float d;
    if (q.y > spring) d = abs(length(q - vec2(0.0, spring)) - half_w);
    else d = abs(abs(q.x) - half_w);
    d = max(d, -q.y);                                // nothing below the floor
    float k = width / (d + width);
    return k * k * 1.6 + 0.1 * k;
}

void main() {
    vec2 frag = gl_FragCoord.xy;
    vec2 p = centered_uv(frag);
    p.y -= in_horizon;
    float t = u_time;
    float ex = excitement(u_arousal);
    float open = smoothstep(-0.9, 0.9, u_valence + 0.25 * (u_presence - 0.5));
    vec3 tint = hue_rotate(emotion_tint(u_valence), in_hue_shift);
    vec3 shadow = emotion_shadow(u_valence);
    float travel = t * in_speed * (0.6 + 0.8 * ex);
    float focal = 1.1;

    vec3 col = shadow * 0.35;
    // Sky / haze above: slow drifting fog, with a faint city glow near the horizon.
    float fog = fbm(vec2(p.x * 2.0 + t * 0.03, p.y * 4.0), 4);
    col += shadow * (0.4 + 0.6 * fog) * smoothstep(0.5, 0.0, abs(p.y));

    // Portal at the vanishing point: opens with the room, blocked when closed.
    float portal_r = mix(0.015, 0.16, open);
    float pd = length(p * vec2(0.8, 1.0));
    vec3 portal = mix(tint, vec3(1.0, 0.97, 0.9), 0.5) *
                  (exp(-pd * pd / (portal_r * portal_r)) * 1.4 + 0.05 * portal_r / (pd + 0.02));
    float rays = pow(max(gnoise(vec2(atan(p.y, p.x) * 7.0, t * 0.2)), 0.0), 2.0);
    portal += tint * rays * open * 0.5 * exp(-pd * 3.0);
    col += portal * (0.3 + 0.9 * open);

    // Floor: a perspective grid of light flowing towards the viewer.
    if (p.y < -0.002) {
        float z = EYE * focal / -p.y;
        vec2 w = vec2(p.x * z / focal, z + travel * GAP);
        vec2 g = abs(fract(w * vec2(1.0 / 0.85, 1.0 / GAP)) - 0.5);
        float lw = 0.02 * z;
        float line = smoothstep(lw + 0.02, 0.0, min(g.x * 0.85, g.y * GAP) - 0.0);
        float fade = exp(-z * 0.12);
        float lane = smoothstep(WALL * mix(0.5, 1.0, open), 0.0, abs(w.x));
        col += tint * line * fade * (0.25 + 0.6 * open) * (0.4 + 0.6 * lane);
        // Reflection of the portal on the floor.
        col += portal * 0.25 * exp(-abs(p.x) * 6.0) * open;
    }

    // Walls with windows: each face lights more of them, some with a figure.
    float side = abs(p.x);
    float zwall = WALL * focal / max(side, 1e-4);
    float ywall = p.y * zwall / focal + EYE;
    if (ywall > 0.0 && ywall < CEIL * 2.2 && zwall < 40.0) {
        vec2 wc = vec2(zwall + travel * GAP, ywall);
        vec2 cell = floor(wc / vec2(0.7, 0.6));
        vec2 f = fract(wc / vec2(0.7, 0.6));
        float lit_share = clamp(0.06 + 0.09 * u_faces, 0.0, 0.85);
        float lit = step(hash12(cell + step(0.0, p.x) * 17.0), lit_share);
        float pane = step(0.18, f.x) * step(f.x, 0.82) * step(0.2, f.y) * step(f.y, 0.85);
        // A figure: a head and shoulders silhouette inside some windows.
        vec2 fq = (f - vec2(0.5, 0.38)) * vec2(1.0, 1.3);
        float body = step(length(fq - vec2(0.0, 0.22)), 0.12) + step(abs(fq.x), 0.2) * step(fq.y, 0.05);
        float figure = step(0.45, hash12(cell + 3.3)) * clamp(body, 0.0, 1.0);
        float flick = 0.85 + 0.15 * noise1(t * 3.0 + hash12(cell) * 50.0);
        vec3 wcol = mix(tint, vec3(1.0, 0.85, 0.6), 0.3 * hash12(cell + 9.1));
        float fade = exp(-zwall * 0.08);
        col += wcol * lit * pane * (1.0 - 0.8 * figure) * fade * flick * 0.55;
        col += tint * 0.03 * fade * smoothstep(0.3, 0.0, abs(ywall - CEIL));
    }

    // Gates: arches of light at regular depths, their opening set by the room.
    float half_w = mix(0.25, WALL * 0.92, open);
    float phase = fract(travel);
    for (int k = 0; k < 12; k++) {
        float z = (float(k) + 1.0 - phase) * GAP;
        float s = focal / z;
        vec2 q = vec2(p.x / s, p.y / s + EYE);
        float appear = smoothstep(0.0, 0.6, z) * exp(-z * 0.09);
        float glow = arch(q, half_w, CEIL, 0.012 * z);
        // Outer frame hugging the walls (the enclave's fixed architecture).
        glow += 0.5 * arch(q, WALL, CEIL + 0.3, 0.015 * z);
        // Bars: when the room turns negative the gates fill with a lattice.
        float closed = 1.0 - open;
        float inside = step(abs(q.x), half_w) * step(0.0, q.y) * step(q.y, CEIL);
        float bars = smoothstep(0.06 * z, 0.0, abs(fract(q.x * 3.0) - 0.5) * 0.33)
                   * inside * closed * closed;
        col += mix(tint, vec3(1.0), 0.25) * (glow * 0.42 + bars * 0.3) * appear;
    }

    // Surveillance scan: a cold beam sweeping the closed enclave.
    float closed = 1.0 - open;
    float scan = exp(-pow((p.y - (fract(t * 0.18) - 0.5) * 1.1) * 40.0, 2.0));
    col += vec3(0.4, 0.7, 1.0) * scan * closed * 0.35 * (0.5 + 0.5 * ex);

    // Pulse with arousal, dim when nobody is there.
    col *= (0.9 + 0.15 * ex * sin(t * 6.0)) * mix(0.6, 1.0, u_presence) * in_intensity;
    col *= mix(0.8, 1.05, open);  // a closed enclave is a dimmer place
    col = tonemap(col * 1.2);
    col *= vignette(v_uv, 0.8);
    col = add_grain(col, frag, t, in_grain);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
